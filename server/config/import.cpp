#include "config/import.hpp"
#include "config/provider_account.hpp"
#include "util/duration.hpp"

#include <boost/json.hpp>
#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "config/loader.hpp"
#include "util/dates.hpp"
#include "util/random.hpp"
#include "util/strings.hpp"

namespace relaymock::config {
namespace {

namespace json = boost::json;

// "FILE:LINE:COL" of a byte offset.
std::string where_at(const ImportFile& f, std::size_t offset) {
  std::size_t line = 1, col = 1;
  for (std::size_t i = 0; i < offset && i < f.text.size(); ++i) {
    if (f.text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return f.name + ":" + std::to_string(line) + ":" + std::to_string(col);
}

// A YAML double-quoted scalar: whatever the export holds stays one value.
std::string q(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      static const char hex[] = "0123456789ABCDEF";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// A run of at most `max_digits` decimal digits (so no overflow), else nullopt.
std::optional<std::uint64_t> whole_number(std::string_view s, std::size_t max_digits) {
  if (s.empty() || s.size() > max_digits) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

// Letters and digits from the CSPRNG (a password or an API key's tail).
std::string random_alnum(std::size_t n) {
  static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  while (out.size() < n)
    for (unsigned char b : random_bytes(n))
      if (b < 248 && out.size() < n) out += set[b % 62];  // 248 = 4 * 62: no bias
  return out;
}

struct Rate {
  std::uint64_t count = 0;
  std::string per;  // "1h", "14d"
};

struct Entry {  // an SMTP user, an IP entry or an API key
  std::string name, secret, status = "allowed";
  std::optional<Rate> rate;
};

// What the export says of the account, gathered from all its files.
struct Export {
  std::vector<Entry> users, ips, keys;
  std::vector<std::string> domains, unverified_domains, senders, unverified_senders;
  std::optional<std::string> mode;  // allowlist | blocklist | disabled
  std::vector<std::string> allowed;
  std::optional<std::uint64_t> cycle_max, cycle_used;
  std::optional<std::string> cycle_start;  // YYYY-MM-DD
};

class Reader {
 public:
  Reader(const ImportFile& f, ImportResult& out) : f_(f), out_(out) {}

  void error(const std::string& path, const std::string& what) { out_.errors.push_back(f_.name + ": " + path + ": " + what); }
  void note(const std::string& what) { out_.notes.push_back(f_.name + ": " + what); }

  const json::string* str(const json::object& o, const char* key, const std::string& path, bool required = true) {
    auto* v = o.if_contains(key);
    if (!v || v->is_null()) {
      if (required) error(path, std::string("needs \"") + key + "\"");
      return nullptr;
    }
    if (!v->is_string()) {
      error(path + "." + key, "must be a string");
      return nullptr;
    }
    return &v->get_string();
  }
  std::optional<bool> boolean(const json::object& o, const char* key, const std::string& path) {
    auto* v = o.if_contains(key);
    if (!v || v->is_null()) return std::nullopt;
    if (!v->is_bool()) {
      error(path + "." + key, "must be true or false");
      return std::nullopt;
    }
    return v->get_bool();
  }
  std::optional<std::uint64_t> count(const json::object& o, const char* key, const std::string& path) {
    auto* v = o.if_contains(key);
    if (!v || v->is_null()) return std::nullopt;
    if (v->is_uint64()) return v->get_uint64();
    if (v->is_int64() && v->get_int64() >= 0) return static_cast<std::uint64_t>(v->get_int64());
    if (v->is_string())  // some answers quote their numbers
      if (auto n = whole_number(v->get_string(), 15)) return n;
    error(path + "." + key, "must be a whole number of 0 or more");
    return std::nullopt;
  }
  // The keys of `o` outside `known`, noted once per file.
  void unused(const json::object& o, std::initializer_list<std::string_view> known, const std::string& what) {
    for (const auto& kv : o) {
      std::string_view k = kv.key();
      if (std::find(known.begin(), known.end(), k) == known.end() && noted_.insert(what + "." + std::string(k)).second)
        note(what + ": field \"" + std::string(k) + "\" is not used");
    }
  }

  // status, custom_ratelimit*: the fields users, IP entries and keys share.
  void limits(const json::object& o, const std::string& path, Entry& e) {
    if (auto* s = str(o, "status", path, false)) {
      if (*s == "allowed" || *s == "blocked" || *s == "sandbox") e.status = std::string(*s);
      else error(path + ".status", "must be allowed, blocked or sandbox, not '" + std::string(*s) + "'");
    } else if (auto allowed = boolean(o, "sending_allowed", path); allowed && !*allowed) {
      e.status = "blocked";
    }
    auto custom = boolean(o, "custom_ratelimit", path);
    if (!custom || !*custom) return;
    auto value = count(o, "custom_ratelimit_value", path);
    auto* period = str(o, "custom_ratelimit_period", path);
    if (!value || !period) return;
    auto per = period_of(*period, path + ".custom_ratelimit_period");
    if (!per) return;
    if (*value == 0) {
      error(path + ".custom_ratelimit_value", "must be 1 or more when custom_ratelimit is true");
      return;
    }
    e.rate = Rate{*value, *per};
  }

  // "1 hour", "2 weeks", "1 month" -> "1h", "14d", "30d".
  std::optional<std::string> period_of(std::string_view p, const std::string& path) {
    if (auto per = provider_period(p)) {
      if (p.find("month") != std::string_view::npos && noted_.insert("month").second)
        note(path + ": a month is counted as 30 days (relaymock's rate windows have a fixed length)");
      return format_duration(*per);
    }
    error(path, "must be a period like \"1 hour\", \"1 day\", \"2 weeks\" or \"1 month\", not '" + std::string(p) + "'");
    return std::nullopt;
  }

 private:
  const ImportFile& f_;
  ImportResult& out_;
  std::set<std::string> noted_;
};

void read_results(Reader& r, const json::array& results, Export& a, ImportResult& out) {
  for (std::size_t i = 0; i < results.size(); ++i) {
    std::string path = "data.results[" + std::to_string(i) + "]";
    if (!results[i].is_object()) {
      r.error(path, "must be an object");
      continue;
    }
    const auto& o = results[i].get_object();
    Entry e;
    if (o.contains("username")) {  // users/smtp/view
      if (auto* u = r.str(o, "username", path)) e.name = std::string(*u);
      if (auto* p = r.str(o, "email_password", path, false); p && !p->empty()) e.secret = std::string(*p);
      r.limits(o, path, e);
      r.unused(o, {"username", "email_password", "description", "status", "sending_allowed", "custom_ratelimit",
                   "custom_ratelimit_value", "custom_ratelimit_period"}, "users/smtp/view result");
      if (e.name.empty()) continue;
      if (e.secret.empty()) {
        e.secret = random_alnum(20);
        out.generated.emplace_back("password of smtp user " + e.name, e.secret);
      }
      a.users.push_back(std::move(e));
    } else if (o.contains("ip_address")) {  // ip_auth/view
      if (auto* ip = r.str(o, "ip_address", path)) e.name = std::string(*ip);
      r.limits(o, path, e);
      r.unused(o, {"ip_address", "description", "status", "sending_allowed", "custom_ratelimit",
                   "custom_ratelimit_value", "custom_ratelimit_period"}, "ip_auth/view result");
      if (!e.name.empty()) a.ips.push_back(std::move(e));
    } else if (o.contains("api_key")) {  // api_keys/view
      const json::string* key = r.str(o, "api_key", path);
      const json::string* desc = r.str(o, "description", path, false);
      r.limits(o, path, e);
      r.unused(o, {"api_key", "description", "status", "sending_allowed", "custom_ratelimit", "custom_ratelimit_value",
                   "custom_ratelimit_period"}, "api_keys/view result");
      if (!key) continue;
      std::string k(*key);
      bool whole = api_key_format(k);
      e.name = desc && !desc->empty() ? std::string(*desc) : "key-" + std::to_string(a.keys.size() + 1);
      if (whole) {
        e.secret = k;
      } else {  // the view shows keys shortened
        e.secret = "api-" + random_alnum(32);
        out.generated.emplace_back("API key " + e.name + " (the export shows '" + k + "')", e.secret);
      }
      a.keys.push_back(std::move(e));
    } else {
      r.error(path, "is neither an SMTP user (username), an IP entry (ip_address) nor an API key (api_key)");
    }
  }
}

void read_file(const ImportFile& f, Export& a, ImportResult& out) {
  json::stream_parser p;
  boost::system::error_code ec;
  std::size_t used = p.write(f.text.data(), f.text.size(), ec);
  if (!ec) p.finish(ec);
  if (ec) {
    out.errors.push_back(where_at(f, std::min(used, f.text.size())) + ": not JSON: " + ec.message());
    return;
  }
  json::value v = p.release();
  Reader r(f, out);
  const json::object* data = nullptr;
  if (v.is_object())
    if (auto* d = v.get_object().if_contains("data"); d && d->is_object()) data = &d->get_object();
  if (!data) {
    out.errors.push_back(f.name + ": not an answer of the provider's API v3 (no \"data\" object)");
    return;
  }
  if (data->contains("error") || data->contains("error_code")) {
    out.errors.push_back(f.name + ": an error answer, not an account view: " + json::serialize(*data));
    return;
  }
  if (auto* results = data->if_contains("results")) {
    if (!results->is_array()) return r.error("data.results", "must be a list");
    read_results(r, results->get_array(), a, out);
    r.unused(*data, {"results", "default_ratelimit_value", "default_ratelimit_period"}, "data");
  } else if (auto* domains = data->if_contains("domains")) {  // domain/view
    if (!domains->is_array()) return r.error("data.domains", "must be a list");
    for (std::size_t i = 0; i < domains->get_array().size(); ++i) {
      std::string path = "data.domains[" + std::to_string(i) + "]";
      const auto& e = domains->get_array()[i];
      const json::value* d = e.is_object() ? e.get_object().if_contains("domain") : nullptr;
      if (!d || !d->is_object()) {
        r.error(path, "needs a \"domain\" object");
        continue;
      }
      const auto& o = d->get_object();
      auto* name = r.str(o, "fulldomain", path + ".domain");
      if (!name) continue;
      bool verified = r.boolean(o, "dkim_verified", path + ".domain").value_or(false) &&
                      r.boolean(o, "rpath_verified", path + ".domain").value_or(false);
      (verified ? a.domains : a.unverified_domains).push_back(ascii_lower(std::string(*name)));
    }
  } else if (auto* senders = data->if_contains("senders")) {  // single_sender_emails/view
    if (!senders->is_array()) return r.error("data.senders", "must be a list");
    for (std::size_t i = 0; i < senders->get_array().size(); ++i) {
      std::string path = "data.senders[" + std::to_string(i) + "]";
      const auto& e = senders->get_array()[i];
      if (!e.is_object()) {
        r.error(path, "must be an object");
        continue;
      }
      auto* addr = r.str(e.get_object(), "email_address", path);
      if (!addr) continue;
      bool verified = r.boolean(e.get_object(), "verified", path).value_or(false);
      (verified ? a.senders : a.unverified_senders).emplace_back(*addr);
    }
  } else if (data->contains("allowed_senders") || data->contains("mode")) {  // allowed_senders/view
    if (auto* mode = r.str(*data, "mode", "data")) {
      if (*mode == "whitelist") a.mode = "allowlist";
      else if (*mode == "blacklist") a.mode = "blocklist";
      else if (*mode == "disabled") a.mode = "disabled";
      else r.error("data.mode", "must be whitelist, blacklist or disabled, not '" + std::string(*mode) + "'");
    }
    if (auto* list = data->if_contains("allowed_senders")) {
      if (!list->is_array()) return r.error("data.allowed_senders", "must be a list");
      for (std::size_t i = 0; i < list->get_array().size(); ++i) {
        const auto& e = list->get_array()[i];
        if (e.is_string()) a.allowed.emplace_back(e.get_string());
        else r.error("data.allowed_senders[" + std::to_string(i) + "]", "must be a string");
      }
    }
  } else if (data->contains("cycle_max") || data->contains("cycle_used")) {  // stats/email_cycle
    a.cycle_max = r.count(*data, "cycle_max", "data");
    a.cycle_used = r.count(*data, "cycle_used", "data");
    if (auto* start = r.str(*data, "cycle_start", "data")) {
      std::string s(*start);
      if (s.size() >= 10 && parse_civil_date(std::string_view(s).substr(0, 10)))
        a.cycle_start = s.substr(0, 10);
      else
        r.error("data.cycle_start", "must start with a date like 2026-11-05, not '" + s + "'");
    }
    r.unused(*data, {"cycle_start", "cycle_end", "cycle_used", "cycle_remaining", "cycle_max"}, "data");
  } else {
    out.errors.push_back(f.name +
                         ": not an answer of a view endpoint relaymock reads (users/smtp, domain, "
                         "single_sender_emails, allowed_senders, ip_auth, api_keys, stats/email_cycle)");
  }
}

std::string entry_line(const Entry& e, const char* name_key, const char* secret_key, bool name_first) {
  std::string s = "  - { ";
  if (name_first) s += std::string(name_key) + ": " + q(e.name) + (secret_key ? std::string(", ") + secret_key + ": " + q(e.secret) : "");
  else s += std::string(secret_key) + ": " + q(e.secret) + ", " + name_key + ": " + q(e.name);
  s += ", status: " + e.status;
  if (e.rate) s += ", rate_limit: { count: " + std::to_string(e.rate->count) + ", per: " + e.rate->per + " }";
  return s + " }\n";
}

std::string list(const std::vector<std::string>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + q(v[i]);
  return s + "]";
}

}  // namespace

ImportResult import_provider_exports(const std::vector<ImportFile>& files, const std::string& today) {
  ImportResult out;
  Export a;
  std::string names;
  for (const auto& f : files) {
    read_file(f, a, out);
    names += (names.empty() ? "" : ", ") + f.name;
  }
  if (files.empty()) out.errors.push_back("no files to import");
  if (!out.errors.empty()) return out;

  std::string y;
  y += "# relaymock config imported on " + today + " from the provider's API v3 answers:\n# " + names + "\n";
  y += "# Check it with: relaymock --check-config <this file>\n\n";
  y += "account:\n";
  y += "  verified_domains: " + list(a.domains) + "\n";
  if (!a.unverified_domains.empty())
    y += "  # not verified yet (DKIM and return path), so not allowed to send: " + list(a.unverified_domains) + "\n";
  y += "  verified_senders: " + list(a.senders) + "\n";
  if (!a.unverified_senders.empty()) y += "  # not verified yet: " + list(a.unverified_senders) + "\n";
  if (a.mode) y += "  restrict_senders: { mode: " + *a.mode + ", entries: " + list(a.allowed) + " }\n";
  if (a.cycle_max || a.cycle_start) {
    y += "  quota:\n";
    if (a.cycle_max) y += "    monthly: " + std::to_string(*a.cycle_max) + "\n";
    if (a.cycle_start) {
      auto d = *parse_civil_date(*a.cycle_start);
      y += "    cycle_day: " + std::to_string(std::min(d.day, 28)) + "\n";
      if (d.day > 28)
        out.notes.push_back("the cycle starts on day " + std::to_string(d.day) + "; relaymock's cycle_day stops at 28");
      else if (a.cycle_used && *a.cycle_used > 0) {
        y += "    # already sent in the customer's cycle that started on " + *a.cycle_start + "\n";
        y += "    used: " + std::to_string(*a.cycle_used) + "\n";
        y += "    used_in_cycle: " + *a.cycle_start + "\n";
      }
    }
  }
  y += "\nsmtp_users:" + std::string(a.users.empty() ? " []\n" : "\n");
  for (const auto& u : a.users) y += entry_line(u, "username", "password", true);
  y += "\nip_auth:" + std::string(a.ips.empty() ? " []\n" : "\n");
  for (const auto& e : a.ips) y += entry_line(e, "ip", nullptr, true);
  y += "\napi_keys:" + std::string(a.keys.empty() ? " []\n" : "\n");
  for (const auto& k : a.keys) y += entry_line(k, "name", "key", false);
  out.yaml = std::move(y);
  return out;
}

}  // namespace relaymock::config
