// Digests (OpenSSL): for values derived from secrets and for checksums.
#pragma once
#include <string>
#include <string_view>

namespace relaymock {

// Lower-case hex of the digest ("sha256", "sha1", "md5").
std::string digest_hex(std::string_view algorithm, std::string_view data);

}  // namespace relaymock
