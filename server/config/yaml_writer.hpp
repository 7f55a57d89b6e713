// The running config written back out as a config file: the file it was
// read from, with the account's sections (account's senders and domains,
// smtp_users, ip_auth, api_keys) as they are now, after the account API's
// changes. Loading the result gives the same account.
#pragma once
#include <string>

#include "config/config.hpp"

namespace relaymock::config {

// `header` goes first as a comment (each line prefixed with "# ").
std::string config_yaml(const Config& running, const std::string& header);

}  // namespace relaymock::config
