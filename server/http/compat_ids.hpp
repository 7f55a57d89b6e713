// The ids Mailpit's and MailHog's APIs show for a message, made from
// relaymock's own (deterministic, so the same message always has the same
// one, also after a restart): Mailpit's 22-character short UUID (base57),
// MailHog's 44-character URL-safe base64 "@" its hostname.
#pragma once
#include <string>
#include <string_view>

namespace relaymock::http {

std::string mailpit_id(std::string_view id);
std::string mailhog_id(std::string_view id, std::string_view hostname);

}  // namespace relaymock::http
