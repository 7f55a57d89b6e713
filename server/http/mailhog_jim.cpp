// MailHog's Jim, the chaos monkey (/api/v2/jim), played by relaymock's
// scenarios, so Jim's refusals are recorded and explained like any other:
//   AcceptChance           connect: hang up at once with 1 - AcceptChance
//   DisconnectChance       ehlo, mail, rcpt, data: hang up
//   RejectSenderChance     mail: "550 Invalid sender <sender>"
//   RejectRecipientChance  rcpt: "550 Invalid recipient <recipient>"
//   RejectAuthChance       auth: "535 Authentication credentials invalid"
//   LinkSpeed*             every SMTP listener without a fault of its own gets
//                          { throttle: LinkSpeedMin, up_to: LinkSpeedMax,
//                          chance: LinkSpeedAffect }: that share of connections
//                          runs at a rate drawn between the two (bytes/s)
// GET/PUT/DELETE answer 404 while Jim is away, POST 400 while he is here.
#include <boost/json.hpp>
#include <algorithm>
#include <mutex>
#include <random>

#include "http/mailhog.hpp"
#include "http/mailpit_body.hpp"

namespace relaymock::http::mailhog {

namespace json = boost::json;

namespace {

struct Jim {
  double disconnect = 0.005, accept = 0.99, linkspeed_affect = 0.1, linkspeed_min = 1024, linkspeed_max = 10240,
         reject_sender = 0.05, reject_recipient = 0.05, reject_auth = 0.05;
};

struct State {
  std::mutex mutex;
  bool on = false;
  Jim jim;  // the last Jim configured (MailHog's config.Jim)
  std::vector<std::uint16_t> throttled;  // the ports whose fault is Jim's
};
State& state() {
  static State s;
  return s;
}

constexpr const char* kPrefix = "mailhog-jim-";

json::object jim_json(const Jim& j) {
  return json::object{{"DisconnectChance", j.disconnect},         {"AcceptChance", j.accept},
                      {"LinkSpeedAffect", j.linkspeed_affect},     {"LinkSpeedMin", j.linkspeed_min},
                      {"LinkSpeedMax", j.linkspeed_max},           {"RejectSenderChance", j.reject_sender},
                      {"RejectRecipientChance", j.reject_recipient}, {"RejectAuthChance", j.reject_auth}};
}

void remove_scenarios(ApiContext& ctx) {
  for (const auto& s : ctx.scenarios.list())
    if (s.scenario.name.rfind(kPrefix, 0) == 0) ctx.scenarios.remove(s.scenario.name);
}

// Jim's faults off again (a port whose fault someone changed since is left alone).
void release_links(ApiContext& ctx, State& st) {
  for (auto port : st.throttled)
    for (const auto& l : ctx.server.listeners())
      if (l.port == port && l.fault.kind == config::Fault::Kind::Throttle) {
        std::string error;
        ctx.server.set_fault(port, config::Fault{}, error);
      }
  st.throttled.clear();
}

void slow_links(ApiContext& ctx, State& st, const Jim& j) {
  release_links(ctx, st);
  if (!(j.linkspeed_affect > 0) || !(j.linkspeed_min >= 1)) return;
  config::Fault f;
  f.kind = config::Fault::Kind::Throttle;
  f.bytes_per_second = static_cast<std::uint64_t>(std::min(j.linkspeed_min, 1e9));
  f.up_to = static_cast<std::uint64_t>(std::clamp(j.linkspeed_max, j.linkspeed_min, 1e9));
  f.chance = std::min(j.linkspeed_affect, 1.0);
  for (const auto& l : ctx.server.listeners()) {
    if (l.fault.kind != config::Fault::Kind::None) continue;
    std::string error;
    if (ctx.server.set_fault(l.port, f, error)) st.throttled.push_back(l.port);
  }
  ctx.service.fault_changed();
}

void apply(ApiContext& ctx, const Jim& j) {
  slow_links(ctx, state(), j);
  remove_scenarios(ctx);
  std::random_device rd;
  auto add = [&](const std::string& name, Stage stage, double p, std::optional<Reply> reply, bool hang_up) {
    if (!(p > 0)) return;
    config::Scenario s;
    s.name = kPrefix + name;
    s.stage = stage;
    s.probability = std::min(p, 1.0);
    s.seed = (static_cast<std::uint64_t>(rd()) << 32) | rd();
    s.reply = std::move(reply);
    s.disconnect = hang_up;
    ctx.scenarios.add(std::move(s));
  };
  add("accept", Stage::Connect, 1.0 - j.accept, std::nullopt, true);
  for (auto [name, stage] : {std::pair<const char*, Stage>{"ehlo", Stage::Ehlo}, {"mail", Stage::Mail},
                             {"rcpt", Stage::Rcpt}, {"data", Stage::Data}})
    add(std::string("disconnect-") + name, stage, j.disconnect, std::nullopt, true);
  add("reject-sender", Stage::Mail, j.reject_sender, Reply{550, "", "Invalid sender {sender}"}, false);
  add("reject-recipient", Stage::Rcpt, j.reject_recipient, Reply{550, "", "Invalid recipient {recipient}"}, false);
  add("reject-auth", Stage::Auth, j.reject_auth, Reply{535, "", "Authentication credentials invalid"}, false);
  ctx.service.scenarios_changed();
}

// newJimFromBody: a body that decodes replaces Jim whole (absent fields are
// 0, as Go leaves them); one that does not leaves him as he was.
bool jim_from_body(std::string_view text, Jim& out) {
  GoBody body(text);
  if (!body.ok() || !body.root().is_object()) return false;
  Jim j{0, 0, 0, 0, 0, 0, 0, 0};
  const std::pair<const char*, double*> fields[] = {
      {"DisconnectChance", &j.disconnect},       {"AcceptChance", &j.accept},
      {"LinkSpeedAffect", &j.linkspeed_affect},  {"LinkSpeedMin", &j.linkspeed_min},
      {"LinkSpeedMax", &j.linkspeed_max},        {"RejectSenderChance", &j.reject_sender},
      {"RejectRecipientChance", &j.reject_recipient}, {"RejectAuthChance", &j.reject_auth}};
  for (auto [name, dst] : fields) {
    auto* v = body.find(name);
    if (!v || v->is_null()) continue;
    if (!v->is_number()) return false;
    *dst = v->to_number<double>();
  }
  out = j;
  return true;
}

}  // namespace

void invite_jim(ApiContext& ctx) {
  std::lock_guard lock(state().mutex);
  state().on = true;
  apply(ctx, state().jim);
}

Handled v2_jim(Call& c) {
  std::lock_guard lock(state().mutex);
  if (!state().on) co_return empty(c, status::not_found, "");
  co_return json_answer(c, jim_json(state().jim));
}

Handled v2_create_jim(Call& c) {
  std::lock_guard lock(state().mutex);
  if (state().on) co_return empty(c, status::bad_request, "");
  jim_from_body(c.req.body(), state().jim);  // errors ignored, as MailHog ignores them
  state().on = true;
  apply(c.ctx, state().jim);
  co_return empty(c, status::created, "");
}

Handled v2_update_jim(Call& c) {
  std::lock_guard lock(state().mutex);
  if (!state().on) co_return empty(c, status::not_found, "");
  if (!jim_from_body(c.req.body(), state().jim)) co_return empty(c, status::bad_request, "");
  apply(c.ctx, state().jim);
  co_return empty(c, status::ok, "");
}

Handled v2_delete_jim(Call& c) {
  std::lock_guard lock(state().mutex);
  if (!state().on) co_return empty(c, status::not_found, "");
  state().on = false;
  release_links(c.ctx, state());
  c.ctx.service.fault_changed();
  remove_scenarios(c.ctx);
  c.ctx.service.scenarios_changed();
  co_return empty(c, status::ok, "");
}

}  // namespace relaymock::http::mailhog
