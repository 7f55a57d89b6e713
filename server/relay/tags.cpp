#include "relay/tags.hpp"

#include <algorithm>

#include "util/strings.hpp"

namespace relaymock::relay {

std::optional<std::string> clean_tag(std::string_view raw) {
  std::string out;
  bool space = true;
  for (char c : raw) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.';
    if (ok) {
      out += c;
      space = false;
    } else if (!space) {
      out += ' ';
      space = true;
    }
    if (out.size() > 100) break;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (out.size() > 100) out.resize(100);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (out.empty()) return std::nullopt;
  return out;
}

std::vector<std::string> unique_tags(const std::vector<std::string>& raw) {
  std::vector<std::string> out;
  for (const auto& r : raw) {
    auto t = clean_tag(r);
    if (!t) continue;
    if (std::none_of(out.begin(), out.end(), [&](const std::string& x) { return iequals(x, *t); }))
      out.push_back(std::move(*t));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> capture_tags(const std::vector<std::string>& x_tags_fields,
                                      const std::vector<std::string>& recipients) {
  std::vector<std::string> raw;
  for (const auto& field : x_tags_fields) {
    std::size_t start = 0;
    while (start <= field.size()) {
      auto comma = field.find(',', start);
      raw.push_back(field.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  for (const auto& r : recipients) {
    auto at = r.rfind('@');
    auto plus = r.find('+');
    if (at != std::string::npos && plus != std::string::npos && plus < at && plus + 1 < at)
      raw.push_back(r.substr(plus + 1, at - plus - 1));
  }
  return unique_tags(raw);
}

}  // namespace relaymock::relay
