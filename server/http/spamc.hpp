// A SpamAssassin spamd client (the SPAMC/1.5 REPORT request,
// spamd/PROTOCOL), for Mailpit's /sa-check: one connection per check,
// bounded by a deadline, on the caller's executor.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "http/spamd_report.hpp"

namespace relaymock::http {

// `service`: "host:port".
boost::asio::awaitable<SpamReport> spamc_report(std::string service, std::string message,
                                                std::chrono::seconds timeout = std::chrono::seconds(8));


}  // namespace relaymock::http
