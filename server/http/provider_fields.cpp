#include "http/provider_fields.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "util/dates.hpp"

namespace relaymock::http {

namespace json = boost::json;

std::optional<Failure> only_fields(const json::object& body, std::initializer_list<std::string_view> allowed) {
  for (const auto& kv : body)
    if (std::find(allowed.begin(), allowed.end(), kv.key()) == allowed.end())
      return field_error(std::string(kv.key()), std::string(kv.key()) + " is not a field relaymock reads here");
  return std::nullopt;
}

std::optional<std::string> text_field(const json::object& body, const char* name, Failure& bad) {
  auto* v = body.if_contains(name);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_string()) {
    bad = field_error(name, std::string(name) + " must be a string");
    return std::string();
  }
  return std::string(v->as_string());
}

std::optional<std::vector<std::string>> strings_field(const json::object& body, const char* name, Failure& bad,
                                                      std::size_t max) {
  auto* v = body.if_contains(name);
  if (!v || v->is_null()) return std::nullopt;
  std::vector<std::string> out;
  if (v->is_string()) {
    out.emplace_back(v->as_string());
    return out;
  }
  if (!v->is_array() || v->as_array().size() > max) {
    bad = field_error(name, std::string(name) + " must be a list of at most " + std::to_string(max) + " strings");
    return out;
  }
  for (const auto& x : v->as_array()) {
    if (!x.is_string()) {
      bad = field_error(name, std::string(name) + " must be a list of strings");
      return out;
    }
    out.emplace_back(x.as_string());
  }
  return out;
}

bool bool_field(const json::object& body, const char* name, bool otherwise, Failure& bad) {
  auto* v = body.if_contains(name);
  if (!v || v->is_null()) return otherwise;
  if (!v->is_bool()) {
    bad = field_error(name, std::string(name) + " must be true or false");
    return otherwise;
  }
  return v->as_bool();
}

std::optional<TimePoint> provider_date(std::string_view s, bool end_of_day) {
  if (s.size() == 10) {
    auto t = parse_rfc3339(std::string(s) + "T00:00:00Z");
    if (t && end_of_day) *t += std::chrono::hours(24);
    return t;
  }
  if (s.size() < 19 || (s[10] != ' ' && s[10] != 'T')) return std::nullopt;
  std::string text(s);
  text[10] = 'T';
  // No offset given: UTC.
  const auto zone = text.find_first_of("Zz+-", 19);
  if (zone == std::string::npos) text += 'Z';
  return parse_rfc3339(text);
}

}  // namespace relaymock::http
