// Mailpit's API v1 (https://mailpit.axllent.org/docs/api-v1/) on a listener
// of its own (compat.mailpit.listen), over relaymock's one store and bus:
// the shapes, ids, status codes and plain-text errors of Mailpit's
// server/apiv1, so that a test suite written for Mailpit switches with one
// config line. The handlers, one file per resource (mailpit_*.cpp).
#pragma once
#include <boost/json/object.hpp>
#include <optional>
#include <string>

#include "http/go_json.hpp"
#include "http/route.hpp"
#include "mime/mime.hpp"
#include "store/derived.hpp"
#include "store/mail_store.hpp"

namespace relaymock::http::mailpit {

std::span<const Route> routes();

using Handled = boost::asio::awaitable<Response>;

// Mailpit's plain-text answers: httpError (400), fourOFour (404), "ok".
Response text_error(Call& c, const std::string& msg);
Response not_found(Call& c);
Response ok_text(Call& c);
Response answer_json(Call& c, const boost::json::value& v);

// A Mailpit id (or "latest", with an optional ?query= search) to the
// message's relaymock id; nullopt with the answer Mailpit gives.
std::optional<std::string> resolve(Call& c, const std::string& id, std::optional<Response>& failed,
                                   bool latest_is_plain_404 = true);

// The message as Mailpit would have stored it: Return-Path set to the
// envelope sender, a Message-ID added when there was none, envelope
// recipients no header names added to Bcc. The API shows this form (its
// raw source, headers and size); relaymock's own API keeps the bytes as
// received.
std::string stored_form(const store::Message& m, std::string_view raw, const store::Derived& d);
// The bytes stored_form adds, without reading the message.
std::size_t stored_extra(const store::Message& m, const store::Derived& d);

// The message an {ID} names, read whole and in its stored form; nullopt
// with the answer Mailpit gives (see resolve; 404 when it is gone).
struct Loaded {
  store::Listed listed;
  std::shared_ptr<const store::Derived> derived;
  std::string stored;
};
std::optional<Loaded> load(Call& c, std::optional<Response>& failed, bool latest_is_plain_404 = true);

boost::json::object summary_json(const store::Listed& l, const store::Derived& d);
// GET /api/v1/message/{ID}: read from the stored form.
boost::json::object message_json(const store::Listed& l, const store::Derived& d, std::string_view stored);

// Mailpit's attachment lists: inline parts (a Content-ID, or shown inline)
// and attachments, each with a file name or a Content-ID.
struct Parts {
  std::vector<mime::Attachment> inlines, attachments;
};
Parts mailpit_parts(const mime::MessageParts& p);

// Handlers.
Handled list_messages(Call&);
Handled set_read(Call&);
Handled delete_messages(Call&);
Handled search(Call&);
Handled delete_search(Call&);
Handled get_message(Call&);
Handled get_headers(Call&);
Handled get_raw(Call&);
Handled get_part(Call&);
Handled get_thumb(Call&);
Handled release(Call&);
Handled html_check(Call&);
Handled link_check(Call&);
Handled sa_check(Call&);
Handled send(Call&);
Handled get_tags(Call&);
Handled set_tags(Call&);
Handled rename_tag(Call&);
Handled delete_tag(Call&);
Handled info(Call&);
Handled webui(Call&);
Handled get_chaos(Call&);
Handled set_chaos(Call&);
Handled view_html(Call&);
Handled view_text(Call&);
Handled events(Call&);
Handled livez(Call&);
Handled readyz(Call&);

}  // namespace relaymock::http::mailpit
