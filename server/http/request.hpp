// What every resource handler reads requests and writes responses with:
// query strings, JSON bodies that refuse unknown fields, JSON responses with
// valid UTF-8, and the control API's error shape ({"error": "..."}).
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace relaymock::http {

namespace beast_http = boost::beast::http;
using Request = beast_http::request<beast_http::string_body>;
using Response = beast_http::response<beast_http::string_body>;
using beast_http::status;

// A response that keeps the connection: server-sent events or a WebSocket.
// The handler leaves one of these; the listener, having no other answer to
// write, hands it the connection (the stream, what is buffered after the
// request, the request) and closes the connection when it returns.
using Takeover = std::function<boost::asio::awaitable<void>(boost::beast::tcp_stream&, boost::beast::flat_buffer&,
                                                            const Request&)>;

// Completes only when the client has gone (end of stream, reset, or the
// socket closed by stop()); what it sends meanwhile stays in `buffer`.
// Raced against a wait (a long-poll, a live stream) to end it.
boost::asio::awaitable<void> client_gone(boost::beast::tcp_stream& stream, boost::beast::flat_buffer& buffer);

// Header fields Beast 1.81 has no enum for.
inline constexpr const char* kContentSecurityPolicy = "Content-Security-Policy";
inline constexpr const char* kContentTypeOptions = "X-Content-Type-Options";
inline constexpr const char* kReferrerPolicy = "Referrer-Policy";

inline constexpr auto kMaxWait = std::chrono::minutes(5);
inline constexpr std::size_t kMaxLimit = 1000;

// Strings from clients (headers, envelopes, transcripts) may hold any bytes;
// JSON must be UTF-8. Invalid sequences become U+FFFD.
std::string utf8_clean(std::string_view s);

// A JSON response (strings made valid UTF-8), and one of any type.
Response json_response(status st, boost::json::value v, unsigned version);
Response make_response(status st, std::string body, std::string_view type, unsigned version);
// The control API's error: {"error": message}.
Response error_response(status st, const std::string& message, unsigned version);

// Percent-decoding of a query component ('+' is a space). False if malformed.
bool url_decode(std::string_view in, std::string& out);

// A query string split into decoded pairs; nullopt (and `problem`) if malformed
// or a name is given twice.
std::optional<std::map<std::string, std::string>> parse_query(std::string_view q, std::string& problem);

// The query parameters of one request, read and checked.
struct Query {
  std::map<std::string, std::string> values;
  std::string problem;  // set by a check that failed

  bool has(const char* k) const { return values.count(k) != 0; }
  std::string text(const char* k) const;
  // Absent: `out` untouched. Otherwise a whole number in [min, max].
  bool number(const char* k, std::uint64_t& out, std::uint64_t min, std::uint64_t max);
  // wait=<duration> up to kMaxWait.
  bool wait(std::chrono::milliseconds& out);
};

// A JSON object body whose fields are all in `allowed`; an empty body is {}
// when `optional`. nullopt and `problem` otherwise.
std::optional<boost::json::object> body_object(const Request& req, std::initializer_list<const char*> allowed,
                                               bool optional, std::string& problem);

// A config entry sent to the control API (a scenario, an outcome rule):
// YAML as the config writes it when the Content-Type says YAML, else a JSON
// object. Whether it is YAML; `problem` set when JSON that is not an object.
bool config_entry_body(const Request& req, std::string& problem);

// A Content-Disposition value with a file name any browser reads safely:
// an ASCII fallback (quotes, backslashes and control characters replaced)
// and RFC 5987's filename* for the name as it is.
std::string content_disposition(std::string_view type, std::string_view filename);

// Go's url.PathEscape: everything but unreserved characters and
// !$&'()*+,;=:@ percent-encoded.
std::string path_escape(std::string_view s);

// "1.500" for 1500 ms.
std::string seconds_text(std::chrono::milliseconds d);

}  // namespace relaymock::http
