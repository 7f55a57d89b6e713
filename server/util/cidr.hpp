// IPv4/IPv6 addresses and CIDR blocks for IP authentication. IPv4-mapped IPv6
// client addresses (::ffff:a.b.c.d) match IPv4 blocks.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace relaymock {

struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};  // IPv4 stored as IPv4-mapped IPv6
  bool v4 = false;
};

std::optional<IpAddress> parse_ip(std::string_view text);

struct Cidr {
  IpAddress base;
  int prefix = 0;  // in IPv6 terms (IPv4 /24 is stored as /120)

  bool contains(const IpAddress& ip) const;
  // Prefix length as written (IPv4 0-32, IPv6 0-128), for "most specific wins".
  int written_prefix() const { return base.v4 ? prefix - 96 : prefix; }
};

// "10.1.0.0/16", "2001:db8::/32", or a single address (/32 or /128).
// Host bits set below the prefix are an error ("10.1.2.3/16").
std::optional<Cidr> parse_cidr(std::string_view text, std::string* error = nullptr);

}  // namespace relaymock
