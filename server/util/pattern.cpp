#include "util/pattern.hpp"

#include <re2/re2.h>

namespace relaymock {

std::optional<Pattern> Pattern::compile(std::string_view text, std::string& error) {
  RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_max_mem(8 << 20);  // the compiled program; a pattern needing more is refused
  auto re = std::make_shared<const RE2>(re2::StringPiece(text.data(), text.size()), opts);
  if (!re->ok()) {
    error = re->error();
    return std::nullopt;
  }
  return Pattern(std::string(text), std::move(re));
}

bool Pattern::search(std::string_view s) const {
  if (s.size() > kMaxText) s = s.substr(0, kMaxText);
  return RE2::PartialMatch(re2::StringPiece(s.data(), s.size()), *re_);
}

}  // namespace relaymock
