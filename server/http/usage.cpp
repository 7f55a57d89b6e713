// /api/v1/usage: the quota cycle and every rate limit's use.
#include <boost/json.hpp>

#include "http/resources.hpp"
#include "policy/cycle.hpp"
#include "util/dates.hpp"
#include "util/duration.hpp"

namespace relaymock::http {

namespace json = boost::json;

json::object email_cycle(const ApiContext& ctx) {
  auto cfg = ctx.engine.config();
  auto cycle = policy::cycle_containing(ctx.clock.now(), cfg->account.cycle_day);
  auto used = ctx.engine.quota_used(cycle);
  json::object o{{"cycle_start", rfc3339(cycle.start)}, {"cycle_end", rfc3339(cycle.end)}, {"cycle_used", used}};
  if (cfg->account.monthly_quota) {
    o["cycle_remaining"] = *cfg->account.monthly_quota > used ? *cfg->account.monthly_quota - used : 0;
    o["cycle_max"] = *cfg->account.monthly_quota;
  } else {
    o["cycle_remaining"] = nullptr;
    o["cycle_max"] = nullptr;
  }
  return o;
}

namespace resource {

Handled get_usage(Call& c) {
  auto& ctx = c.ctx;
  auto cfg = ctx.engine.config();
  auto now = ctx.clock.now();
  json::object o = email_cycle(ctx);
  json::array limits;
  auto add = [&](const char* kind, const std::string& name, const std::string& key, const config::RateLimit& rl) {
    auto u = ctx.engine.counters().rate_usage(key, rl, now);
    limits.push_back(json::object{{"kind", kind},
                                  {"name", name},
                                  {"count", rl.count},
                                  {"per", format_duration(rl.per)},
                                  {"used", u.used},
                                  {"in_open_transactions", u.reserved},
                                  {"resets_at", u.used ? json::value(json::string(rfc3339(u.resets_at)))
                                                       : json::value(nullptr)}});
  };
  for (const auto& u : cfg->smtp_users)
    if (u.rate_limit) add("user", u.username, "user:" + u.username, *u.rate_limit);
  for (const auto& e : cfg->ip_auth)
    if (e.rate_limit) add("ip", e.text, "ip:" + e.text, *e.rate_limit);
  for (const auto& k : cfg->api_keys)
    if (k.rate_limit) add("api_key", k.name, "api_key:" + k.name, *k.rate_limit);
  o["rate_limits"] = limits;
  co_return c.json(status::ok, o);
}

}  // namespace resource
}  // namespace relaymock::http
