// A JSON request body read as Go's encoding/json reads it into a struct, for
// the Go servers relaymock stands in for (Mailpit, MailHog): field names
// match without case, unknown fields are ignored, an empty body is "EOF",
// and a value of the wrong type is an error in Go's words.
#pragma once
#include <boost/json/value.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relaymock::http {

class GoBody {
 public:
  explicit GoBody(std::string_view text);
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const boost::json::value& root() const { return root_; }

  // Each leaves `out` alone when the field is absent or null; false (and
  // error()) when it has another type.
  bool string(std::string_view field, std::string& out);
  bool boolean(std::string_view field, bool& out);
  bool integer(std::string_view field, long long& out);
  bool strings(std::string_view field, std::vector<std::string>& out);
  bool object(std::string_view field, const boost::json::object*& out);
  bool array(std::string_view field, const boost::json::array*& out);
  // The field's value, matched without case (Go's rule), or null.
  const boost::json::value* find(std::string_view field) const;

  // For a nested object read the same way.
  static const boost::json::value* find_in(const boost::json::object& o, std::string_view field);
  static std::string type_name(const boost::json::value& v);

 private:
  bool mismatch(std::string_view field, const boost::json::value& v, const char* go_type);
  boost::json::value root_;
  std::string error_;
};

}  // namespace relaymock::http
