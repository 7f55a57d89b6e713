#include "config/provider_account.hpp"

#include "config/loader.hpp"
#include "config/webhooks.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "util/address.hpp"
#include "util/cidr.hpp"
#include "util/digest.hpp"
#include "util/random.hpp"
#include "util/strings.hpp"

namespace relaymock::config {

namespace json = boost::json;

namespace {

constexpr std::string_view kEndpoints[] = {
    "users/smtp/add",         "users/smtp/view",        "users/smtp/edit",       "users/smtp/remove",
    "domain/add",             "domain/view",            "domain/verify",         "domain/remove",
    "single_sender_emails/add", "single_sender_emails/view", "single_sender_emails/remove",
    "allowed_senders/view",   "allowed_senders/update", "allowed_senders/add",   "allowed_senders/remove",
    "ip_auth/view",           "ip_auth/edit",           "ip_auth/remove",
    "api_keys/view",          "api_keys/add",           "api_keys/edit",         "api_keys/remove",
    "webhook/view",           "webhook/add",            "webhook/edit",          "webhook/remove",
    "webhook/delete"};

// The rest of the API, for keys' permissions.
constexpr std::string_view kOtherEndpoints[] = {
    "email/send",          "email/mime",          "stats/email_cycle",  "stats/email_summary", "stats/email_bounces",
    "stats/email_spam",    "stats/email_unsubs",  "stats/email_history", "activity/search",    "suppression/add",
    "suppression/view",    "suppression/remove",  "suppression/delete"};

constexpr std::size_t kMaxText = 200;      // descriptions, passwords
constexpr std::size_t kMaxEntries = 1000;  // allowed_senders in one request

// What the account's lists may grow to through the API: a client in a loop
// must not grow the policy (and its copies) without bound.
constexpr std::size_t kMaxListed = 10000;

std::string_view resource_of(std::string_view endpoint) { return endpoint.substr(0, endpoint.rfind('/')); }
std::string_view action_of(std::string_view endpoint) { return endpoint.substr(endpoint.rfind('/') + 1); }

// Letters and digits from OpenSSL's generator (a password, a key).
std::string secret(std::size_t n) {
  static constexpr char kAlnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  while (out.size() < n)
    for (unsigned char b : random_bytes(n))
      if (b < 248 && out.size() < n) out += kAlnum[b % 62];  // 248 = 4 x 62: no bias
  return out;
}

bool printable(std::string_view s) {
  for (unsigned char c : s)
    if (c < 32 || c == 127) return false;
  return true;
}

// Reads the fields of one request; the first error wins.
class Fields {
 public:
  explicit Fields(const json::object& o) : o_(o) {}
  std::optional<FieldError> error;

