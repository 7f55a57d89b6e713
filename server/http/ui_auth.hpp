// The admin token, as a header (Authorization: Bearer <token>, for scripts)
// or as the cookie the UI's sign-in sets. The cookie holds a digest of the
// token, never the token: a new token signs every browser out.
#pragma once
#include <string>
#include <string_view>

#include "http/request.hpp"

namespace relaymock::http {

inline constexpr const char* kUiCookie = "relaymock_ui";

// The Set-Cookie value for a browser that gave the right token.
std::string session_cookie(const std::string& token);
// Whether the request carries the token, by header or by cookie.
bool authorized(const Request& req, const std::string& token);
// Whether it carries it by cookie only (then a cross-site POST must be refused).
bool by_cookie_only(const Request& req, const std::string& token);

}  // namespace relaymock::http
