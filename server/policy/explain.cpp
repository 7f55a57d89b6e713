#include "policy/explain.hpp"

#include "smtp/reply.hpp"
#include "util/cidr.hpp"
#include "util/duration.hpp"
#include "util/strings.hpp"

namespace relaymock::policy {
namespace {

std::optional<Mailbox> envelope_sender(const std::string& from) {
  if (from.empty() || from == "<>") return Mailbox{};
  return parse_plain_address(from);
}

// The reply as the wire carries it, CRLFs as '\n'.
std::string wire_text(const Reply& r, bool enhanced) {
  std::string out;
  smtp::append_reply(out, r, enhanced);
  std::string joined;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '\r') continue;
    joined += out[i];
  }
  while (!joined.empty() && joined.back() == '\n') joined.pop_back();
  return joined;
}

}  // namespace

const config::Profile& profile_for(const config::Config& cfg, std::optional<std::uint16_t> port) {
  std::string name = cfg.server.profile;
  if (port)
    for (const auto& l : cfg.server.listeners)
      if (l.port == *port && !l.profile.empty()) name = l.profile;
  const auto* p = config::find_profile(name);
  return p ? *p : config::default_profile();
}

std::optional<std::string> explain_problem(const config::Config& cfg, const ExplainRequest& r) {
  if (!envelope_sender(r.from)) return "from: '" + clip(r.from, 256) + "' is not an address (or <> for none)";
  if (r.header_from && r.header_from->find_first_of("\r\n") != std::string::npos)
    return "header_from: one line, without CR or LF";
  if (r.to.empty()) return "to: give at least one recipient";
  if (r.to.size() > 1000) return "to: at most 1000 recipients";
  for (const auto& t : r.to)
    if (!parse_plain_address(t)) return "to: '" + clip(t, 256) + "' is not an address";
  if (!parse_ip(r.ip)) return "ip: '" + clip(r.ip, 64) + "' is not an IPv4 or IPv6 address";
  if (r.user && r.api_key) return "give user or api_key, not both";
  if (r.port) {
    bool found = false;
    for (const auto& l : cfg.server.listeners) found = found || l.port == *r.port;
    if (!found) return "port: no listener on port " + std::to_string(*r.port);
  }
  if (r.api_key) {
    bool found = false;
    for (const auto& k : cfg.api_keys) found = found || k.name == *r.api_key;
    if (!found) return "api_key: no api_keys entry named '" + clip(*r.api_key, 256) + "'";
  }
  return std::nullopt;
}

Explanation explain(const Engine& engine, const ExplainRequest& r, const SenderRoute* route) {
  auto cfg = engine.config();
  Explanation x;
  const auto& profile = profile_for(*cfg, r.port);
  x.profile = &profile;
  x.door = r.api_key ? "api" : "smtp";
  const bool enhanced = profile.enhanced_codes.value_or(cfg->server.enhanced_status_codes);
  auto end = [&](std::string stage, const Decision& d, const Reply& reply) {
    x.stage = std::move(stage);
    x.rule = d.rule;
    x.reply = wire_text(reply, enhanced);
    if (r.api_key) x.api_reply = reply_spec(d.api_reply.value_or(d.reply));
  };
  const Mailbox sender = envelope_sender(r.from).value_or(Mailbox{});

  if (r.api_key) {
    for (const auto& k : cfg->api_keys)
      if (k.name == *r.api_key) {
        x.identity.kind = Identity::Kind::ApiKey;
        x.identity.name = k.name;
        x.identity.status = k.status;
        x.identity.rate_limit = k.rate_limit;
      }
  } else if (r.user) {
    bool known = false;
    for (const auto& u : cfg->smtp_users) known = known || u.username == *r.user;
    if (!known) {
      // AUTH as the client would meet it: the unknown name's refusal.
      smtp::AuthAttempt attempt;
      attempt.mechanism = "PLAIN";
      attempt.user = *r.user;
      x.auth = engine.authenticate(attempt, &profile);
      end("auth", *x.auth, x.auth->reply);
      return x;
    }
    x.identity = engine.identify(*r.user, r.ip, &profile);
  } else {
    x.identity = engine.identify(std::nullopt, r.ip, &profile);
  }

  if (!r.api_key) {
    auto m = engine.check_mail(x.identity, &profile);
    if (!m.accept) {
      x.mail = m;
      end("mail", m, m.reply);
      return x;
    }
  }

  // The first refused recipient, by index (the vector grows as it goes).
  std::optional<std::size_t> first_refusal;
  x.recipients.reserve(r.to.size());
  for (const auto& to : r.to) {
    auto d = engine.try_rcpt(x.identity, sender, route, &profile, x.accepted_recipients);
    Reply reply = d.reply;
    if (d.accept) {
      ++x.accepted_recipients;
      reply = config::success_reply(*cfg, &profile, "rcpt_accepted");
      reply.text = fill_placeholders(reply.text, {{"addr", to}});
    }
    x.recipients.push_back({to, std::move(d), wire_text(reply, enhanced)});
    if (!x.recipients.back().decision.accept && !first_refusal) first_refusal = x.recipients.size() - 1;
  }

  if (x.accepted_recipients == 0) {
    const auto& refused = x.recipients[*first_refusal].decision;
    end(r.api_key ? "api" : "rcpt", refused, refused.reply);
  } else {
    const std::string header = "From: " + r.header_from.value_or(sender.str()) + "\r\n\r\n";
    x.content = engine.check_content(x.identity, mime::from_header(header), &profile, &sender);
    if (x.content->accept) {
      Reply ok = config::success_reply(*cfg, &profile, "message_accepted");
      ok.text = fill_placeholders(ok.text, {{"id", "<id>"}});
      x.accepted = true;
      end(r.api_key ? "api" : "data", *x.content, ok);
    } else {
      end(r.api_key ? "api" : "data", *x.content, x.content->reply);
    }
  }

  // Where the limits stood before this send (the first recipient's view).
  const Decision& first = x.recipients.front().decision;
  const std::uint64_t counted = x.content && x.content->accept ? x.accepted_recipients : 0;
  auto limit = [&](const char* name, const Counters::Standing& s, std::uint64_t before, std::string per,
                   std::string_view blocking_rule) {
    Explanation::Limit l{name, s.limit + before, s.used + before, s.reserved, counted, 0, std::move(per), s.frees_at, false};
    std::uint64_t taken = l.used + l.in_open_transactions + counted;
    l.left = l.limit > taken ? l.limit - taken : 0;
    for (const auto& rc : x.recipients) l.reached = l.reached || rc.decision.rule == blocking_rule;
    l.reached = l.reached || l.left == 0;
    x.limits.push_back(std::move(l));
  };
  if (first.quota) limit("quota", *first.quota, first.quota_before, {}, "quota_exhausted");
  if (first.rate && x.identity.rate_limit) {
    const char* rule = x.identity.kind == Identity::Kind::User     ? "user_rate_limited"
                       : x.identity.kind == Identity::Kind::ApiKey ? "api_key_rate_limited"
                                                                   : "ip_rate_limited";
    limit("rate_limit", *first.rate, 0, format_duration(x.identity.rate_limit->per), rule);
  }
  return x;
}

}  // namespace relaymock::policy
