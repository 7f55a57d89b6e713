#include "http/go_json.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <cmath>

#include "util/dates.hpp"

namespace relaymock::http {

namespace {

void go_string(std::string& out, boost::json::string_view s) {
  static const char* hex = "0123456789abcdef";
  out += '"';
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '<': case '>': case '&':
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
          break;
        default:
          if (c < 0x20) {
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 15];
          } else {
            out += static_cast<char>(c);
          }
      }
      ++p;
      continue;
    }
    // A UTF-8 sequence: kept when valid, U+FFFD when not (Go's rule);
    // U+2028 and U+2029 escaped.
    int len = c >= 0xF5 ? 0 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    bool ok = len > 0 && end - p >= len;
    for (int i = 1; ok && i < len; ++i) ok = (p[i] & 0xC0) == 0x80;
    if (ok && len == 3) {
      unsigned cp = ((c & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
      ok = cp >= 0x800 && !(cp >= 0xD800 && cp <= 0xDFFF);
      if (ok && (cp == 0x2028 || cp == 0x2029)) {
        out += cp == 0x2028 ? "\\u2028" : "\\u2029";
        p += 3;
        continue;
      }
    }
    if (ok && len == 4) {
      unsigned cp = ((c & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) | (p[3] & 0x3F);
      ok = cp >= 0x10000 && cp <= 0x10FFFF;
    }
    if (!ok) {
      out += "\xEF\xBF\xBD";
      ++p;
      continue;
    }
    out.append(reinterpret_cast<const char*>(p), static_cast<std::size_t>(len));
    p += len;
  }
  out += '"';
}

void go_float(std::string& out, double f) {
  if (!std::isfinite(f)) {
    out += "null";  // Go refuses to encode these; no handler produces one
    return;
  }
  char buf[64];
  const double a = std::fabs(f);
  std::to_chars_result r;
  if (a != 0 && (a < 1e-6 || a >= 1e21)) {
    r = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
    // Go writes e-07 as e-07 and e+21 as e+21: two exponent digits at least, as C does.
  } else {
    r = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::fixed);
  }
  out.append(buf, r.ptr);
}

void write(std::string& out, const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null: out += "null"; break;
    case boost::json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case boost::json::kind::int64: out += std::to_string(v.get_int64()); break;
    case boost::json::kind::uint64: out += std::to_string(v.get_uint64()); break;
    case boost::json::kind::double_: go_float(out, v.get_double()); break;
    case boost::json::kind::string: go_string(out, v.get_string()); break;
    case boost::json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first) out += ',';
        first = false;
        write(out, e);
      }
      out += ']';
      break;
    }
    case boost::json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out += ',';
        first = false;
        go_string(out, kv.key());
        out += ':';
        write(out, kv.value());
      }
      out += '}';
      break;
    }
  }
}

}  // namespace

std::string go_time(std::chrono::system_clock::time_point t) {
  // RFC 3339 with milliseconds, then Go's RFC3339Nano trims trailing zeros.
  auto s = rfc3339(t);  // 2026-12-05T05:10:11.120Z
  auto dot = s.find('.');
  if (dot == std::string::npos) return s;
  auto z = s.find('Z', dot);
  std::string frac = s.substr(dot + 1, z - dot - 1);
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  return s.substr(0, dot) + (frac.empty() ? "" : "." + frac) + "Z";
}

std::string go_json(const boost::json::value& v) {
  std::string out;
  write(out, v);
  return out;
}

}  // namespace relaymock::http
