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

}  // namespace relaymock
