// JSON written as Go's encoding/json writes it, for the Go servers
// relaymock stands in for (Mailpit, MailHog): numbers as strconv writes a
// float64 (15, 5.3, 1e+21; never 1.5E1), and strings with <, > and &
// escaped (\u003c ...), as Encoder does by default. Clients that parse
// strictly (a Go struct with an int field) read it as they read the real one.
#pragma once
#include <boost/json/value.hpp>
#include <chrono>
#include <string>

namespace relaymock::http {

std::string go_json(const boost::json::value& v);

// Go's time.Time in JSON (RFC 3339 with the fraction's trailing zeros cut).
std::string go_time(std::chrono::system_clock::time_point t);

}  // namespace relaymock::http
