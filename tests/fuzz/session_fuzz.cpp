// A whole SMTP session over an in-memory stream: the input is split into
// reads at positions taken from its first bytes; nothing may crash, and
// output stays bounded.
#include <cstdint>
#include <string>
#include <string_view>

#include "../unit/session_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  relaymock::test::Harness h;
  h.handler.refused_rcpts = {"refused@b.c"};
  h.handler.prdr_refuse = {"full@b.c"};  // PRDR refuses it after the data
  h.handler.pause_rcpts = data[0] & 1;
  h.handler.spooling = data[0] & 2;
  h.settings.limits.max_message_size = 4096;
  std::size_t step = 1 + data[1] % 64;
  std::string_view in(reinterpret_cast<const char*>(data + 2), size - 2);
  h.session.greet("Fri, 13 Dec 2024 20:59:01 +0000");
  h.take();
  for (std::size_t pos = 0; pos < in.size() && !h.session.closing(); pos += step) {
    h.session.feed(in.substr(pos, step));
    while (h.session.paused()) h.session.resume();
    if (h.session.wants_tls()) h.session.tls_started();
    auto out = h.take();
    // Every reply line is CRLF-terminated and at most 512 octets.
    std::size_t start = 0;
    while (start < out.size()) {
      auto end = out.find("\r\n", start);
      if (end == std::string::npos || end - start + 2 > 512) __builtin_trap();
      start = end + 2;
    }
  }
  h.session.timeout();
  h.session.disconnected();
  return 0;
}
