// Mailpit's application endpoints: /api/v1/info, /api/v1/webui, Chaos
// (mapped onto relaymock scenarios), tags, and the health checks.
#include <boost/json.hpp>
#include <fstream>
#include <random>

#include "http/compat_ids.hpp"
#include "http/mailpit.hpp"
#include "http/mailpit_body.hpp"
#include "relay/tags.hpp"
#include "store/codec.hpp"

namespace relaymock::http::mailpit {

namespace json = boost::json;

namespace {

std::uint64_t rss_bytes() {
  std::ifstream in("/proc/self/statm");
  std::uint64_t pages = 0, resident = 0;
  in >> pages >> resident;
  return resident * 4096;
}

}  // namespace

Handled info(Call& c) {
  const auto& m = c.ctx.metrics;
  json::object tags;
  for (const auto& t : c.ctx.mail.all_tags()) {
    auto count = c.ctx.mail.select(
        [&t](const store::MessageView& v) { return std::find(v.tags.begin(), v.tags.end(), t) != v.tags.end(); }, 0, 0);
    tags[t] = count.total;
  }
  auto uptime = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - m.started).count();
  json::object o;
  o["Version"] = std::string("relaymock-") + RELAYMOCK_VERSION;
  o["LatestVersion"] = std::string("relaymock-") + RELAYMOCK_VERSION;
  o["Database"] = c.ctx.durable ? c.ctx.durable->path() : std::string();
  o["DatabaseSize"] = static_cast<std::uint64_t>(c.ctx.mail.bytes());
  o["Messages"] = static_cast<std::uint64_t>(c.ctx.mail.size());
  o["Unread"] = static_cast<std::uint64_t>(c.ctx.mail.unread());
  o["Tags"] = tags;
  o["RuntimeStats"] = json::object{{"Uptime", static_cast<std::uint64_t>(uptime)},
                                   {"Memory", rss_bytes()},
                                   {"MessagesDeleted", static_cast<std::uint64_t>(m.messages_deleted_total.load())},
                                   {"SMTPAccepted", static_cast<std::uint64_t>(m.messages_accepted_total.load())},
                                   {"SMTPAcceptedSize", static_cast<std::uint64_t>(m.accepted_bytes_total.load())},
                                   {"SMTPRejected", static_cast<std::uint64_t>(m.decisions_refused_total.load())},
                                   {"SMTPIgnored", 0.0}};
  co_return answer_json(c, o);
}

Handled webui(Call& c) {
  const auto& mp = c.ctx.engine.config()->compat.mailpit;
  const auto& r = mp.relay;
  json::object relay{{"Enabled", !r.host.empty()},
                     {"SMTPServer", r.host.empty() ? std::string() : r.host + ":" + std::to_string(r.port)},
                     {"ReturnPath", r.return_path},
                     {"AllowedRecipients", r.allowed_recipients ? r.allowed_recipients->text() : std::string()},
                     {"BlockedRecipients", r.blocked_recipients ? r.blocked_recipients->text() : std::string()},
                     {"OverrideFrom", r.override_from},
                     {"PreserveMessageIDs", false},
                     {"RecipientAllowlist", r.allowed_recipients ? r.allowed_recipients->text() : std::string()}};
  json::object o{{"Label", mp.label},
                 {"MessageRelay", relay},
                 {"SpamAssassin", !mp.spamassassin.empty()},
                 {"ChaosEnabled", mp.chaos},
                 {"DuplicatesIgnored", false},
                 {"HideDeleteAllButton", false}};
  co_return answer_json(c, o);
}

// ---- Chaos: each trigger is a scenario of relaymock's ------------------------

namespace {

struct Trigger {
  const char* key;       // Mailpit's name
  const char* scenario;  // relaymock's scenario
  Stage stage;
  int default_code;
  const char* text;      // Mailpit's reply text
};
constexpr Trigger kTriggers[] = {
    {"Sender", "mailpit-chaos-sender", Stage::Mail, 451, "Chaos sender error"},
    {"Recipient", "mailpit-chaos-recipient", Stage::Rcpt, 451, "Chaos recipient error"},
    {"Authentication", "mailpit-chaos-authentication", Stage::Auth, 535, "Chaos authentication error"},
};

json::object chaos_json(Call& c) {
  json::object o;
  auto list = c.ctx.scenarios.list();
  for (const auto& t : kTriggers) {
    int code = t.default_code, probability = 0;
    for (const auto& s : list)
      if (s.scenario.name == t.scenario) {
        if (s.scenario.reply) code = s.scenario.reply->code;
        probability = static_cast<int>(std::lround(s.scenario.probability.value_or(0) * 100));
      }
    o[t.key] = json::object{{"ErrorCode", code}, {"Probability", probability}};
  }
  return o;
}

}  // namespace

