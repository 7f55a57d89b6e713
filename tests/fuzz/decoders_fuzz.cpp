// The AUTH decoders (base64, PLAIN) and what the API decodes from messages
// (RFC 2047 words, address lists, the header summary, the MIME tree).
#include <cstdint>
#include <string_view>

#include "smtp/sasl.hpp"
#include "util/base64.hpp"
#include "mime/mime.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto decoded = relaymock::base64_decode(in)) {
    (void)relaymock::smtp::parse_plain(*decoded);
    // Strict base64 round-trips.
    if (relaymock::base64_decode(relaymock::base64_encode(*decoded)) != decoded) __builtin_trap();
  }
  (void)relaymock::mime::decode_words(in);
  (void)relaymock::mime::address_list(in);
  // The fast address reader answers only where it agrees with GMime's.
  if (auto simple = relaymock::mime::simple_addresses(in))
    if (*simple != relaymock::mime::gmime_addresses(in)) __builtin_trap();
  (void)relaymock::mime::summarize(in);
  (void)relaymock::mime::parse_message(in);
  return 0;
}
