#include "http/provider_errors.hpp"

#include <boost/json.hpp>
#include <cstdio>
#include <random>

namespace relaymock::http {

namespace json = boost::json;
using beast_http::status;

std::string uuid4() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uint64_t a = rng(), b = rng();
  a = (a & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;  // version 4
  b = (b & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;  // variant 10
  char out[37];
  std::snprintf(out, sizeof out, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0xFFFF),
                static_cast<unsigned>(b >> 48), static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFull));
  return out;
}

Failure field_error(std::string field, std::string message) {
  return Failure{status::bad_request, std::move(message), kNonValidating, std::move(field)};
}

Response failure_response(const Failure& f, const std::string& request_id, unsigned v) {
  json::object data{{"error", f.error}, {"error_code", f.code}};
  if (f.code == kNonValidating)
    data["field_validation_errors"] = json::object{{"fieldname", f.field}, {"message", f.error}};
  return json_response(f.http, json::object{{"request_id", request_id}, {"data", data}}, v);
}

}  // namespace relaymock::http
