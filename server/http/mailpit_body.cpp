#include "http/mailpit_body.hpp"

#include <boost/json.hpp>

#include "util/strings.hpp"

namespace relaymock::http {

namespace json = boost::json;

GoBody::GoBody(std::string_view text) {
  if (trim(text).empty()) {
    error_ = "EOF";
    return;
  }
  boost::system::error_code ec;
  root_ = json::parse(text, ec);
  if (ec) {
    error_ = "invalid JSON: " + ec.message();
    return;
  }
  if (!root_.is_object()) error_ = "json: cannot unmarshal " + type_name(root_) + " into Go value of type struct";
}

std::string GoBody::type_name(const json::value& v) {
  if (v.is_string()) return "string";
  if (v.is_bool()) return "bool";
  if (v.is_array()) return "array";
  if (v.is_object()) return "object";
  if (v.is_null()) return "null";
  return "number";
}

const json::value* GoBody::find_in(const json::object& o, std::string_view field) {
  if (auto* exact = o.if_contains(field)) return exact;
  for (const auto& kv : o)
    if (iequals(std::string_view(kv.key().data(), kv.key().size()), field)) return &kv.value();
  return nullptr;
}

const json::value* GoBody::find(std::string_view field) const {
  if (!root_.is_object()) return nullptr;
  return find_in(root_.as_object(), field);
}

bool GoBody::mismatch(std::string_view field, const json::value& v, const char* go_type) {
  error_ = "json: cannot unmarshal " + type_name(v) + " into Go struct field ." + std::string(field) + " of type " + go_type;
  return false;
}

bool GoBody::string(std::string_view field, std::string& out) {
  auto* v = find(field);
  if (!v || v->is_null()) return true;
  if (!v->is_string()) return mismatch(field, *v, "string");
  out = std::string(v->as_string());
  return true;
}

bool GoBody::boolean(std::string_view field, bool& out) {
  auto* v = find(field);
  if (!v || v->is_null()) return true;
  if (!v->is_bool()) return mismatch(field, *v, "bool");
  out = v->as_bool();
  return true;
}

bool GoBody::integer(std::string_view field, long long& out) {
  auto* v = find(field);
  if (!v || v->is_null()) return true;
  if (v->is_int64()) out = v->as_int64();
  else if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) out = static_cast<long long>(v->as_uint64());
  else return mismatch(field, *v, "int");
  return true;
}

bool GoBody::strings(std::string_view field, std::vector<std::string>& out) {
  auto* v = find(field);
  if (!v || v->is_null()) return true;
  if (!v->is_array()) return mismatch(field, *v, "[]string");
  std::vector<std::string> got;
  for (const auto& x : v->as_array()) {
    if (!x.is_string()) return mismatch(field, x, "string");
    got.emplace_back(x.as_string());
  }
  out = std::move(got);
  return true;
}

bool GoBody::object(std::string_view field, const json::object*& out) {
  auto* v = find(field);
  if (!v || v->is_null()) return true;
  if (!v->is_object()) return mismatch(field, *v, "struct");
  out = &v->as_object();
  return true;
}

bool GoBody::array(std::string_view field, const json::array*& out) {
  auto* v = find(field);
  if (!v || v->is_null()) return true;
  if (!v->is_array()) return mismatch(field, *v, "[]struct");
  out = &v->as_array();
  return true;
}

}  // namespace relaymock::http
