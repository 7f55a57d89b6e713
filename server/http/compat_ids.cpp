#include "http/compat_ids.hpp"

#include <openssl/sha.h>

#include "util/base64.hpp"

namespace relaymock::http {

namespace {
std::string sha256(std::string_view s) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  return std::string(reinterpret_cast<const char*>(d), sizeof d);
}
}  // namespace

std::string mailpit_id(std::string_view id) {
  // shortuuid's alphabet and length: 128 bits in 22 base57 digits.
  static constexpr char kAlphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  auto d = sha256(std::string("mailpit\n") + std::string(id));
  unsigned __int128 n = 0;
  for (int i = 0; i < 16; ++i) n = (n << 8) | static_cast<unsigned char>(d[static_cast<std::size_t>(i)]);
  std::string out(22, kAlphabet[0]);
  for (int i = 21; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kAlphabet[static_cast<int>(n % 57)];
    n /= 57;
  }
  return out;
}

std::string mailhog_id(std::string_view id, std::string_view hostname) {
  auto b = base64_encode(sha256(std::string("mailhog\n") + std::string(id)));
  for (auto& c : b) {
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
  }
  return b + "@" + std::string(hostname);
}

}  // namespace relaymock::http