  bool has(const char* name) const {
    auto* v = o_.if_contains(name);
    return v && !v->is_null();
  }
  std::optional<std::string> text(const char* name, bool required, std::size_t max = kMaxText) {
    if (error) return std::nullopt;
    auto* v = o_.if_contains(name);
    if (!v || v->is_null()) {
      if (required) fail(name, std::string(name) + " is required");
      return std::nullopt;
    }
    if (!v->is_string()) return fail(name, std::string(name) + " must be a string"), std::nullopt;
    std::string s(v->as_string());
    if (s.size() > max) return fail(name, std::string(name) + " is longer than " + std::to_string(max) + " characters"), std::nullopt;
    if (!printable(s)) return fail(name, std::string(name) + " must not contain control characters"), std::nullopt;
    return s;
  }
  std::optional<Status> status(const char* name) {
    auto s = text(name, false);
    if (!s) return std::nullopt;
    if (*s == "allowed") return Status::Allowed;
    if (*s == "blocked") return Status::Blocked;
    if (*s == "sandbox") return Status::Sandbox;
    fail(name, std::string(name) + " must be allowed, blocked or sandbox, not '" + *s + "'");
    return std::nullopt;
  }
  // custom_ratelimit, _value, _period: nullopt = leave as it is; an inner
  // nullopt = no limit.
  std::optional<std::optional<RateLimit>> rate_limit() {
    if (error || !has("custom_ratelimit")) {
      if (!error && (has("custom_ratelimit_value") || has("custom_ratelimit_period")))
        fail("custom_ratelimit", "custom_ratelimit (true or false) must come with custom_ratelimit_value and _period");
      return std::nullopt;
    }
    const auto& on = o_.at("custom_ratelimit");
    if (!on.is_bool()) return fail("custom_ratelimit", "custom_ratelimit must be true or false"), std::nullopt;
    if (!on.as_bool()) return std::optional<RateLimit>{};
    auto* v = o_.if_contains("custom_ratelimit_value");
    std::uint64_t n = 0;
    if (v && v->is_int64() && v->as_int64() > 0) n = static_cast<std::uint64_t>(v->as_int64());
    else if (v && v->is_uint64()) n = v->as_uint64();
    if (n == 0 || n > 1'000'000'000)
      return fail("custom_ratelimit_value", "custom_ratelimit_value must be a whole number from 1 to 1000000000"),
             std::nullopt;
    auto period = text("custom_ratelimit_period", true, 40);
    if (!period) return std::nullopt;
    auto per = provider_period(*period);
    if (!per)
      return fail("custom_ratelimit_period", "custom_ratelimit_period must be a period like \"1 hour\", \"1 day\", "
                                             "\"2 weeks\" or \"1 month\", not '" + *period + "'"),
             std::nullopt;
    return std::optional<RateLimit>{RateLimit{n, *per}};
  }
  // A list of strings (allowed_senders).
  std::optional<std::vector<std::string>> strings(const char* name, bool required,
                                                  const char* each = "an address or a domain") {
    if (error) return std::nullopt;
    auto* v = o_.if_contains(name);
    if (!v || v->is_null()) {
      if (required) fail(name, std::string(name) + " is required: a list");
      return std::nullopt;
    }
    if (!v->is_array()) return fail(name, std::string(name) + " must be a list of strings"), std::nullopt;
    if (v->as_array().size() > kMaxEntries)
      return fail(name, std::string(name) + " holds more than " + std::to_string(kMaxEntries) + " entries"), std::nullopt;
    std::vector<std::string> out;
    for (std::size_t i = 0; i < v->as_array().size(); ++i) {
      const auto& e = v->as_array()[i];
      if (!e.is_string() || e.as_string().size() > 320 || !printable(e.as_string()))
        return fail(name, std::string(name) + "[" + std::to_string(i) + "] must be " + each),
               std::nullopt;
      out.emplace_back(e.as_string());
    }
    return out;
  }
  void fail(std::string field, std::string message) {
    if (!error) error = FieldError{std::move(field), std::move(message)};
  }

 private:
  const json::object& o_;
};

json::object rate_fields(const std::optional<RateLimit>& r) {
  json::object o{{"custom_ratelimit", r.has_value()}};
  o["custom_ratelimit_value"] = r ? r->count : 0;
  o["custom_ratelimit_period"] = r ? provider_period_text(r->per) : "unlimited";
  return o;
}

json::object user_json(const SmtpUser& u) {
  json::object o{{"username", u.username}, {"email_password", u.password}, {"description", u.description},
                 {"status", status_name(u.status)}, {"sending_allowed", u.status != Status::Blocked}};
  for (auto& kv : rate_fields(u.rate_limit)) o[kv.key()] = kv.value();
  return o;
}

json::object ip_json(const IpAuth& e) {
  json::object o{{"ip_address", e.text}, {"description", e.description}, {"status", status_name(e.status)},
                 {"sending_allowed", e.status != Status::Blocked}};
  for (auto& kv : rate_fields(e.rate_limit)) o[kv.key()] = kv.value();
  return o;
}

json::object key_json(const ApiKey& k) {
  json::array endpoints;
  for (const auto& e : k.endpoints) endpoints.emplace_back(e);
  if (k.endpoints.empty())
    for (auto e : kEndpoints) endpoints.emplace_back("/" + std::string(e));
  if (k.endpoints.empty())
    for (auto e : kOtherEndpoints) endpoints.emplace_back("/" + std::string(e));
  json::object o{{"id", api_key_id(k.key)},       {"api_key", masked_api_key(k.key)},
                 {"description", k.name},          {"status", status_name(k.status)},
                 {"endpoints", std::move(endpoints)}};
  for (auto& kv : rate_fields(k.rate_limit)) o[kv.key()] = kv.value();
  return o;
}

json::object domain_json(const std::string& d, bool verified) {
  const char* st = verified ? "verified" : "pending";
  return json::object{{"domain", json::object{{"fulldomain", d},
                                              {"dkim_verified", verified},
                                              {"dkim_status", st},
                                              {"rpath_verified", verified},
                                              {"rpath_status", st}}},
                      {"trackers", json::array{}}};
}

const char* provider_mode(RestrictMode m) {
  return m == RestrictMode::Allowlist ? "whitelist" : m == RestrictMode::Blocklist ? "blacklist" : "disabled";
}

template <class T, class F>
auto find_if(std::vector<T>& v, F f) {
  return std::find_if(v.begin(), v.end(), f);
}

bool listed(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

void erase(std::vector<std::string>& v, const std::string& s) { v.erase(std::remove(v.begin(), v.end(), s), v.end()); }

std::optional<std::string> domain_of(Fields& f, const char* name, std::optional<std::string> text) {
  if (!text) return std::nullopt;
  if (!valid_domain(*text) || text->front() == '[') {
    f.fail(name, std::string(name) + " must be a domain name like example.com, not '" + *text + "'");
    return std::nullopt;
  }
  return ascii_lower(*text);
}

std::optional<std::string> address_of(Fields& f, const char* name, const std::string& text) {
  auto mb = parse_plain_address(text);
  if (!mb) {
    f.fail(name, std::string(name) + " must be an email address like user@example.com, not '" + text + "'");
    return std::nullopt;
  }
  return mb->local + "@" + ascii_lower(mb->domain);
}

std::optional<FieldError> full(const char* field, std::size_t size, const char* what) {
  if (size < kMaxListed) return std::nullopt;
  return FieldError{field, std::string("the account already has ") + std::to_string(kMaxListed) + " " + what +
                               "; remove one first"};
}

std::optional<FieldError> users(Config& cfg, std::string_view action, json::object& in) {
  Fields f(in);
  auto name = f.text("username", true, 100);
  if (name && (name->size() < 5 || name->find(' ') != std::string::npos))
    f.fail("username", "username must be 5 to 100 characters without spaces, not '" + *name + "'");
  if (f.error) return f.error;
  auto it = find_if(cfg.smtp_users, [&](const SmtpUser& u) { return u.username == *name; });
  bool exists = it != cfg.smtp_users.end();
  if (action == "remove") {
    if (!exists) return FieldError{"username", "no SMTP user '" + *name + "' in this account"};
    cfg.smtp_users.erase(it);
    return std::nullopt;
  }
  if (action == "add" && exists) return FieldError{"username", "an SMTP user named '" + *name + "' already exists"};
  if (action == "edit" && !exists) return FieldError{"username", "no SMTP user '" + *name + "' in this account"};
  auto password = f.text("email_password", false, 100);
  if (password && password->empty()) f.fail("email_password", "email_password must not be empty");
  auto description = f.text("description", false);
  auto status = f.status("status");
  auto rate = f.rate_limit();
  if (f.error) return f.error;
  if (action == "add") {
    if (auto e = full("username", cfg.smtp_users.size(), "SMTP users")) return e;
    if (!password) {
      password = secret(16);
      in["email_password"] = *password;  // kept, so that a replay makes the same user
    }
    cfg.smtp_users.push_back(SmtpUser{*name, "", "", Status::Allowed, std::nullopt});
    it = cfg.smtp_users.end() - 1;
  }
  if (password) it->password = *password;
  if (description) it->description = *description;
  if (status) it->status = *status;
  if (rate) it->rate_limit = *rate;
  return std::nullopt;
}

std::optional<FieldError> domains(Config& cfg, std::string_view action, const json::object& in) {
  Fields f(in);
  auto d = domain_of(f, "domain", f.text("domain", true));
  if (f.error) return f.error;
  auto& a = cfg.account;
  bool verified = listed(a.verified_domains, *d), pending = listed(a.unverified_domains, *d);
  if (action == "add") {
    if (verified || pending) return FieldError{"domain", "the domain " + *d + " is already on this account"};
    if (auto e = full("domain", a.verified_domains.size() + a.unverified_domains.size(), "sender domains")) return e;
    a.unverified_domains.push_back(*d);
    return std::nullopt;
  }
  if (!verified && !pending) return FieldError{"domain", "no sender domain " + *d + " on this account"};
  if (action == "verify") {
    if (pending) {
      erase(a.unverified_domains, *d);
      a.verified_domains.push_back(*d);
    }
    return std::nullopt;
  }
  erase(a.verified_domains, *d);  // remove
  erase(a.unverified_domains, *d);
  return std::nullopt;
}

std::optional<FieldError> single_senders(Config& cfg, std::string_view action, const json::object& in) {
  Fields f(in);
  auto text = f.text("email_address", true, 320);
  if (f.error) return f.error;
  auto addr = address_of(f, "email_address", *text);
  if (f.error) return f.error;
  auto& v = cfg.account.verified_senders;
  if (action == "add") {
    if (listed(v, *addr)) return FieldError{"email_address", *addr + " is already a single sender email"};
    if (auto e = full("email_address", v.size(), "single sender emails")) return e;
    v.push_back(*addr);
  } else {
    if (!listed(v, *addr)) return FieldError{"email_address", "no single sender email " + *addr + " on this account"};
    erase(v, *addr);
  }
  return std::nullopt;
}

std::optional<FieldError> allowed_senders(Config& cfg, std::string_view action, const json::object& in) {
  Fields f(in);
  std::optional<RestrictMode> mode;
  if (auto m = f.text("mode", false, 40)) {
    if (*m == "whitelist") mode = RestrictMode::Allowlist;
    else if (*m == "blacklist") mode = RestrictMode::Blocklist;
    else if (*m == "disabled") mode = RestrictMode::Disabled;
    else f.fail("mode", "mode must be whitelist, blacklist or disabled, not '" + *m + "'");
  }
  auto entries = f.strings("allowed_senders", action != "update");
  if (f.error) return f.error;
  if (action != "update" && mode) return FieldError{"mode", "mode is changed by allowed_senders/update"};
  if (action == "update" && !mode && !entries)
    return FieldError{"allowed_senders", "give mode, allowed_senders or both"};
  std::vector<std::string> norm;
  for (const auto& e : entries.value_or(std::vector<std::string>{})) {
    auto v = e.find('@') != std::string::npos ? address_of(f, "allowed_senders", e)
                                              : domain_of(f, "allowed_senders", e);
    if (f.error) return f.error;
    if (!listed(norm, *v)) norm.push_back(*v);
  }
  auto list = cfg.account.restrict_entries;  // changed whole or not at all
  if (action == "update") {
    if (entries) list = norm;
  } else if (action == "add") {
    for (const auto& e : norm)
      if (!listed(list, e)) list.push_back(e);
  } else {
    for (const auto& e : norm)
      if (!listed(list, e)) return FieldError{"allowed_senders", e + " is not in allowed_senders"};
    for (const auto& e : norm) erase(list, e);
  }
  if (list.size() > kMaxListed) return full("allowed_senders", list.size(), "allowed senders");
  if (mode) cfg.account.restrict_mode = *mode;
  cfg.account.restrict_entries = std::move(list);
  return std::nullopt;
}

std::optional<FieldError> ip_auth(Config& cfg, std::string_view action, const json::object& in) {
  Fields f(in);
  auto text = f.text("ip_address", true, 64);
  if (f.error) return f.error;
  std::string why;
  auto cidr = parse_cidr(*text, &why);
  if (!cidr) return FieldError{"ip_address", "ip_address '" + *text + "' is not an address or CIDR: " + why};
  auto it = find_if(cfg.ip_auth, [&](const IpAuth& e) { return e.text == *text; });
  if (action == "remove") {
    if (it == cfg.ip_auth.end()) return FieldError{"ip_address", "no IP authentication entry " + *text};
    cfg.ip_auth.erase(it);
    return std::nullopt;
  }
  auto description = f.text("description", false);
  auto status = f.status("status");
  auto rate = f.rate_limit();
  if (f.error) return f.error;
  if (it == cfg.ip_auth.end()) {  // edit adds an address not there yet
    if (auto e = full("ip_address", cfg.ip_auth.size(), "IP authentication entries")) return e;
    cfg.ip_auth.push_back(IpAuth{*text, "", *cidr, Status::Allowed, std::nullopt});
    it = cfg.ip_auth.end() - 1;
  }
  if (description) it->description = *description;
  if (status) it->status = *status;
  if (rate) it->rate_limit = *rate;
  return std::nullopt;
}

std::optional<FieldError> api_keys(Config& cfg, std::string_view action, json::object& in) {
  Fields f(in);
  auto it = cfg.api_keys.end();
  if (action != "add") {
    auto id = f.text("id", true, 64);
    if (f.error) return f.error;
    it = find_if(cfg.api_keys, [&](const ApiKey& k) { return api_key_id(k.key) == *id; });
    if (it == cfg.api_keys.end()) return FieldError{"id", "no API key with id '" + *id + "' on this account"};
    if (action == "remove") {
      cfg.api_keys.erase(it);
      return std::nullopt;
    }
  }
  auto description = f.text("description", action == "add", 100);
  if (description && description->empty()) f.fail("description", "description must not be empty: it names the key in events");
  auto status = f.status("status");
  auto rate = f.rate_limit();
  auto listed_endpoints = f.strings("endpoints", false);
  if (f.error) return f.error;
  std::optional<std::vector<std::string>> endpoints;
  if (listed_endpoints) {
    endpoints.emplace();
    for (const auto& e : *listed_endpoints) {
      auto path = normal_endpoint(e);
      if (!path) return FieldError{"endpoints", "'" + e + "' is not an endpoint (" + provider_endpoints_text() + ")"};
      if (!listed(*endpoints, *path)) endpoints->push_back(*path);
    }
    if (endpoints->empty()) return FieldError{"endpoints", "endpoints must name at least one endpoint"};
  }
  if (description)
    for (auto k = cfg.api_keys.begin(); k != cfg.api_keys.end(); ++k)
      if (k != it && k->name == *description)
        return FieldError{"description", "another API key is described '" + *description +
                                             "': descriptions name keys in events, so they differ"};
  if (action == "add") {
    if (auto e = full("description", cfg.api_keys.size(), "API keys")) return e;
    auto* given = in.if_contains("api_key_generated");
    std::string key = given && given->is_string() && api_key_format(given->as_string())
                          ? std::string(given->as_string())
                          : "api-" + secret(32);
    in["api_key_generated"] = key;  // kept, so that a replay makes the same key
    ApiKey k;
    k.key = key;
    k.endpoints = {"/email/send"};  // the provider's default permission
    cfg.api_keys.push_back(std::move(k));
    it = cfg.api_keys.end() - 1;
  }
  if (description) it->name = *description;
  if (status) it->status = *status;
  if (rate) it->rate_limit = *rate;
  if (endpoints) it->endpoints = *endpoints;
  return std::nullopt;
}

json::object webhook_json(const Webhook& w) {
  auto list = [](const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
  };
  return json::object{{"id", w.id},
                      {"url", w.url},
                      {"events", list(w.events)},
                      {"sms_events", json::array{}},
                      {"headers", list(w.headers)},
                      {"usernames", list(w.usernames)},
                      {"output_format", w.json ? "json" : "form"},
                      {"auth_header_type", w.auth_header_type},
                      {"auth_header_value", w.auth_header_value}};
}

// /webhook/add|edit|remove (and /delete, as one published collection names
// the removal); `id` a number, or its text.
std::optional<FieldError> webhooks(Config& cfg, std::string_view action, json::object& in) {
  Fields f(in);
  auto& hooks = cfg.webhooks.hooks;
  auto it = hooks.end();
  if (action != "add") {
    std::uint64_t id = 0;
    auto* v = in.if_contains("id");
    if (v && v->is_int64() && v->as_int64() > 0) id = static_cast<std::uint64_t>(v->as_int64());
    else if (v && v->is_uint64()) id = v->as_uint64();
    else if (v && v->is_string()) id = std::strtoull(std::string(v->as_string()).c_str(), nullptr, 10);
    if (!v || v->is_null()) return FieldError{"id", "id is required: the webhook's number (see /webhook/view)"};
    it = find_if(hooks, [&](const Webhook& w) { return w.id == id; });
    if (id == 0 || it == hooks.end()) return FieldError{"id", "no webhook with id " + json::serialize(*v)};
    if (action == "remove" || action == "delete") {
      hooks.erase(it);
      return std::nullopt;
    }
  }
  Webhook w = it == hooks.end() ? Webhook{} : *it;
  if (auto url = f.text("url", action == "add", 2048)) w.url = *url;
  const char* names = "a string of at most 320 printable characters";
  if (auto e = f.strings("events", false, names)) w.events = *e;
  if (auto u = f.strings("usernames", false, names)) w.usernames = *u;
  if (auto h = f.strings("headers", false, names)) w.headers = *h;
  if (auto o = f.text("output_format", false, 10)) {
    if (*o != "form" && *o != "json") f.fail("output_format", "output_format must be form or json, not '" + *o + "'");
    w.json = *o == "json";
  }
  if (auto t = f.text("auth_header_type", false, 10)) w.auth_header_type = *t;
  if (auto t = f.text("auth_header_value", false, 1000)) w.auth_header_value = *t;
  if (f.error) return f.error;
  if (auto p = check_webhook(w)) return FieldError{p->field, p->message};
  if (action == "add") {
    if (hooks.size() >= kMaxWebhooks)
      return FieldError{"url", "the account already has 100 webhooks; remove one first"};
    // The id made the first time, so that a replay over the file keeps it.
    std::uint64_t id = 0;
    if (auto* g = in.if_contains("id_generated"); g && g->is_uint64()) id = g->as_uint64();
    if (auto* g = in.if_contains("id_generated"); g && g->is_int64() && g->as_int64() > 0)
      id = static_cast<std::uint64_t>(g->as_int64());
    auto taken = [&](std::uint64_t n) { return find_if(hooks, [&](const Webhook& h) { return h.id == n; }) != hooks.end(); };
    if (!id || taken(id)) {
      id = 1;
      for (const auto& h : hooks) id = std::max(id, h.id + 1);
    }
    in["id_generated"] = id;
    w.id = id;
    hooks.push_back(std::move(w));
    return std::nullopt;
  }
  *it = std::move(w);
  return std::nullopt;
}

// The one entry `fields` names, or all of them.
template <class T, class Key>
json::array entries(const std::vector<T>& v, const json::object& fields, const char* field, Key key,
                    json::object (*to_json)(const T&)) {
  json::array out;
  auto* want = fields.if_contains(field);
  for (const auto& e : v)
    if (!want || !want->is_string() || want->as_string() == key(e)) out.push_back(to_json(e));
  return out;
}

}  // namespace

bool account_endpoint(std::string_view endpoint) {
  return std::find(std::begin(kEndpoints), std::end(kEndpoints), endpoint) != std::end(kEndpoints);
}

bool account_view(std::string_view endpoint) { return action_of(endpoint) == "view"; }

std::string account_endpoints_text() {
  std::string out;
  for (auto e : kEndpoints) out += (out.empty() ? "" : ", ") + std::string(e);
  return out;
}

std::string provider_endpoints_text(std::string_view prefix) {
  std::string out;
  for (auto e : kOtherEndpoints) out += (out.empty() ? "" : ", ") + std::string(prefix) + std::string(e);
  for (auto e : kEndpoints) out += ", " + std::string(prefix) + std::string(e);
  return out;
}

std::optional<std::string> normal_endpoint(std::string_view path) {
  if (path.substr(0, 4) == "/v3/") path.remove_prefix(4);
  else if (path.substr(0, 1) == "/") path.remove_prefix(1);
  if (account_endpoint(path) ||
      std::find(std::begin(kOtherEndpoints), std::end(kOtherEndpoints), path) != std::end(kOtherEndpoints))
    return "/" + std::string(path);
  return std::nullopt;
}

bool key_may_call(const ApiKey& key, std::string_view endpoint) {
  if (key.endpoints.empty()) return true;
  auto path = normal_endpoint(endpoint);
  return path && listed(key.endpoints, *path);
}

std::string api_key_id(const std::string& key) { return digest_hex("sha256", key).substr(0, 16); }

std::string masked_api_key(const std::string& key) {
  if (key.size() < 12) return "api-...";
  return key.substr(0, 8) + "..." + key.substr(key.size() - 4);
}

std::optional<FieldError> apply_change(Config& cfg, AccountChange& c) {
  std::string_view r = resource_of(c.endpoint), a = action_of(c.endpoint);
  if (!account_endpoint(c.endpoint) || a == "view") return FieldError{"", "not a change: " + c.endpoint};
  if (r == "users/smtp") return users(cfg, a, c.fields);
  if (r == "domain") return domains(cfg, a, c.fields);
  if (r == "single_sender_emails") return single_senders(cfg, a, c.fields);
  if (r == "allowed_senders") return allowed_senders(cfg, a, c.fields);
  if (r == "ip_auth") return ip_auth(cfg, a, c.fields);
  if (r == "webhook") return webhooks(cfg, a, c.fields);
  return api_keys(cfg, a, c.fields);
}

json::object account_answer(const Config& cfg, std::string_view endpoint, const json::object& fields) {
  std::string_view r = resource_of(endpoint), a = action_of(endpoint);
  // After a remove the rest is shown: the entry named is gone.
  const json::object none;
  const json::object& narrow = a == "remove" ? none : fields;
  if (r == "users/smtp") {
    json::object o{{"results", entries<SmtpUser>(cfg.smtp_users, narrow, "username",
                                                 [](const SmtpUser& u) { return u.username; }, user_json)}};
    if (a == "view") {
      o["default_ratelimit_value"] = 0;
      o["default_ratelimit_period"] = "unlimited";
    }
    return o;
  }
  if (r == "domain") {
    std::string want;
    if (auto* d = narrow.if_contains("domain"); d && d->is_string()) want = ascii_lower(d->as_string());
    json::array out;
    for (const auto& d : cfg.account.verified_domains)
      if (want.empty() || d == want) out.push_back(domain_json(d, true));
    for (const auto& d : cfg.account.unverified_domains)
      if (want.empty() || d == want) out.push_back(domain_json(d, false));
    return json::object{{"domains", out}};
  }
  if (r == "single_sender_emails") {
    json::array out;
    for (const auto& s : cfg.account.verified_senders)
      out.push_back(json::object{{"email_address", s}, {"verified", true}});
    return json::object{{"senders", out}};
  }
  if (r == "allowed_senders") {
    json::array list;
    for (const auto& e : cfg.account.restrict_entries) list.emplace_back(e);
    return json::object{{"mode", provider_mode(cfg.account.restrict_mode)}, {"allowed_senders", list}};
  }
  if (r == "ip_auth")
    return json::object{{"results", entries<IpAuth>(cfg.ip_auth, narrow, "ip_address",
                                                    [](const IpAuth& e) { return e.text; }, ip_json)}};
  if (r == "webhook") {
    // A change answers the hook it made or changed; a view (and a removal:
    // what is left) every hook, as a list (the provider's example shows one).
    std::uint64_t id = 0;
    if (a == "add") {
      if (auto* g = fields.if_contains("id_generated"); g && g->is_number()) id = g->to_number<std::uint64_t>();
    } else if (a == "edit") {
      if (auto* g = fields.if_contains("id"); g && g->is_number()) id = g->to_number<std::uint64_t>();
      if (auto* g = fields.if_contains("id"); g && g->is_string())
        id = std::strtoull(std::string(g->as_string()).c_str(), nullptr, 10);
    }
    json::array all;
    for (const auto& w : cfg.webhooks.hooks) {
      if (id && w.id == id) return webhook_json(w);
      all.push_back(webhook_json(w));
    }
    return json::object{{"webhooks", std::move(all)}};
  }
  // api_keys: an add shows its new key whole, once.
  if (a == "add") {
    json::array out;
    auto* g = fields.if_contains("api_key_generated");
    for (const auto& k : cfg.api_keys)
      if (g && g->is_string() && k.key == g->as_string()) {
        auto o = key_json(k);
        o["api_key"] = k.key;
        out.push_back(std::move(o));
      }
    return json::object{{"results", out}};
  }
  return json::object{{"results", entries<ApiKey>(cfg.api_keys, narrow, "id",
                                                  [](const ApiKey& k) { return api_key_id(k.key); }, key_json)}};
}

std::optional<Millis> provider_period(std::string_view p) {
  auto sp = p.find(' ');
  if (sp == std::string_view::npos || sp == 0 || sp > 6) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : p.substr(0, sp)) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (n == 0) return std::nullopt;
  std::string_view unit = p.substr(sp + 1);
  if (unit.size() > 1 && unit.back() == 's') unit.remove_suffix(1);
  constexpr std::int64_t kS = 1000, kM = 60 * kS, kH = 60 * kM, kD = 24 * kH;
  std::int64_t each = unit == "second" ? kS : unit == "minute" ? kM : unit == "hour" ? kH : unit == "day" ? kD
                    : unit == "week" ? 7 * kD : unit == "month" ? 30 * kD : 0;
  if (!each) return std::nullopt;
  return Millis(static_cast<std::int64_t>(n) * each);
}

std::string provider_period_text(Millis d) {
  constexpr std::int64_t kS = 1000, kM = 60 * kS, kH = 60 * kM, kD = 24 * kH;
  const std::pair<std::int64_t, const char*> units[] = {{30 * kD, "month"}, {7 * kD, "week"}, {kD, "day"},
                                                        {kH, "hour"},       {kM, "minute"},    {kS, "second"}};
  for (auto [each, name] : units)
    if (d.count() > 0 && d.count() % each == 0) {
      auto n = d.count() / each;
      return std::to_string(n) + " " + name + (n == 1 ? "" : "s");
    }
  return std::to_string(d.count()) + " milliseconds";
}

}  // namespace relaymock::config
