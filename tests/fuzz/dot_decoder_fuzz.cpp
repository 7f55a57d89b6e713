// DATA decoding: end of data only at CRLF.CRLF (or "." first on the first
// line), the same result for any split of the input, and
// unstuff(stuff(x)) == x.
#include <cstdint>
#include <string>
#include <string_view>

#include "smtp/dot_decoder.hpp"

using relaymock::smtp::DotDecoder;

namespace {
struct Result {
  std::string content;
  std::size_t used;
  bool done;
};
Result decode(std::string_view in, std::size_t split) {
  DotDecoder d;
  Result r{{}, 0, false};
  split = std::min(split, in.size());
  r.used = d.feed(in.substr(0, split), r.content, 1 << 20);
  if (!d.done()) r.used += d.feed(in.substr(split), r.content, 1 << 20);
  r.done = d.done();
  return r;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::size_t split = data[0];
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);

  auto whole = decode(in, in.size());
  auto parts = decode(in, split);
  if (whole.content != parts.content || whole.used != parts.used || whole.done != parts.done) __builtin_trap();

  // Done exactly when the consumed input ends with CRLF.CRLF, or is ".\r\n" at the start.
  if (whole.done) {
    auto used = in.substr(0, whole.used);
    bool crlf_dot = used.size() >= 5 && used.substr(used.size() - 5) == "\r\n.\r\n";
    if (!crlf_dot && used != ".\r\n") __builtin_trap();
    // And no earlier end of data.
    auto earlier = in.substr(0, whole.used - 3).find("\r\n.\r\n");
    if (earlier != std::string_view::npos) __builtin_trap();
  }

  // Round trip: what a client stuffs comes back out (with a final CRLF added).
  std::string stuffed = relaymock::smtp::dot_stuff(in);
  auto back = decode(stuffed, split);
  std::string expect(in);
  if (!expect.empty() && !(expect.size() >= 2 && expect.substr(expect.size() - 2) == "\r\n")) expect += "\r\n";
  if (!back.done || back.content != expect) __builtin_trap();
  return 0;
}
