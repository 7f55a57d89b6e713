#include "http/header_edit.hpp"

#include "util/strings.hpp"

namespace relaymock::http {

namespace {

// Walks the header section line by line (each line with its own end),
// calling keep(name_or_empty_for_continuation, line) -> bool; returns the
// kept lines followed by the untouched rest.
template <typename Keep>
std::string filter_head(std::string_view msg, Keep keep, std::string_view prefix = {}) {
  std::string out(prefix);
  std::size_t pos = 0;
  bool dropping = false;
  while (pos < msg.size()) {
    auto nl = msg.find('\n', pos);
    auto end = nl == std::string_view::npos ? msg.size() : nl + 1;
    auto line = msg.substr(pos, end - pos);
    auto bare = line;
    while (!bare.empty() && (bare.back() == '\n' || bare.back() == '\r')) bare.remove_suffix(1);
    if (bare.empty()) break;  // the blank line: the body follows
    if (line.front() == ' ' || line.front() == '\t') {
      if (!dropping) out += line;
    } else {
      auto colon = bare.find(':');
      std::string_view name = colon == std::string_view::npos ? std::string_view() : trim(bare.substr(0, colon));
      dropping = !keep(name, out);
      if (!dropping) out += line;
    }
    pos = end;
  }
  out += msg.substr(pos);
  return out;
}

}  // namespace

std::string remove_headers(std::string_view msg, const std::vector<std::string_view>& names) {
  return filter_head(msg, [&](std::string_view name, std::string&) {
    for (auto n : names)
      if (!name.empty() && iequals(name, n)) return false;
    return true;
  });
}

std::string set_header(std::string_view msg, std::string_view name, std::string_view value) {
  const std::string line = std::string(name) + ": " + std::string(value) + "\r\n";
  bool done = false;
  auto out = filter_head(msg, [&](std::string_view n, std::string& so_far) {
    if (n.empty() || !iequals(n, name)) return true;
    if (!done) so_far += line;
    done = true;
    return false;
  });
  return done ? out : line + out;
}

}  // namespace relaymock::http