Handled get_chaos(Call& c) {
  if (!c.ctx.engine.config()->compat.mailpit.chaos) co_return text_error(c, "Chaos is not enabled");
  co_return answer_json(c, chaos_json(c));
}

Handled set_chaos(Call& c) {
  if (!c.ctx.engine.config()->compat.mailpit.chaos) co_return text_error(c, "Chaos is not enabled");
  GoBody body(c.req.body());
  if (!body.ok()) co_return text_error(c, body.error());
  struct Wanted {
    long long code, probability;
  };
  std::vector<Wanted> wanted;
  for (const auto& t : kTriggers) {
    const json::object* o = nullptr;
    if (!body.object(t.key, o)) co_return text_error(c, body.error());
    long long code = 0, probability = 0;
    if (o) {
      for (auto [field, out] : {std::pair<const char*, long long*>{"ErrorCode", &code}, {"Probability", &probability}}) {
        auto* v = GoBody::find_in(*o, field);
        if (!v || v->is_null()) continue;
        if (!v->is_int64() && !v->is_uint64())
          co_return text_error(c, "json: cannot unmarshal " + GoBody::type_name(*v) + " into Go struct field Trigger." +
                                      t.key + "." + field + " of type int");
        *out = v->is_int64() ? v->as_int64() : static_cast<long long>(std::min<std::uint64_t>(v->as_uint64(), INT64_MAX));
      }
    }
    if (code == 0) code = t.default_code;
    if (code < 400 || code > 599) co_return text_error(c, "error code must be between 400 and 599");
    if (probability < 0 || probability > 100) co_return text_error(c, "probability must be between 0 and 100");
    wanted.push_back({code, probability});
  }
  std::random_device rd;
  for (std::size_t i = 0; i < std::size(kTriggers); ++i) {
    const auto& t = kTriggers[i];
    c.ctx.scenarios.remove(t.scenario);
    if (wanted[i].probability == 0) continue;
    config::Scenario s;
    s.name = t.scenario;
    s.stage = t.stage;
    s.probability = static_cast<double>(wanted[i].probability) / 100.0;
    s.seed = (static_cast<std::uint64_t>(rd()) << 32) | rd();
    s.reply = Reply{static_cast<int>(wanted[i].code), "", t.text};
    c.ctx.scenarios.add(std::move(s));
  }
  c.ctx.service.scenarios_changed();
  co_return answer_json(c, chaos_json(c));
}

// ---- Tags --------------------------------------------------------------------

Handled get_tags(Call& c) {
  json::array a;
  for (const auto& t : c.ctx.mail.all_tags()) a.emplace_back(t);
  co_return answer_json(c, a);
}

Handled set_tags(Call& c) {
  GoBody body(c.req.body());
  if (!body.ok()) co_return text_error(c, body.error());
  std::vector<std::string> ids, tags;
  if (!body.strings("IDs", ids) || !body.strings("Tags", tags)) co_return text_error(c, body.error());
  for (const auto& id : ids)
    if (auto real = c.ctx.mail.resolve_alias(id)) c.ctx.service.set_tags(*real, tags);
  co_return ok_text(c);
}

Handled rename_tag(Call& c) {
  GoBody body(c.req.body());
  if (!body.ok()) co_return text_error(c, body.error());
  std::string name;
  if (!body.string("Name", name)) co_return text_error(c, body.error());
  auto cleaned = relay::clean_tag(name);
  if (!cleaned) co_return text_error(c, "invalid tag name");
  c.ctx.service.rename_tag(c.params[0], *cleaned);
  co_return ok_text(c);
}

Handled delete_tag(Call& c) {
  c.ctx.service.rename_tag(c.params[0], "");
  co_return ok_text(c);
}

// ---- Health ------------------------------------------------------------------

Handled livez(Call& c) { co_return make_response(status::ok, "", "text/plain", c.version()); }

Handled readyz(Call& c) {
  if (!c.ctx.ready.load()) co_return make_response(status::service_unavailable, "", "text/plain", c.version());
  co_return make_response(status::ok, "", "text/plain", c.version());
}

}  // namespace relaymock::http::mailpit
