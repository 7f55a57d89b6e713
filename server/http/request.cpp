#include "http/request.hpp"

#include <boost/json.hpp>
#include <cstdio>
#include <set>

#include "util/duration.hpp"
#include "util/hex.hpp"

namespace relaymock::http {

namespace json = boost::json;
using beast_http::field;

namespace {

std::optional<std::uint64_t> parse_uint(const std::string& s, std::uint64_t max) {
  if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  auto v = std::stoull(s);
  if (v > max) return std::nullopt;
  return v;
}

void clean(json::value& v) {
  if (v.is_string()) {
    auto& s = v.as_string();
    std::string_view sv(s.data(), s.size());
    auto c = utf8_clean(sv);
    if (c != sv) s = c;
  } else if (v.is_array()) {
    for (auto& e : v.as_array()) clean(e);
  } else if (v.is_object()) {
    for (auto& kv : v.as_object()) clean(kv.value());
  }
}

}  // namespace

std::string utf8_clean(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = len > 0 && i + static_cast<std::size_t>(len) <= s.size();
    for (int k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) >> 6) == 2;
    if (ok && len == 2 && c < 0xC2) ok = false;  // overlong
    if (ok && len == 3) {
      auto c1 = static_cast<unsigned char>(s[i + 1]);
      if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0)) ok = false;  // overlong, surrogates
    }
    if (ok && len == 4) {
      auto c1 = static_cast<unsigned char>(s[i + 1]);
      if ((c == 0xF0 && c1 < 0x90) || c > 0xF4 || (c == 0xF4 && c1 >= 0x90)) ok = false;
    }
    if (ok) {
      out.append(s.substr(i, static_cast<std::size_t>(len)));
      i += static_cast<std::size_t>(len);
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

bool url_decode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= in.size() || !std::isxdigit(static_cast<unsigned char>(in[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(in[i + 2])))
        return false;
      out += static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += c;
    }
  }
  return true;
}

Response make_response(status st, std::string body, std::string_view type, unsigned version) {
  Response res{st, version};
  res.set(field::server, "relaymock");
  res.set(field::content_type, type);
  res.set(field::cache_control, "no-store");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response json_response(status st, json::value v, unsigned version) {
  clean(v);
  return make_response(st, json::serialize(v) + "\n", "application/json", version);
}

Response error_response(status st, const std::string& message, unsigned version) {
  return json_response(st, json::object{{"error", message}}, version);
}

std::optional<std::map<std::string, std::string>> parse_query(std::string_view q, std::string& problem) {
  std::map<std::string, std::string> out;
  while (!q.empty()) {
    auto amp = q.find('&');
    auto part = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (part.empty()) continue;
    auto eq = part.find('=');
    std::string k, v;
    if (!url_decode(part.substr(0, eq), k) ||
        !url_decode(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1), v)) {
      problem = "malformed percent-encoding in the query string";
      return std::nullopt;
    }
    if (out.count(k)) {
      problem = "query parameter '" + k + "' given twice";
      return std::nullopt;
    }
    out[k] = v;
  }
  return out;
}

std::string Query::text(const char* k) const {
  auto it = values.find(k);
  return it == values.end() ? std::string() : it->second;
}

bool Query::number(const char* k, std::uint64_t& out, std::uint64_t min, std::uint64_t max) {
  auto it = values.find(k);
  if (it == values.end()) return true;
  auto v = parse_uint(it->second, max);
  if (!v || *v < min) {
    problem = std::string(k) + " must be a whole number from " + std::to_string(min) + " to " + std::to_string(max) +
              ", not '" + it->second + "'";
    return false;
  }
  out = *v;
  return true;
}

bool Query::wait(std::chrono::milliseconds& out) {
  auto it = values.find("wait");
  if (it == values.end()) return true;
  auto d = parse_duration(it->second);
  if (!d || *d > kMaxWait) {
    problem = "wait must be a duration up to 5m such as 500ms, 10s or 1m, not '" + it->second + "'";
    return false;
  }
  out = *d;
  return true;
}

std::optional<json::object> body_object(const Request& req, std::initializer_list<const char*> allowed,
                                        bool optional, std::string& problem) {
  if (req.body().empty()) {
    if (optional) return json::object{};
    problem = "a JSON object body is required";
    return std::nullopt;
  }
  boost::system::error_code ec;
  auto v = json::parse(req.body(), ec);
  if (ec) {
    problem = "malformed JSON: " + ec.message();
    return std::nullopt;
  }
  if (!v.is_object()) {
    problem = "the body must be a JSON object";
    return std::nullopt;
  }
  std::set<std::string> ok(allowed.begin(), allowed.end());
  for (const auto& kv : v.as_object())
    if (!ok.count(std::string(kv.key()))) {
      problem = "unknown field '" + std::string(kv.key()) + "'";
      return std::nullopt;
    }
  return v.as_object();
}

bool config_entry_body(const Request& req, std::string& problem) {
  auto type = req[beast_http::field::content_type];
  if (type.starts_with("application/yaml") || type.starts_with("text/yaml") || type.starts_with("application/x-yaml"))
    return true;
  boost::system::error_code ec;
  auto parsed = json::parse(req.body(), ec);
  if (ec) problem = "malformed JSON: " + ec.message();
  else if (!parsed.is_object()) problem = "the body must be a JSON object";
  return false;
}

std::string content_disposition(std::string_view type, std::string_view filename) {
  std::string ascii, encoded;
  for (unsigned char c : filename) {
    bool plain = c >= 0x20 && c < 0x7F && c != '"' && c != '\\' && c != '/' && c != ';' && c != '%';
    ascii += plain ? static_cast<char>(c) : '_';
    bool attr = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
                c == '_' || c == '~';
    if (attr) {
      encoded += static_cast<char>(c);
    } else {
      encoded += '%';
      append_hex(encoded, c, true);
    }
  }
  if (ascii.size() > 200) ascii.resize(200);
  return std::string(type) + "; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

std::string path_escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                std::string_view("-_.~!$&'()*+,;=:@").find(static_cast<char>(c)) != std::string_view::npos;
    if (keep) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      append_hex(out, c, true);
    }
  }
  return out;
}

std::string seconds_text(std::chrono::milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

}  // namespace relaymock::http
