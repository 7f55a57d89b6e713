#include "util/random.hpp"

#include <openssl/err.h>
#include <openssl/rand.h>

#include <cstring>

namespace relaymock {

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (n && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    char why[256];
    ERR_error_string_n(ERR_get_error(), why, sizeof why);
    throw RandomError(std::string("the random number generator failed: ") + why);
  }
  return out;
}

std::uint64_t random_u64() {
  auto b = random_bytes(sizeof(std::uint64_t));
  std::uint64_t v;
  std::memcpy(&v, b.data(), sizeof v);
  return v;
}

}  // namespace relaymock
