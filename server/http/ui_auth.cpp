#include "http/ui_auth.hpp"

#include "smtp/sasl.hpp"
#include "util/digest.hpp"
#include "util/strings.hpp"

namespace relaymock::http {

using beast_http::field;

namespace {

std::string cookie_value(const std::string& token) { return digest_hex("sha256", "relaymock-ui\n" + token); }

bool by_header(const Request& req, const std::string& token) {
  auto auth = req[field::authorization];
  return smtp::secure_equals(std::string_view(auth.data(), auth.size()), "Bearer " + token);
}

bool by_cookie(const Request& req, const std::string& token) {
  const std::string want = cookie_value(token);
  for (auto it = req.find(field::cookie); it != req.end() && it->name() == field::cookie; ++it) {
    std::string_view all(it->value().data(), it->value().size());
    while (!all.empty()) {
      auto semi = all.find(';');
      auto pair = trim(all.substr(0, semi));
      all = semi == std::string_view::npos ? std::string_view() : all.substr(semi + 1);
      auto eq = pair.find('=');
      if (eq == std::string_view::npos || pair.substr(0, eq) != kUiCookie) continue;
      if (smtp::secure_equals(pair.substr(eq + 1), want)) return true;
    }
  }
  return false;
}

}  // namespace

std::string session_cookie(const std::string& token) {
  return std::string(kUiCookie) + "=" + cookie_value(token) + "; Path=/; HttpOnly; SameSite=Strict";
}

bool authorized(const Request& req, const std::string& token) { return by_header(req, token) || by_cookie(req, token); }

bool by_cookie_only(const Request& req, const std::string& token) {
  return !by_header(req, token) && by_cookie(req, token);
}

}  // namespace relaymock::http
