#include "util/random.hpp"

#include <cstdio>
#include <random>

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

namespace {
std::mt19937_64& fast_rng() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}
}  // namespace

std::string random_token(std::size_t n) {
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out(n, 'x');
  for (auto& c : out) c = kChars[fast_rng()() % (sizeof kChars - 1)];
  return out;
}

std::string mime_boundary() {
  char out[48];
  std::snprintf(out, sizeof out, "=_relaymock_%016llx%08llx", static_cast<unsigned long long>(fast_rng()()),
                static_cast<unsigned long long>(fast_rng()() & 0xFFFFFFFFull));
  return out;
}

}  // namespace relaymock
