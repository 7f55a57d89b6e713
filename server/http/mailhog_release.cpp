// MailHog's POST /api/v1/messages/{id}/release: the message (as MailHog
// writes it out) sent to the SMTP server the request names, from
// nobody@<hostname>, with PLAIN or CRAM-MD5 when a username is given; named
// servers saved with "Save" are kept for this process (/api/v2/outgoing-smtp).
// MailHog answers with a status only: 200, 400 (a bad mechanism, an unknown
// or taken name), 500 (the body, or the SMTP exchange, failed).
#include <boost/json.hpp>
#include <map>
#include <mutex>

#include "http/mailhog.hpp"
#include "http/mailpit_body.hpp"
#include "http/offload.hpp"
#include "http/smtp_client.hpp"
#include "util/log.hpp"

namespace relaymock::http::mailhog {

namespace json = boost::json;

namespace {

// config.OutgoingSMTP: every field a string, as MailHog reads them.
struct Outgoing {
  std::string name, save, email, host, port, username, password, mechanism;
};

struct Saved {
  std::mutex mutex;
  std::map<std::string, Outgoing> servers;
};
Saved& saved() {
  static Saved s;
  return s;
}

json::object outgoing_json(const Outgoing& o) {
  return json::object{{"Name", o.name},         {"Save", false},           {"Email", o.email},
                      {"Host", o.host},         {"Port", o.port},          {"Username", o.username},
                      {"Password", o.password}, {"Mechanism", o.mechanism}};
}

}  // namespace

Handled v1_release(Call& c) {
  auto real = resolve(c, c.params[0]);
  auto l = real ? c.ctx.mail.listed(*real) : std::nullopt;
  auto raw = l ? c.ctx.mail.content(*real) : std::nullopt;
  if (!l || !raw) co_return make_response(status::not_found, "404 page not found\n", "text/plain; charset=utf-8", c.version());
  GoBody body(c.req.body());
  Outgoing o;
  bool save = false;
  if (!body.ok() || !body.string("Name", o.name) || !body.boolean("Save", save) || !body.string("Email", o.email) ||
      !body.string("Host", o.host) || !body.string("Port", o.port) || !body.string("Username", o.username) ||
      !body.string("Password", o.password) || !body.string("Mechanism", o.mechanism))
    co_return make_response(status::internal_server_error, "Error decoding request body", "text/json", c.version());
  {
    std::lock_guard lock(saved().mutex);
    auto& servers = saved().servers;
    if (save) {
      if (servers.count(o.name)) co_return empty(c, status::bad_request);
      servers[o.name] = o;
    }
    if (!o.name.empty()) {
      auto it = servers.find(o.name);
      if (it == servers.end()) co_return empty(c, status::bad_request);
      const auto& s = it->second;
      if (o.email.empty()) o.email = s.email;
      o.host = s.host;
      o.port = s.port;
      o.username = s.username;
      o.password = s.password;
      o.mechanism = s.mechanism;
    }
  }
  if ((!o.username.empty() || !o.password.empty()) && o.mechanism != "PLAIN" && o.mechanism != "CRAMMD5")
    co_return empty(c, status::bad_request);
  unsigned long port = 0;
  try {
    std::size_t used = 0;
    port = std::stoul(o.port, &used);
    if (used != o.port.size() || port == 0 || port > 65535) port = 0;
  } catch (...) {
    port = 0;
  }
  const auto& hostname = c.ctx.engine.config()->compat.mailhog.hostname;
  if (o.host.empty() || port == 0 || o.email.empty()) co_return empty(c, status::internal_server_error);
  auto built = build(*l->message, *raw, hostname);
  SmtpTarget target;
  target.host = o.host;
  target.port = static_cast<std::uint16_t>(port);
  target.username = o.username;
  target.password = o.password;
  target.helo = hostname;
  auto job = [target, from = "nobody@" + hostname, to = o.email, msg = serialized(built)]() mutable {
    return smtp_send(target, from, {to}, std::move(msg));
  };
  auto error = co_await offload(c.ctx.workers, std::move(job));
  if (!error.empty()) {
    logger().warning("mailhog release failed", {{"host", o.host}, {"error", error}});
    co_return empty(c, status::internal_server_error);
  }
  co_return empty(c, status::ok);
}

Handled v2_outgoing_smtp(Call& c) {
  json::object all;
  std::lock_guard lock(saved().mutex);
  for (const auto& [name, o] : saved().servers) all[name] = outgoing_json(o);
  co_return json_answer(c, all);
}

}  // namespace relaymock::http::mailhog
