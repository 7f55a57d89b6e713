#include "policy/engine.hpp"

#include "mime/mime.hpp"
#include "util/dates.hpp"
#include "util/strings.hpp"

#include <algorithm>

#include "smtp/sasl.hpp"

namespace relaymock::policy {
namespace {

std::string list_text(const std::vector<std::string>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
  return out + "]";
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// local@domain with the domain lower-cased: local parts compare exactly, domains without case.
std::string normal_address(const Mailbox& m) {
  return m.null() ? std::string() : m.local + "@" + ascii_lower(m.domain);
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Unroutable without asking DNS: listed, no dot, or a reserved top-level domain.
std::optional<std::string> static_unroutable(const config::SenderVerification& sv, const std::string& domain) {
  if (contains(sv.unroutable_domains, domain))
    return "sender domain " + domain + " is listed in sender_verification.unroutable_domains";
  if (domain.front() == '[') return std::nullopt;  // address literal
  if (domain.find('.') == std::string::npos) return "sender domain " + domain + " has no dot";
  for (auto tld : {".invalid", ".localhost", ".local"})
    if (ends_with(domain, tld)) return "sender domain " + domain + " is under the reserved " + tld + " domain";
  return std::nullopt;
}

// The entry of `list` the sender nearly matches and why it does not: an
// address differing only in case (local parts compare with case), or a
// parent domain (subdomains are not covered).
std::optional<std::string> near_miss(const std::vector<std::string>& list, const std::string& addr,
                                     const std::string& domain, const std::string& list_name) {
  for (const auto& e : list) {
    if (!addr.empty() && e.find('@') != std::string::npos && e != addr && iequals(e, addr))
      return list_name + " has " + e + "; the sender is " + addr + ": local parts compare with case";
  }
  for (const auto& e : list) {
    if (e.find('@') == std::string::npos && ends_with(domain, "." + e))
      return list_name + " has " + e + "; the domain is " + domain + ": subdomains are not covered";
  }
  return std::nullopt;
}

}  // namespace

Millis Engine::longest_rate_window() const {
  auto cfg = config();
  Millis longest{0};
  auto take = [&](const std::optional<config::RateLimit>& r) {
    if (r) longest = std::max(longest, r->per);
  };
  for (const auto& u : cfg->smtp_users) take(u.rate_limit);
  for (const auto& e : cfg->ip_auth) take(e.rate_limit);
  for (const auto& k : cfg->api_keys) take(k.rate_limit);
  return longest;
}

std::optional<config::RateLimit> Engine::rate_limit_of(const std::string& key) const {
  auto cfg = config();
  if (key.rfind("user:", 0) == 0) {
    for (const auto& u : cfg->smtp_users)
      if (u.username == key.substr(5)) return u.rate_limit;
  } else if (key.rfind("ip:", 0) == 0) {
    for (const auto& e : cfg->ip_auth)
      if (e.text == key.substr(3)) return e.rate_limit;
  } else if (key.rfind("api_key:", 0) == 0) {
    for (const auto& k : cfg->api_keys)
      if (k.name == key.substr(8)) return k.rate_limit;
  }
  return std::nullopt;
}

void Engine::replay(const std::string& key, std::uint64_t recipients, TimePoint at) const {
  counters_.commit(key, rate_limit_of(key), recipients, at);
}

const char* route_kind_name(SenderRoute::Kind k) {
  switch (k) {
    case SenderRoute::Kind::Routable: return "routable";
    case SenderRoute::Kind::NoDomain: return "no such domain";
    case SenderRoute::Kind::NullMx: return "null MX";
    case SenderRoute::Kind::NoAddress: return "no MX and no address";
    case SenderRoute::Kind::TempFail: return "temporary failure";
  }
  return "?";
}

std::string Identity::key() const {
  switch (kind) {
    case Kind::User: return "user:" + name;
    case Kind::Ip: return "ip:" + name;
    case Kind::ApiKey: return "api_key:" + name;
    case Kind::None: break;
  }
  return "none";
}

const char* Identity::kind_name() const {
  switch (kind) {
    case Kind::User: return "user";
    case Kind::Ip: return "ip";
    case Kind::ApiKey: return "api_key";
    case Kind::None: break;
  }
  return "none";
}

Engine::Engine(std::shared_ptr<const config::Config> cfg, const Clock& clock, Counters& counters)
    : cfg_(std::move(cfg)), clock_(clock), counters_(counters) {}

void Engine::set_config(std::shared_ptr<const config::Config> cfg) {
  std::lock_guard lock(cfg_mutex_);
  cfg_ = std::move(cfg);
}

std::shared_ptr<const config::Config> Engine::config() const {
  std::lock_guard lock(cfg_mutex_);
  return cfg_;
}

Decision Engine::reject(const config::Config& cfg, std::string_view rule, const Identity& id, std::string detail,
                        Substitutions subs, const config::Profile* profile) const {
  Decision d;
  d.rule = std::string(rule);
  d.accept = false;
  d.identity = id;
  d.detail = std::move(detail);
  Reply tmpl;
  std::optional<Reply> api_tmpl;  // an override in replies: serves both doors
  std::optional<config::ResolvedReply> face = profile ? config::profile_reply(*profile, rule) : std::nullopt;
  if (face) {
    d.detail += std::string("; profile ") + std::string(profile->name) +
                (face->fallback ? ": the generic text (" : ": its text (") + std::string(face->source) + ")";
  }
  if (auto it = cfg.replies.find(d.rule); it != cfg.replies.end()) {
    tmpl = it->second;
  } else if (face) {
    tmpl = face->reply;
  } else if (const auto* info = config::find_rule(rule)) {
    parse_reply_text(info->text, tmpl);
    if (Reply api; !info->api_text.empty() && parse_reply_text(info->api_text, api)) api_tmpl = std::move(api);
  }
  if (subs.user.empty() && id.kind == Identity::Kind::User) subs.user = id.name;
  if (subs.ip.empty() && id.kind == Identity::Kind::Ip) subs.ip = id.name;
  // SES names the region upper-cased ("in region US-EAST-1").
  if (subs.region.empty()) subs.region = ascii_upper(cfg.server.region);
  d.reply = expand(tmpl, subs);
  if (api_tmpl) d.api_reply = expand(*api_tmpl, subs);
  return d;
}

Decision Engine::authenticate(const smtp::AuthAttempt& a, const config::Profile* profile) const {
  auto cfg = config();
  const config::SmtpUser* user = nullptr;
  for (const auto& u : cfg->smtp_users)
    if (u.username == a.user) user = &u;
  // An unknown user is checked against a dummy secret so both failures cost the same.
  static const std::string dummy = "relaymock-no-such-user-0000000000";
  const std::string& secret = user ? user->password : dummy;
  bool ok;
  if (a.mechanism == "CRAM-MD5") ok = smtp::secure_equals(smtp::cram_md5_digest(secret, a.challenge), a.digest);
  else ok = smtp::secure_equals(a.password, secret);
  ok = ok && user != nullptr;
  Identity id;
  if (ok) {
    id.kind = Identity::Kind::User;
    id.name = a.user;
    id.status = user->status;
    id.rate_limit = user->rate_limit;
    return Decision{"auth_ok", true, {235, "2.7.0", "Authentication succeeded"},
                    "user " + a.user + " authenticated with " + a.mechanism, id};
  }
  // The name is the client's: echoed cut short (a 9 KB name, 100,000 times).
  const std::string shown = clip(a.user, 256);
  std::string detail = user ? "wrong password for smtp_users entry " + a.user + " (" + a.mechanism + ")"
                            : "no smtp_users entry named '" + shown + "' (" + a.mechanism + ")";
  std::string fix;
  if (user) {
    fix = "the password differs from smtp_users entry " + a.user + "'s (passwords compare exactly)";
  } else {
    for (const auto& u : cfg->smtp_users)
      if (iequals(u.username, a.user))
        fix = "smtp_users has " + u.username + "; the username is " + shown + ": usernames compare with case";
    // A near miss goes into the detail too: the event of a failed AUTH keeps
    // no checks (100,000 failed AUTHs stay small).
    if (!fix.empty()) detail += "; " + fix;
    else fix = "add an smtp_users entry named " + shown + ", or sign in as one that exists";
  }
  auto d = reject(*cfg, "auth_failed", id, detail, {"", "", shown, ""}, profile);
  d.checks.push_back({"auth", Check::Result::Fail, std::move(detail), std::move(fix)});
  return d;
}

Identity Engine::identify(const std::optional<std::string>& auth_user, std::string_view client_ip,
                          const config::Profile* profile) const {
  auto cfg = config();
  Identity id;
  if (auth_user) {
    for (const auto& u : cfg->smtp_users) {
      if (u.username == *auth_user) {
        id.kind = Identity::Kind::User;
        id.name = u.username;
        id.status = u.status;
        id.rate_limit = u.rate_limit;
        return id;
      }
    }
    // Authenticated under a config that a reload has since changed: the user is gone.
    id.kind = Identity::Kind::User;
    id.name = *auth_user;
    id.status = config::Status::Blocked;
    return id;
  }
  if (profile && !profile->ip_auth) return id;
  auto ip = parse_ip(client_ip);
  if (!ip) return id;
  const config::IpAuth* best = nullptr;
  for (const auto& e : cfg->ip_auth)
    if (e.cidr.contains(*ip) && (!best || e.cidr.prefix > best->cidr.prefix)) best = &e;
  if (best) {
    id.kind = Identity::Kind::Ip;
    id.name = best->text;
    id.status = best->status;
    id.rate_limit = best->rate_limit;
  }
  return id;
}

std::optional<Identity> Engine::identify_api_key(std::string_view key) const {
  auto cfg = config();
  const config::ApiKey* found = nullptr;
  for (const auto& k : cfg->api_keys)
    if (smtp::secure_equals(key, k.key)) found = &k;
  if (!found) return std::nullopt;
  Identity id;
  id.kind = Identity::Kind::ApiKey;
  id.name = found->name;
  id.status = found->status;
  id.rate_limit = found->rate_limit;
  return id;
}

std::optional<std::string> Engine::route_domain(const Mailbox& sender, const config::Profile* profile) const {
  if (profile && !config::profile_has_rule(*profile, "sender_unroutable_domain")) return std::nullopt;
  auto cfg = config();
  const auto& sv = cfg->sender_verification;
  if (sv.mode != config::VerifyMode::System || sender.null()) return std::nullopt;
  std::string domain = ascii_lower(sender.domain);
  if (domain.front() == '[' || static_unroutable(sv, domain)) return std::nullopt;
  return domain;
}

Decision Engine::check_rcpt(const Identity& id, const Mailbox& sender, const SenderRoute* route,
                            const config::Profile* profile, bool describe) const {
  return rcpt(id, sender, route, profile, true, 0, describe);
}

Decision Engine::try_rcpt(const Identity& id, const Mailbox& sender, const SenderRoute* route,
                          const config::Profile* profile, std::uint64_t ahead) const {
  return rcpt(id, sender, route, profile, false, ahead, true);
}

Decision Engine::rcpt(const Identity& id, const Mailbox& sender, const SenderRoute* route, const config::Profile* profile,
                      bool hold, std::uint64_t ahead, bool describe) const {
  auto cfg = config();
  auto has = [profile](std::string_view rule) { return !profile || config::profile_has_rule(*profile, rule); };
  std::vector<Check> checks;
  // Passed and skipped checks are written out only when described: a
  // transaction describes its first recipient (its data event shows those)
  // and a refusal (relay::Transaction asks again, reserving nothing).
  auto pass = [&](const char* name, auto&& compared) {
    if (describe) checks.push_back({name, Check::Result::Pass, compared(), {}});
  };
  auto skip = [&](const char* name, auto&& why) {
    if (describe) checks.push_back({name, Check::Result::Skipped, why(), {}});
  };
  auto no_rule = [&](const char* name) {
    skip(name, [&] { return "profile " + std::string(profile->name) + " has no such rule"; });
  };
  // Where the limits stood, once asked (a refusal by a limit shows them too).
  std::optional<Counters::Check> standing;
  std::uint64_t before = 0;
  // A failure: the check, the rest not reached, then the rule's reply.
  auto fail = [&](const char* name, std::string_view rule, std::string detail, std::string fix, Substitutions subs = {}) {
    if (describe) {
      checks.push_back({name, Check::Result::Fail, detail, std::move(fix)});
      add_not_reached(checks, std::data(kRcptChecks), std::size(kRcptChecks));
      add_not_reached(checks, &kContentCheck, 1);
    }
    if (subs.addr.empty()) subs.addr = sender.str();  // {addr} in any rule's text (SES's names the sender)
    auto d = this->reject(*cfg, rule, id, std::move(detail), std::move(subs), profile);
    d.checks = std::move(checks);
    if (standing) d.quota = standing->quota, d.rate = standing->rate, d.quota_before = before;
    return d;
  };
  const auto& acct = cfg->account;
  const std::string addr = normal_address(sender);
  const std::string domain = ascii_lower(sender.domain);
  const std::string shown = addr.empty() ? std::string("<>") : addr;

  if (id.kind == Identity::Kind::None)
    return fail("identity", "relay_denied", "not authenticated and the client address matches no ip_auth entry",
                "authenticate (AUTH) as an smtp_users entry, or add an ip_auth entry covering the client address");
  pass("identity", [&] { return std::string(id.kind_name()) + " " + id.name; });

  const char* entry = id.kind == Identity::Kind::User ? "smtp_users" : id.kind == Identity::Kind::Ip ? "ip_auth" : "api_keys";
  const char* status_rule = id.kind == Identity::Kind::User ? "user_not_allowed"
                            : id.kind == Identity::Kind::Ip ? "ip_not_allowed"
                                                            : "api_key_not_allowed";
  if (!has(status_rule)) {
    no_rule("status");
  } else if (acct.closed) {
    return fail("status", status_rule, "account.status is closed", "set account.status: active");
  } else if (id.status == config::Status::Blocked) {
    return fail("status", status_rule, std::string(entry) + " entry " + id.name + " has status blocked",
                "set status: allowed (or sandbox) on " + std::string(entry) + " entry " + id.name);
  } else {
    pass("status", [&] {
      return std::string(entry) + " entry " + id.name + " has status " + config::status_name(id.status) +
             "; account.status is active";
    });
  }

  if (!has("blank_sender")) no_rule("blank_sender");
  else if (!sender.null()) pass("blank_sender", [&] { return "the sender is " + shown + ", not <>"; });
  else if (acct.allow_blank_sender)
    pass("blank_sender", [] { return std::string("MAIL FROM:<> and account.allow_blank_sender is true"); });
  else
    return fail("blank_sender", "blank_sender", "MAIL FROM:<> and account.allow_blank_sender is false",
                "set account.allow_blank_sender: true, or send with a sender address");

  const auto& sv = cfg->sender_verification;
  if (!has("sender_unroutable_domain")) {
    no_rule("sender_domain");
  } else if (sender.null()) {
    skip("sender_domain", [] { return std::string("no sender address to verify"); });
  } else if (sv.mode == config::VerifyMode::Off) {
    skip("sender_domain", [] { return std::string("sender_verification.mode is off"); });
  } else {
    Substitutions subs{sender.str(), "", "", ""};
    if (auto why = static_unroutable(sv, domain)) {
      bool listed = contains(sv.unroutable_domains, domain);
      return fail("sender_domain", "sender_unroutable_domain", *why,
                  listed ? "remove " + domain + " from sender_verification.unroutable_domains"
                         : "send from a domain that exists in DNS, or set sender_verification.mode: off",
                  subs);
    }
    std::string dns;  // what DNS said, when it was asked
    if (sv.mode == config::VerifyMode::System && route && domain.front() != '[') {
      using K = SenderRoute::Kind;
      dns = "DNS for sender domain " + domain + ": " + route->detail;
      if (route->kind == K::NoDomain || route->kind == K::NullMx || route->kind == K::NoAddress)
        return fail("sender_domain", "sender_unroutable_domain", dns,
                    "publish an MX or A record for " + domain + ", or set sender_verification.mode: static", subs);
      if (route->kind == K::TempFail)
        return fail("sender_domain", "sender_verify_deferred", dns,
                    "make the DNS servers for " + domain + " answer (a temporary failure: the client may retry)", subs);
    }
    if (contains(sv.unknown_addresses, addr))
      return fail("sender_domain", "sender_unrouteable_address",
                  "sender " + addr + " is listed in sender_verification.unknown_addresses",
                  "remove " + addr + " from sender_verification.unknown_addresses", subs);
    pass("sender_domain", [&] {
      if (!dns.empty()) return dns;
      return "sender domain " + domain + " is not unroutable (mode " + config::verify_mode_name(sv.mode) + ")" +
             (sv.mode == config::VerifyMode::System ? "; DNS not asked" : "");
    });
  }

  if (!has("sender_not_allowed")) {
    no_rule("restrict_senders");
  } else if (acct.restrict_mode == config::RestrictMode::Disabled) {
    skip("restrict_senders", [] { return std::string("restrict_senders mode is disabled"); });
  } else {
    bool listed = contains(acct.restrict_entries, addr) || contains(acct.restrict_entries, domain);
    bool allowlist = acct.restrict_mode == config::RestrictMode::Allowlist;
    auto compared = [&] {
      return "sender " + shown + (listed ? " is" : " is not") + " in restrict_senders " +
             (allowlist ? "allowlist " : "blocklist ") + list_text(acct.restrict_entries);
    };
    if (listed != allowlist) {
      std::string fix;
      if (listed) {
        fix = "remove " + (contains(acct.restrict_entries, addr) ? addr : domain) + " from the restrict_senders blocklist";
      } else if (auto near = near_miss(acct.restrict_entries, addr, domain, "restrict_senders allowlist")) {
        fix = *near;
      } else {
        fix = "add " + shown + " (or its domain " + domain + ") to the restrict_senders allowlist";
      }
      return fail("restrict_senders", "sender_not_allowed", compared(), std::move(fix));
    }
    pass("restrict_senders", compared);
  }

  auto now = clock_.now();
  auto cycle = cycle_containing(now, acct.cycle_day);
  std::optional<std::uint64_t> quota = has("quota_exhausted") ? acct.monthly_quota : std::nullopt;
  before = quota_used_before(acct, cycle);
  if (quota) quota = *quota > before ? *quota - before : 0;  // what is left for relaymock to count
  const bool rated = has("user_rate_limited") && id.rate_limit;
  auto check = counters_.reserve(id.key(), rated ? id.rate_limit : std::nullopt, quota, cycle, now, hold, ahead);
  standing = check;
  auto counts = [&](const char* what, const Counters::Standing& s, bool is_quota, bool blocked) {
    std::uint64_t shown_used = s.used + (is_quota ? before : 0);
    return std::string(what) + ": " + std::to_string(shown_used) + " accepted + " + std::to_string(s.reserved) +
           " in open transactions + 1 " + (blocked ? "would exceed " : "is within ") +
           std::to_string(s.limit + (is_quota ? before : 0)) +
           (is_quota && before ? " (" + std::to_string(before) + " of them sent before relaymock: account.quota.used)"
                               : std::string());
  };
  auto per = [&] { return format_duration(id.rate_limit->per); };
  auto rate_what = [&] { return "rate limit per " + per() + " for " + id.kind_name() + " " + id.name; };
  if (!has("quota_exhausted")) no_rule("quota");
  else if (!check.quota) skip("quota", [] { return std::string("account.quota.monthly is not set"); });
  else if (check.block == Counters::Block::Quota)
    return fail("quota", "quota_exhausted", counts("monthly quota", *check.quota, true, true),
                "the cycle renews at " + rfc3339(cycle.end) + " (account.quota.cycle_day " +
                    std::to_string(acct.cycle_day) + "); or raise account.quota.monthly");
  else pass("quota", [&] { return counts("monthly quota", *check.quota, true, false); });

  if (!has("user_rate_limited")) no_rule("rate_limit");
  else if (!check.rate)
    skip("rate_limit", [&] { return std::string(entry) + " entry " + id.name + " has no rate_limit"; });
  else if (check.block == Counters::Block::Rate)
    return fail("rate_limit",
                id.kind == Identity::Kind::User     ? "user_rate_limited"
                : id.kind == Identity::Kind::ApiKey ? "api_key_rate_limited"
                                                    : "ip_rate_limited",
                counts(rate_what().c_str(), *check.rate, false, true),
                (check.rate->used ? "a place frees at " + rfc3339(check.rate->frees_at)
                                  : "the recipients held by open transactions (this one's included) fill it; each "
                                    "frees " + per() + " after it is sent") +
                    "; or raise rate_limit.count on " + entry + " entry " + id.name);
  else pass("rate_limit", [&] { return counts(rate_what().c_str(), *check.rate, false, false); });

  Decision d;
  d.rule = "rcpt_ok";
  d.identity = id;
  d.detail = "sender " + shown + " may send as " + id.kind_name() + " " + id.name;
  d.checks = std::move(checks);
  d.quota = check.quota;
  d.rate = check.rate;
  d.quota_before = before;
  return d;
}

Decision Engine::check_mail(const Identity& id, const config::Profile* profile) const {
  Decision d;
  d.rule = "mail_ok";
  d.identity = id;
  if (!profile || id.kind != Identity::Kind::None) return d;
  auto face = config::profile_reply(*profile, "relay_denied");
  if (!face || face->stage != Stage::Mail) return d;
  std::string detail = "not authenticated and the client address matches no ip_auth entry (refused at MAIL)";
  auto r = reject(*config(), "relay_denied", id, detail, {}, profile);
  r.checks.push_back({"identity", Check::Result::Fail, std::move(detail),
                      "authenticate (AUTH) as an smtp_users entry: profile " + std::string(profile->name) +
                          " relays for no client address"});
  add_not_reached(r.checks, std::data(kRcptChecks), std::size(kRcptChecks));
  add_not_reached(r.checks, &kContentCheck, 1);
  return r;
}

Decision Engine::check_content(const Identity& id, std::string_view content) const {
  return check_content(id, mime::from_header(content));
}

Decision Engine::check_content(const Identity& id, const mime::From& from_header, const config::Profile* profile,
                               const Mailbox* envelope_sender) const {
  auto cfg = config();
  const auto& acct = cfg->account;
  bool has_rule = !profile || config::profile_has_rule(*profile, "from_header_unverified");
  // Under SMTP2GO's restrict_senders the verified senders do not apply; a
  // provider without restrict_senders always checks them.
  bool restricted = acct.restrict_mode != config::RestrictMode::Disabled &&
                    (!profile || config::profile_has_rule(*profile, "sender_not_allowed"));
  Check check{std::string(kContentCheck), Check::Result::Skipped, {}, {}};
  if (!has_rule) {
    check.compared = "profile " + std::string(profile->name) + " has no such rule";
  } else if (restricted) {
    check.compared = std::string("restrict_senders is ") + config::restrict_mode_name(acct.restrict_mode) +
                     ": verified senders do not apply";
  } else {
    // The same From reader as the store's, so the API shows what was checked.
    const auto& from = from_header.mailbox;
    std::string domain = from ? ascii_lower(from->domain) : std::string();
    std::string addr = from ? normal_address(*from) : std::string();
    bool verified = from && (contains(acct.verified_domains, domain) || contains(acct.verified_senders, addr));
    if (!verified) {
      std::string detail = from ? "From header " + addr + ": domain " + domain + " is not in verified_domains " +
                                      list_text(acct.verified_domains) + " and the address is not in verified_senders " +
                                      list_text(acct.verified_senders)
                                : std::string("the message has no parsable From: header address");
      std::string fix;
      std::optional<std::string> near;
      if (from) near = near_miss(acct.verified_senders, addr, domain, "account.verified_senders");
      if (from && !near) near = near_miss(acct.verified_domains, addr, domain, "account.verified_domains");
      if (from && !near && contains(acct.unverified_domains, domain))
        near = "the domain " + domain + " was added (domain/add) but is not verified yet: verify it with POST "
               "/v3/domain/verify, or move it to account.verified_domains";
      if (!from) {
        fix = "add a From: header with one address in a verified domain";
      } else if (near) {
        fix = *near;
      } else if (envelope_sender && !envelope_sender->null() &&
                 contains(acct.verified_domains, ascii_lower(envelope_sender->domain))) {
        fix = "the envelope sender's domain " + ascii_lower(envelope_sender->domain) +
              " is verified, but the rule reads the From: header, whose domain is " + domain +
              ": send with From: in a verified domain, or add " + domain + " to account.verified_domains";
      } else {
        fix = "add " + domain + " to account.verified_domains, or " + addr + " to account.verified_senders";
      }
      check.result = Check::Result::Fail;
      check.compared = detail;
      check.fix = fix;
      auto d = reject(*cfg, "from_header_unverified", id, detail, {"", domain, "", "", addr, ""}, profile);
      d.checks.push_back(std::move(check));
      return d;
    }
    check.result = Check::Result::Pass;
    check.compared = "From header " + addr + (contains(acct.verified_domains, domain)
                                                   ? ": domain " + domain + " is in verified_domains"
                                                   : ": the address is in verified_senders");
  }
  Decision d;
  d.identity = id;
  d.rule = id.status == config::Status::Sandbox ? "accepted_sandbox" : "accepted";
  d.detail = !has_rule     ? "profile " + std::string(profile->name) + " has no From header rule"
             : !restricted ? std::string("From header address is verified")
                           : std::string("restrict_senders is ") + config::restrict_mode_name(acct.restrict_mode) +
                                 ": verified senders do not apply";
  if (id.status == config::Status::Sandbox) d.detail += "; sandbox: captured, never delivered";
  d.checks.push_back(std::move(check));
  return d;
}

std::uint64_t Engine::quota_used_before(const config::Account& acct, const Cycle& cycle) const {
  if (!acct.quota_used || !acct.quota_used_cycle) return 0;
  return time_from_civil(*acct.quota_used_cycle) == cycle.start ? acct.quota_used : 0;
}

std::uint64_t Engine::quota_used(const Cycle& cycle) const {
  auto cfg = config();
  return counters_.quota_used(cycle) + quota_used_before(cfg->account, cycle);
}

void Engine::commit(const Identity& id, std::uint64_t n) const {
  counters_.commit(id.key(), id.rate_limit, n, clock_.now());
}

void Engine::release(const Identity& id, std::uint64_t n) const { counters_.release(id.key(), n); }


}  // namespace relaymock::policy
