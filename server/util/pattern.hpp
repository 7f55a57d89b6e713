// Regular expressions that client bytes reach (scenario header matches): RE2,
// which runs in time linear in the text and never recurses, so no pattern
// and no header can exhaust the stack or the CPU. Compiled once, when the
// config or the API adds it; copies share the compiled form.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace re2 {
class RE2;
}

namespace relaymock {

class Pattern {
 public:
  // nullopt with `error` (RE2's words) when `text` is not a valid RE2 pattern.
  static std::optional<Pattern> compile(std::string_view text, std::string& error);

  // Whether the pattern matches anywhere in `s` (like std::regex_search).
  bool search(std::string_view s) const;
  const std::string& text() const { return text_; }

  // Text beyond this many bytes is not searched: the first kMaxText are.
  static constexpr std::size_t kMaxText = 1 << 20;

 private:
  Pattern(std::string text, std::shared_ptr<const re2::RE2> re) : text_(std::move(text)), re_(std::move(re)) {}
  std::string text_;
  std::shared_ptr<const re2::RE2> re_;
};

}  // namespace relaymock
