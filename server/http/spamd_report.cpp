#include "http/spamd_report.hpp"

#include <re2/re2.h>

#include <charconv>

namespace relaymock::http {

namespace {

bool to_double(const std::string& s, double& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

SpamReport parse_spamd_report(const std::string& output) {
  static const re2::RE2 info(R"((.+)\/(.+) (\d+) (.+))");
  static const re2::RE2 main_line(R"(^Spam: (.+) ; (.+) . (.+)$)");
  static const re2::RE2 details(R"(^\s?(-?[0-9\.]+)\s([a-zA-Z0-9_]*)(\W*)(.*))");
  // Lines trimmed at the right; a description's continuation lines (28
  // spaces) joined to it with one space.
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < output.size()) {
    auto nl = output.find('\n', pos);
    std::string line = output.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? output.size() : nl + 1;
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.pop_back();
    static const std::string indent(28, ' ');
    if (!lines.empty() && line.compare(0, indent.size(), indent) == 0 && line.size() > indent.size())
      lines.back() += " " + line.substr(indent.size());
    else
      lines.push_back(std::move(line));
  }
  SpamReport r;
  bool rules = false;
  for (const auto& row : lines) {
    std::string a, b, c, d;
    if (RE2::PartialMatch(row, info, &a, &b, &c, &d)) continue;  // "SPAMD/1.1 0 EX_OK"
    if (RE2::PartialMatch(row, main_line, &a, &b, &c)) {
      r.spam = a == "true" || a == "yes" || a == "True" || a == "Yes";
      if (to_double(b, r.score)) continue;
      if (to_double(c, r.threshold)) continue;
    }
    if (row.rfind("Content analysis details", 0) == 0) {
      rules = true;
      continue;
    }
    if (rules && RE2::PartialMatch(row, details, &a, &b, &c, &d)) r.rules.push_back({a, b, d});
  }
  return r;
}

}  // namespace relaymock::http
