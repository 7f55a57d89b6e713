// DATA content decoding (RFC 5321 4.5.2): dot-unstuffing and end-of-data at CRLF.CRLF only.
// Bare CR or LF never ends the data or a line (SMTP smuggling, CVE-2023-51764/5/6).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace relaymock::smtp {

class DotDecoder {
 public:
  // Consumes bytes from `in`, appending unstuffed content to `out` while the
  // content is at most `limit` bytes (beyond it content is counted, not kept).
  // Returns the number of bytes consumed; stops right after the final ".\r\n".
  std::size_t feed(std::string_view in, std::string& out, std::size_t limit);

  bool done() const { return state_ == State::Done; }
  // Content size so far (after unstuffing), whether kept or not.
  std::size_t size() const { return size_; }
  void reset() { state_ = State::LineStart; size_ = 0; }

 private:
  enum class State { LineStart, Mid, Cr, Dot, DotCr, Done };
  void emit(std::string& out, std::string_view bytes, std::size_t limit);

  State state_ = State::LineStart;
  std::size_t size_ = 0;
};

// The inverse, for tests and clients: dot-stuffs and appends CRLF.CRLF.
std::string dot_stuff(std::string_view content);

}  // namespace relaymock::smtp
