#include "util/address.hpp"

namespace relaymock {
namespace {

bool atext(unsigned char c) {
  if (c >= 0x80) return true;  // SMTPUTF8 local parts
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '/': case '=': case '?': case '^': case '_': case '`': case '{':
    case '|': case '}': case '~':
      return true;
    default:
      return false;
  }
}

bool valid_dot_atom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (char c : s) {
    if (c == '.') {
      if (prev == '.') return false;
    } else if (!atext(static_cast<unsigned char>(c))) {
      return false;
    }
    prev = c;
  }
  return true;
}

bool valid_quoted(std::string_view s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
  for (std::size_t i = 1; i + 1 < s.size(); ++i) {
    unsigned char c = s[i];
    if (c == '\\') {
      if (++i + 1 >= s.size()) return false;
      if (static_cast<unsigned char>(s[i]) < 32) return false;
      continue;
    }
    if (c < 32 || c == 127 || c == '"') return false;
  }
  return true;
}

}  // namespace

bool valid_domain(std::string_view d) {
  if (d.empty() || d.size() > 255) return false;
  if (d.front() == '[') {
    if (d.back() != ']' || d.size() < 3) return false;
    for (char c : d.substr(1, d.size() - 2)) {
      unsigned char u = c;
      if (u < 33 || u > 126 || c == '[' || c == ']' || c == '\\') return false;
    }
    return true;
  }
  std::size_t start = 0;
  while (true) {
    auto dot = d.find('.', start);
    auto label = d.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    for (char c : label) {
      unsigned char u = c;
      if (!(u >= 0x80 || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
            (u >= '0' && u <= '9') || u == '-'))
        return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

AddressResult parse_mailbox(std::string_view text) {
  AddressResult r;
  std::string_view inner = text;
  if (!inner.empty() && inner.front() == '<') {
    if (inner.size() < 2 || inner.back() != '>') {
      r.error = "'>' missing at end of address";
      return r;
    }
    inner = inner.substr(1, inner.size() - 2);
    // A source route "<@a,@b:user@c>" is obsolete; its route is ignored (RFC 5321 C).
    if (!inner.empty() && inner.front() == '@') {
      auto colon = inner.find(':');
      if (colon == std::string_view::npos) {
        r.error = "missing or malformed local part";
        return r;
      }
      inner.remove_prefix(colon + 1);
    }
    if (inner.empty()) {
      r.mailbox = Mailbox{};
      return r;
    }
  } else if (inner.empty()) {
    r.error = "empty address";
    return r;
  }
  auto at = inner.rfind('@');
  if (at == std::string_view::npos) {
    if (valid_dot_atom(inner) || valid_quoted(inner)) {
      r.unqualified = true;
    } else {
      r.error = "missing or malformed local part";
    }
    return r;
  }
  auto local = inner.substr(0, at);
  auto domain = inner.substr(at + 1);
  if (!(valid_dot_atom(local) || valid_quoted(local)) || local.size() > 64) {
    r.error = "missing or malformed local part";
    return r;
  }
  if (!valid_domain(domain)) {
    r.error = "domain missing or malformed";
    return r;
  }
  r.mailbox = Mailbox{std::string(local), std::string(domain)};
  return r;
}

std::optional<Mailbox> parse_plain_address(std::string_view text) {
  auto res = parse_mailbox(text);
  if (!res.mailbox || res.mailbox->null()) return std::nullopt;
  return res.mailbox;
}

}  // namespace relaymock
