// Unpredictable bytes from OpenSSL's CSPRNG, checked: a failure throws
// rather than handing out a predictable id or challenge.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

namespace relaymock {

struct RandomError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string random_bytes(std::size_t n);
std::uint64_t random_u64();
// n letters and digits, for names that need only be unlikely to repeat
// (request ids, generated Message-IDs); a fast generator seeded once per thread.
std::string random_token(std::size_t n);
// A MIME boundary no body will contain ("=_relaymock_" and 24 hex digits).
std::string mime_boundary();

}  // namespace relaymock
