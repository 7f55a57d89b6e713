// Mailpit's POST /api/v1/message/{ID}/release (server/apiv1/release.go):
// the stored message sent on through compat.mailpit.relay, checked and
// edited as Mailpit does (its allowlist and blocklist, Bcc removed,
// Return-Path, a new Date and Message-ID). The route exists only when a
// relay is configured, as in Mailpit.
#include <boost/json.hpp>

#include "http/header_edit.hpp"
#include "http/mailpit.hpp"
#include "http/mailpit_body.hpp"
#include "http/offload.hpp"
#include "http/smtp_client.hpp"
#include "util/dates.hpp"
#include "util/random.hpp"
#include "util/strings.hpp"

namespace relaymock::http::mailpit {

namespace {

// net/mail.ParseAddress's answer: one address, with or without a name.
std::optional<std::string> one_address(const std::string& s) {
  auto list = mime::address_list(s);
  if (list.size() != 1 || !parse_plain_address(list[0])) return std::nullopt;
  return list[0];
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

Handled release(Call& c) {
  auto cfg = c.ctx.engine.config();
  const auto& relay = cfg->compat.mailpit.relay;
  if (relay.host.empty()) co_return not_found(c);  // no relay: no route
  std::optional<Response> failed;
  auto loaded = load(c, failed);
  if (!loaded) co_return std::move(*failed);

  GoBody body(c.req.body());
  if (!body.ok()) co_return text_error(c, body.error());
  std::vector<std::string> to;
  if (!body.strings("To", to)) co_return text_error(c, body.error());
  std::vector<std::string> blocked, not_allowed, addresses;
  for (const auto& t : to) {
    auto a = one_address(t);
    if (!a) co_return text_error(c, "Invalid email address: " + t);
    if (relay.allowed_recipients && !relay.allowed_recipients->search(*a)) {
      not_allowed.push_back(t);
      continue;
    }
    if (relay.blocked_recipients && relay.blocked_recipients->search(*a)) {
      blocked.push_back(t);
      continue;
    }
    addresses.push_back(*a);
  }
  auto plural = [](std::size_t n) { return n == 1 ? "Address" : "Addresses"; };
  if (!not_allowed.empty())
    co_return text_error(c, std::string("Failed: ") + plural(not_allowed.size()) +
                                " do not match the allowlist: " + joined(not_allowed));
  if (!blocked.empty())
    co_return text_error(c, std::string("Failed: ") + plural(blocked.size()) + " found on blocklist: " + joined(blocked));
  if (to.empty()) co_return text_error(c, "No valid addresses found");

  std::string msg = std::move(loaded->stored);
  auto headers = mime::raw_headers(msg);
  auto from_list = mime::address_list(mime::header_value(headers, "From"));
  if (from_list.empty()) co_return text_error(c, "No From header found");
  std::string from = from_list[0];
  if (auto sender = mime::address_list(mime::header_value(headers, "Sender")); !sender.empty()) from = sender[0];
  msg = remove_headers(msg, {"Bcc"});
  if (!relay.return_path.empty()) {
    msg = set_header(msg, "Return-Path", "<" + relay.return_path + ">");
    from = relay.return_path;
  }
  if (!relay.override_from.empty()) from = relay.override_from;
  msg = set_header(msg, "Date", rfc5322_date(c.ctx.clock.now()));
  msg = set_header(msg, "Message-ID", "<" + random_token(22) + "@mailpit>");

  SmtpTarget target{relay.host, relay.port, relay.starttls, relay.tls, relay.allow_insecure,
                    relay.username, relay.password, cfg->server.hostname};
  auto job = [target, from, addresses, msg = std::move(msg)]() mutable {
    return smtp_send(target, from, addresses, std::move(msg));
  };
  auto error = co_await offload(c.ctx.workers, std::move(job));
  if (!error.empty()) co_return text_error(c, "SMTP error: " + error);
  co_return ok_text(c);
}

}  // namespace relaymock::http::mailpit
