// The AUTH decoders (base64, PLAIN) and what the API decodes from messages
// (RFC 2047 words, address lists, the MIME tree).
#include <cstdint>
#include <string_view>

#include "smtp/sasl.hpp"
#include "store/mime.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto decoded = relaymock::smtp::base64_decode(in)) {
    (void)relaymock::smtp::parse_plain(*decoded);
    // Strict base64 round-trips.
    if (relaymock::smtp::base64_decode(relaymock::smtp::base64_encode(*decoded)) != decoded) __builtin_trap();
  }
  (void)relaymock::store::decode_words(in);
  (void)relaymock::store::address_list(in);
  (void)relaymock::store::parse_message(in);
  return 0;
}
