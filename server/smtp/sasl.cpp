#include "smtp/sasl.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "util/hex.hpp"

namespace relaymock::smtp {
std::optional<PlainCredentials> parse_plain(std::string_view decoded) {
  auto a = decoded.find('\0');
  if (a == std::string_view::npos) return std::nullopt;
  auto b = decoded.find('\0', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  if (decoded.find('\0', b + 1) != std::string_view::npos) return std::nullopt;
  return PlainCredentials{std::string(decoded.substr(0, a)), std::string(decoded.substr(a + 1, b - a - 1)),
                          std::string(decoded.substr(b + 1))};
}

std::string cram_md5_digest(std::string_view secret, std::string_view challenge) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_md5(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(challenge.data()), challenge.size(), md, &len);
  return hex_encode(std::string_view(reinterpret_cast<const char*>(md), len));
}

bool secure_equals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    // Still touch the bytes so that the time depends only on the guess's length.
    volatile unsigned char sink = 0;
    for (char c : a) sink = sink | static_cast<unsigned char>(c);
    (void)sink;
    return false;
  }
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace relaymock::smtp
