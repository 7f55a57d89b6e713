#include "util/reply.hpp"

namespace relaymock {

std::vector<std::string_view> reply_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (true) {
    auto nl = text.find('\n', start);
    lines.push_back(text.substr(start, nl == std::string_view::npos ? nl : nl - start));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return lines;
}

bool parse_reply_text(std::string_view spec, Reply& out) {
  auto lines = reply_lines(spec);
  std::string text;
  int code = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto line = lines[i];
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    bool has_code = line.size() >= 3 && line[0] >= '2' && line[0] <= '5' &&
                    line[1] >= '0' && line[1] <= '9' && line[2] >= '0' && line[2] <= '9' &&
                    (line.size() == 3 || line[3] == ' ' || line[3] == '-');
    if (i == 0) {
      if (!has_code) return false;
      code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    }
    if (has_code && (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0') == code)
      line.remove_prefix(line.size() > 3 ? 4 : 3);
    if (i) text += '\n';
    text.append(line);
  }
  out.code = code;
  out.enhanced.clear();
  out.text = std::move(text);
  return true;
}

std::string reply_spec(const Reply& r) {
  std::string out, code = std::to_string(r.code);
  auto lines = reply_lines(r.text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i) out += '\n';
    out += code;
    out += i + 1 < lines.size() ? '-' : ' ';
    out.append(lines[i]);
  }
  return out;
}

std::string fill_placeholders(std::string_view text, Placeholders values) {
  std::string out;
  out.reserve(text.size() + 32);
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '{') {
      auto close = text.find('}', i);
      if (close != std::string_view::npos) {
        auto name = text.substr(i + 1, close - i - 1);
        const std::string_view* value = nullptr;
        for (const auto& [key, v] : values)
          if (key == name) value = &v;
        if (value) {
          out += *value;
          i = close + 1;
          continue;
        }
      }
    }
    out += text[i++];
  }
  return out;
}

}  // namespace relaymock
