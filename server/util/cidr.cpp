#include "util/cidr.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace relaymock {

std::optional<IpAddress> parse_ip(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  std::string s(text);
  IpAddress ip;
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    ip.v4 = true;
    ip.bytes[10] = 0xff;
    ip.bytes[11] = 0xff;
    std::memcpy(&ip.bytes[12], &v4, 4);
    return ip;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(ip.bytes.data(), &v6, 16);
    static constexpr std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    ip.v4 = std::memcmp(ip.bytes.data(), mapped, 12) == 0;
    return ip;
  }
  return std::nullopt;
}

bool Cidr::contains(const IpAddress& ip) const {
  if (base.v4 != ip.v4) return false;
  int full = prefix / 8, rest = prefix % 8;
  if (std::memcmp(base.bytes.data(), ip.bytes.data(), static_cast<std::size_t>(full)) != 0) return false;
  if (rest == 0) return true;
  std::uint8_t mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (base.bytes[static_cast<std::size_t>(full)] & mask) == (ip.bytes[static_cast<std::size_t>(full)] & mask);
}

std::optional<Cidr> parse_cidr(std::string_view text, std::string* error) {
  auto fail = [&](const char* why) -> std::optional<Cidr> {
    if (error) *error = why;
    return std::nullopt;
  };
  auto slash = text.find('/');
  auto ip = parse_ip(text.substr(0, slash));
  if (!ip) return fail("not an IPv4 or IPv6 address");
  Cidr c;
  c.base = *ip;
  int max = ip->v4 ? 32 : 128;
  int len = max;
  if (slash != std::string_view::npos) {
    auto p = text.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), len);
    if (p.empty() || ec != std::errc() || ptr != p.data() + p.size() || len < 0 || len > max)
      return fail(ip->v4 ? "prefix length must be 0-32" : "prefix length must be 0-128");
  }
  c.prefix = ip->v4 ? len + 96 : len;
  // Reject host bits below the prefix: "10.1.2.3/16" is almost always a typo.
  Cidr masked = c;
  for (int bit = c.prefix; bit < 128; ++bit)
    masked.base.bytes[static_cast<std::size_t>(bit / 8)] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
  if (masked.base.bytes != c.base.bytes) return fail("address has bits set beyond the prefix length");
  return c;
}

}  // namespace relaymock
