#include "util/password.hpp"

#include <crypt.h>
#include <openssl/crypto.h>

#include <cstring>
#include <memory>

namespace relaymock {

namespace {

bool bcrypt_hash(std::string_view h) {
  return h.size() == 60 && h[0] == '$' && h[1] == '2' && (h[2] == 'a' || h[2] == 'b' || h[2] == 'y') && h[3] == '$';
}

bool equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// A hash checked when the user is unknown, so both take bcrypt's time.
constexpr const char* kDummy = "$2b$10$abcdefghijklmnopqrstuuYI5PuoFuQRf3uoJzJA0bC1OfyKtAXJS";

bool bcrypt_matches(std::string_view password, const std::string& hash) {
  auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof(crypt_data));
  std::string pw(password);
  const char* out = crypt_r(pw.c_str(), hash.c_str(), data.get());
  return out && out[0] != '*' && equal(out, hash);
}

}  // namespace

std::optional<PasswordFile> PasswordFile::parse(std::string_view text, std::string& error) {
  PasswordFile f;
  int line_no = 0;
  while (!text.empty()) {
    ++line_no;
    auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      error = "line " + std::to_string(line_no) + " is not user:hash";
      return std::nullopt;
    }
    auto hash = line.substr(colon + 1);
    if (!bcrypt_hash(hash)) {
      error = "line " + std::to_string(line_no) + ": the hash must be bcrypt ($2y$..., as htpasswd -B writes it)";
      return std::nullopt;
    }
    f.entries_.push_back({std::string(line.substr(0, colon)), std::string(hash), true});
  }
  if (f.entries_.empty()) {
    error = "no users in it";
    return std::nullopt;
  }
  return f;
}

void PasswordFile::add_plain(std::string user, std::string password) {
  entries_.push_back({std::move(user), std::move(password), false});
}

bool PasswordFile::check(std::string_view user, std::string_view password) const {
  const Entry* found = nullptr;
  for (const auto& e : entries_)
    if (equal(e.user, user)) found = &e;
  if (!found) {
    (void)bcrypt_matches(password, kDummy);
    return false;
  }
  return found->hashed ? bcrypt_matches(password, found->secret) : equal(found->secret, password);
}

}  // namespace relaymock
