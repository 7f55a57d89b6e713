// Passwords as Mailpit's --ui-auth-file and MailHog's -auth-file keep them:
// htpasswd lines "user:hash" with bcrypt ($2y$, $2b$, $2a$) checked through
// libxcrypt, or plain "user:password" pairs (Mailpit's MP_UI_AUTH).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace relaymock {

class PasswordFile {
 public:
  struct Entry {
    std::string user;
    std::string secret;  // a bcrypt hash, or the password itself
    bool hashed = false;
  };

  // Reads htpasswd lines; `error` says which line is wrong (bcrypt only:
  // crypt(3)'s older schemes are refused).
  static std::optional<PasswordFile> parse(std::string_view text, std::string& error);
  void add_plain(std::string user, std::string password);
  bool empty() const { return entries_.empty(); }

  // In the same time whether or not the user exists.
  bool check(std::string_view user, std::string_view password) const;

 private:
  std::vector<Entry> entries_;
};

}  // namespace relaymock
