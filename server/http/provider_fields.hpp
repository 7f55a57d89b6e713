// Reading the provider API's JSON bodies, one way for every endpoint that
// takes plain fields (suppression, activity, stats): unknown fields, strings,
// lists of strings, booleans and the provider's date forms, each failure the
// provider's NON_VALIDATING_IN_PAYLOAD naming the field.
#pragma once
#include <boost/json/object.hpp>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/provider_errors.hpp"
#include "util/clock.hpp"

namespace relaymock::http {

// The first field of `body` not in `allowed`.
std::optional<Failure> only_fields(const boost::json::object& body, std::initializer_list<std::string_view> allowed);

// A string field; absent or null: nullopt. Not a string: `bad` is set.
std::optional<std::string> text_field(const boost::json::object& body, const char* name, Failure& bad);

// A list of strings (or one string); absent or null: nullopt.
std::optional<std::vector<std::string>> strings_field(const boost::json::object& body, const char* name, Failure& bad,
                                                      std::size_t max = 1000);

// true or false; absent or null: `otherwise`.
bool bool_field(const boost::json::object& body, const char* name, bool otherwise, Failure& bad);

// The provider's date forms, in UTC unless an offset is given: 2006-01-02,
// 2006-01-02 15:04:05, 2006-01-02T15:04:05[.fraction][Z|+07:00]. A day
// alone is its start, or with `end_of_day` its end.
std::optional<TimePoint> provider_date(std::string_view s, bool end_of_day = false);

}  // namespace relaymock::http
