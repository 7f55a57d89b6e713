// MailHog's API (MailHog-Server api/v1.go, api/v2.go) on a listener of its
// own (compat.mailhog.listen), over relaymock's one store and bus: its
// message shape (mailhog/data: the envelope as Paths, Content with a header
// map, MIME parts split at the boundary, Raw), its ids, status codes and
// empty error answers, so that a test suite written for MailHog switches
// with one config line. One file per resource (mailhog_*.cpp).
#pragma once
#include <optional>
#include <string>

#include "http/mailhog_message.hpp"
#include "http/route.hpp"
#include "store/mail_store.hpp"

namespace relaymock::http::mailhog {

std::span<const Route> routes();

using Handled = boost::asio::awaitable<Response>;

// The relaymock id a MailHog id names, if kept.
std::optional<std::string> resolve(Call& c, const std::string& mailhog_id);
// Go's json.Marshal answer (no newline) with MailHog's content type.
Response json_answer(Call& c, const boost::json::value& v, const char* type = "application/json");
Response empty(Call& c, status st, const char* type = "text/json");

Handled v1_messages(Call&);
Handled v1_delete_all(Call&);
Handled v1_message(Call&);
Handled v1_delete_one(Call&);
Handled v1_download(Call&);
Handled v1_download_part(Call&);
Handled v1_release(Call&);
Handled v1_events(Call&);
Handled v2_messages(Call&);
Handled v2_search(Call&);
Handled v2_jim(Call&);
Handled v2_create_jim(Call&);
Handled v2_update_jim(Call&);
Handled v2_delete_jim(Call&);
Handled v2_outgoing_smtp(Call&);
Handled v2_websocket(Call&);

// -invite-jim: Jim starts with MailHog's defaults.
void invite_jim(ApiContext& ctx);

}  // namespace relaymock::http::mailhog
