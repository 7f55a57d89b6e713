#include "util/digest.hpp"

#include <openssl/evp.h>

#include <stdexcept>
#include <string>

#include "util/hex.hpp"

namespace relaymock {

std::string digest_hex(std::string_view algorithm, std::string_view data) {
  std::string name(algorithm);
  const EVP_MD* md = EVP_get_digestbyname(name.c_str());
  if (!md) throw std::invalid_argument("unknown digest " + name);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) throw std::runtime_error("digest failed");
  return hex_encode(std::string_view(reinterpret_cast<const char*>(out), len));
}

}  // namespace relaymock
