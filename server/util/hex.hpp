// Hexadecimal digits: one table for escapes (\xNN, \u00NN, =NN) and digests.
#pragma once
#include <string>
#include <string_view>

namespace relaymock {

inline char hex_digit(unsigned v, bool upper = false) {
  return (upper ? "0123456789ABCDEF" : "0123456789abcdef")[v & 15];
}
// Two digits for one octet.
inline void append_hex(std::string& out, unsigned char c, bool upper = false) {
  out += hex_digit(c >> 4, upper);
  out += hex_digit(c, upper);
}
// The value of one hex digit (either case), or -1.
inline int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}
inline std::string hex_encode(std::string_view bytes, bool upper = false) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) append_hex(out, c, upper);
  return out;
}

}  // namespace relaymock
