#include "config/loader.hpp"
#include "config/provider_account.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <functional>
#include <limits>
#include <set>
#include <sstream>

#include "config/rules.hpp"
#include "config/profiles.hpp"
#include "config/webhooks.hpp"
#include "util/address.hpp"
#include "util/strings.hpp"

namespace relaymock::config {

const char* tls_mode_name(TlsMode m) {
  switch (m) {
    case TlsMode::None: return "none";
    case TlsMode::StartTls: return "starttls";
    case TlsMode::Implicit: return "implicit";
  }
  return "?";
}

const char* status_name(Status s) {
  switch (s) {
    case Status::Allowed: return "allowed";
    case Status::Blocked: return "blocked";
    case Status::Sandbox: return "sandbox";
  }
  return "?";
}

const char* restrict_mode_name(RestrictMode m) {
  switch (m) {
    case RestrictMode::Disabled: return "disabled";
    case RestrictMode::Allowlist: return "allowlist";
    case RestrictMode::Blocklist: return "blocklist";
  }
  return "?";
}

const char* verify_mode_name(VerifyMode m) {
  switch (m) {
    case VerifyMode::Static: return "static";
    case VerifyMode::System: return "system";
    case VerifyMode::Off: return "off";
  }
  return "?";
}

bool api_key_format(std::string_view k) {
  if (k.size() != 36 || k.substr(0, 4) != "api-") return false;
  return std::all_of(k.begin() + 4, k.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

const char* fault_kind_name(Fault::Kind k) {
  switch (k) {
    case Fault::Kind::None: return "none";
    case Fault::Kind::Refuse: return "refuse";
    case Fault::Kind::Reset: return "reset";
    case Fault::Kind::Blackhole: return "blackhole";
    case Fault::Kind::CloseAfterGreeting: return "close_after_greeting";
    case Fault::Kind::TlsHandshakeFail: return "tls_handshake_fail";
    case Fault::Kind::SlowGreeting: return "slow_greeting";
    case Fault::Kind::Throttle: return "throttle";
  }
  return "?";
}

std::string fault_text(const Fault& f) {
  if (f.kind == Fault::Kind::SlowGreeting) return "slow_greeting: " + format_duration(f.delay);
  if (f.kind == Fault::Kind::Throttle) {
    std::string t = "throttle: " + std::to_string(f.bytes_per_second);
    if (f.up_to > f.bytes_per_second) t += ", up_to: " + std::to_string(f.up_to);
    if (f.chance < 1.0) {
      std::ostringstream c;
      c << f.chance;
      t += ", chance: " + c.str();
    }
    return t;
  }
  return fault_kind_name(f.kind);
}

std::vector<Listener> default_listeners() {
  return {{"0.0.0.0", 2525, TlsMode::StartTls, {}, {}, 0},
          {"0.0.0.0", 8025, TlsMode::StartTls, {}, {}, 0},
          {"0.0.0.0", 8465, TlsMode::Implicit, {}, {}, 0}};
}

const std::vector<std::string>& known_reply_ids() {
  static const std::vector<std::string> ids = [] {
    std::vector<std::string> v;
    for (const auto& r : rules()) v.emplace_back(r.id);
    for (const auto& s : SuccessReplies::ids()) v.emplace_back(s.name);
    return v;
  }();
  return ids;
}

std::string LoadResult::format(const std::string& file) const {
  std::string out;
  for (const auto& p : problems)
    out += file + ":" + std::to_string(p.line) + ":" + std::to_string(p.column) + ": " + p.message + "\n";
  return out;
}

namespace {

using Keys = std::vector<std::string_view>;

std::string join(const Keys& keys) {
  std::string out;
  for (auto k : keys) {
    if (!out.empty()) out += ", ";
    out += k;
  }
  return out;
}

// Walks the YAML tree, collecting every problem instead of stopping at the first.
class Reader {
 public:
  explicit Reader(std::vector<Problem>& problems) : problems_(problems) {}

  void error(const YAML::Node& n, std::string msg) {
    auto m = n.Mark();
    problems_.push_back({m.line + 1, m.column + 1, std::move(msg)});
  }
  void error_at(const YAML::Mark& m, std::string msg) { problems_.push_back({m.line + 1, m.column + 1, std::move(msg)}); }

  // Checks that `n` is a map whose keys are all in `allowed`; reports unknown
  // and duplicate keys. Null (an empty value) counts as an empty map.
  bool map(const YAML::Node& n, const std::string& where, const Keys& allowed) {
    if (!n.IsDefined() || n.IsNull()) return false;
    if (!n.IsMap()) {
      error(n, where + " must be a mapping of keys to values");
      return false;
    }
    std::set<std::string> seen;
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (!it->first.IsScalar()) {
        error(it->first, "keys in " + where + " must be plain names");
        continue;
      }
      auto key = it->first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        error(it->first, "unknown key '" + key + "' in " + where + " (expected one of: " + join(allowed) + ")");
      } else if (!seen.insert(key).second) {
        error(it->first, "duplicate key '" + key + "' in " + where);
      }
    }
    return true;
  }

  static bool present(const YAML::Node& n) { return n.IsDefined() && !n.IsNull(); }

  bool scalar(const YAML::Node& n, const std::string& what) {
    if (n.IsScalar()) return true;
    error(n, what + " must be a single value, not a " + (n.IsMap() ? "mapping" : "list"));
    return false;
  }

  void string(const YAML::Node& n, const std::string& what, std::string& out, bool allow_empty = true) {
    if (!present(n) || !scalar(n, what)) return;
    if (!allow_empty && n.Scalar().empty()) {
      error(n, what + " must not be empty");
      return;
    }
    out = n.Scalar();
  }

  void boolean(const YAML::Node& n, const std::string& what, bool& out) {
    if (!present(n) || !scalar(n, what)) return;
    const auto& s = n.Scalar();
    if (s == "true" || s == "yes" || s == "on") out = true;
    else if (s == "false" || s == "no" || s == "off") out = false;
    else error(n, what + " must be true or false, not '" + s + "'");
  }

  template <typename T>
  void integer(const YAML::Node& n, const std::string& what, T& out, std::uint64_t min, std::uint64_t max) {
    if (!present(n) || !scalar(n, what)) return;
    const auto& s = n.Scalar();
    std::uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec == std::errc::invalid_argument || ptr != s.data() + s.size()) {
      error(n, what + " must be a whole number, not '" + s + "'");
      return;
    }
    if (ec == std::errc::result_out_of_range || v < min || v > max) {
      error(n, what + " must be between " + std::to_string(min) + " and " + std::to_string(max) + ", not " + s);
      return;
    }
    out = static_cast<T>(v);
  }

  void duration(const YAML::Node& n, const std::string& what, Millis& out, Millis min = Millis(1)) {
    if (!present(n) || !scalar(n, what)) return;
    auto d = parse_duration(n.Scalar());
    if (!d) {
      error(n, what + " must be a duration such as 30s, 5m, 1h or a number of seconds, not '" + n.Scalar() + "'");
      return;
    }
    if (*d < min) {
      error(n, what + " must be at least " + format_duration(min));
      return;
    }
    out = *d;
  }

  template <typename E>
  void choice(const YAML::Node& n, const std::string& what, E& out, const std::vector<std::pair<std::string_view, E>>& options) {
    if (!present(n) || !scalar(n, what)) return;
    for (const auto& [name, value] : options) {
      if (n.Scalar() == name) {
        out = value;
        return;
      }
    }
    Keys names;
    for (const auto& o : options) names.push_back(o.first);
    error(n, what + " must be one of " + join(names) + ", not '" + n.Scalar() + "'");
  }

  // A list; a missing or null key is an empty list.
  bool list(const YAML::Node& n, const std::string& what) {
    if (!present(n)) return false;
    if (!n.IsSequence()) {
      error(n, what + " must be a list");
      return false;
    }
    return true;
  }

 private:
  std::vector<Problem>& problems_;
};

const std::vector<std::pair<std::string_view, Status>> kStatuses = {
    {"allowed", Status::Allowed}, {"blocked", Status::Blocked}, {"sandbox", Status::Sandbox}};

void read_rate_limit(Reader& r, const YAML::Node& n, const std::string& where, std::optional<RateLimit>& out) {
  if (!Reader::present(n)) return;
  if (!r.map(n, where, {"count", "per"})) return;
  RateLimit rl;
  bool ok = true;
  if (!Reader::present(n["count"])) { r.error(n, where + " needs count"); ok = false; }
  if (!Reader::present(n["per"])) { r.error(n, where + " needs per (a duration such as 1h)"); ok = false; }
  r.integer(n["count"], where + ".count", rl.count, 1, 1'000'000'000);
  r.duration(n["per"], where + ".per", rl.per, Millis(1000));
  if (ok && rl.count > 0 && rl.per.count() > 0) out = rl;
}

// An email address as written in config: local@domain, domain lower-cased.
bool read_address(Reader& r, const YAML::Node& n, const std::string& what, std::string& out) {
  if (!r.scalar(n, what)) return false;
  auto mb = parse_plain_address(n.Scalar());
  if (!mb) {
    r.error(n, what + " must be an email address like user@example.com, not '" + n.Scalar() + "'");
    return false;
  }
  out = mb->local + "@" + ascii_lower(mb->domain);
  return true;
}

bool read_domain(Reader& r, const YAML::Node& n, const std::string& what, std::string& out) {
  if (!r.scalar(n, what)) return false;
  if (!valid_domain(n.Scalar()) || n.Scalar().front() == '[') {
    r.error(n, what + " must be a domain name like example.com, not '" + n.Scalar() + "'");
    return false;
  }
  out = ascii_lower(n.Scalar());
  return true;
}

void read_fault(Reader& r, const YAML::Node& n, const std::string& what, Fault& out);

void read_profile(Reader& r, const YAML::Node& n, const std::string& what, std::string& out) {
  if (!Reader::present(n) || !r.scalar(n, what)) return;
  if (!find_profile(n.Scalar())) {
    r.error(n, what + " must be one of " + profile_names() + ", not '" + n.Scalar() + "'");
    return;
  }
  out = n.Scalar();
}

void read_server(Reader& r, const YAML::Node& n, Server& s) {
  if (!r.map(n, "server",
             {"hostname", "listeners", "max_message_size", "max_recipients", "max_connections",
              "max_connections_per_ip", "threads", "timeouts", "enhanced_status_codes", "banner", "profile",
              "region"}))
    return;
  read_profile(r, n["profile"], "server.profile", s.profile);
  r.string(n["region"], "server.region", s.region);
  if (s.region.empty() || s.region.size() > 64 ||
      s.region.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != std::string::npos)
    r.error(n["region"], "server.region must be a region name like us-east-1, not '" + s.region + "'");
  r.choice(n["banner"], "server.banner", s.provider_banner, {{"relaymock", false}, {"provider", true}});
  r.string(n["hostname"], "server.hostname", s.hostname);
  if (!s.hostname.empty() && !valid_domain(s.hostname))
    r.error(n["hostname"], "server.hostname must be a host name like relaymock.local, not '" + s.hostname + "'");
  if (Reader::present(n["listeners"])) {
    s.listeners.clear();
    if (r.list(n["listeners"], "server.listeners")) {
      std::set<std::uint16_t> ports;
      int i = 0;
      for (const auto& l : n["listeners"]) {
        std::string where = "server.listeners[" + std::to_string(i++) + "]";
        if (!r.map(l, where, {"address", "port", "tls", "fault", "profile"})) {
          if (!Reader::present(l)) r.error(l, where + " must not be empty");
          continue;
        }
        Listener li;
        li.line = l.Mark().line + 1;
        r.string(l["address"], where + ".address", li.address, false);
        if (!parse_ip(li.address)) r.error(l["address"], where + ".address must be an IP address such as 0.0.0.0, 127.0.0.1 or ::, not '" + li.address + "'");
        if (!Reader::present(l["port"])) r.error(l, where + " needs a port");
        r.integer(l["port"], where + ".port", li.port, 1, 65535);
        r.choice(l["tls"], where + ".tls", li.tls,
                 {{"none", TlsMode::None}, {"starttls", TlsMode::StartTls}, {"implicit", TlsMode::Implicit}});
        read_fault(r, l["fault"], where + ".fault", li.fault);
        read_profile(r, l["profile"], where + ".profile", li.profile);
        if (li.port && !ports.insert(li.port).second)
          r.error(l["port"], "duplicate port " + std::to_string(li.port) + " in server.listeners");
        s.listeners.push_back(li);
      }
      if (s.listeners.empty()) r.error(n["listeners"], "server.listeners must list at least one listener");
    }
  }
  r.integer(n["max_message_size"], "server.max_message_size", s.max_message_size, 1024, 1ull << 40);
  r.integer(n["max_recipients"], "server.max_recipients", s.max_recipients, 1, 100000);
  r.integer(n["max_connections"], "server.max_connections", s.max_connections, 1, 1000000);
  r.integer(n["max_connections_per_ip"], "server.max_connections_per_ip", s.max_connections_per_ip, 1, 1000000);
  r.integer(n["threads"], "server.threads", s.threads, 0, 256);
  if (r.map(n["timeouts"], "server.timeouts", {"command", "data", "tls_handshake"})) {
    r.duration(n["timeouts"]["command"], "server.timeouts.command", s.timeouts.command);
    r.duration(n["timeouts"]["data"], "server.timeouts.data", s.timeouts.data);
    r.duration(n["timeouts"]["tls_handshake"], "server.timeouts.tls_handshake", s.timeouts.tls_handshake);
  }
  r.boolean(n["enhanced_status_codes"], "server.enhanced_status_codes", s.enhanced_status_codes);
}

// fault: none | refuse | reset | blackhole | close_after_greeting |
// tls_handshake_fail | { slow_greeting: DURATION } | { throttle: BYTES_PER_S,
// up_to: BYTES_PER_S, chance: 0..1 }
void read_fault(Reader& r, const YAML::Node& n, const std::string& what, Fault& out) {
  if (!Reader::present(n)) return;
  const std::string hint = what + " must be one of none, refuse, reset, blackhole, close_after_greeting, "
                                  "tls_handshake_fail, { slow_greeting: 5s } or { throttle: 100 } (bytes per second)";
  if (n.IsScalar()) {
    static const std::vector<std::pair<std::string_view, Fault::Kind>> simple = {
        {"none", Fault::Kind::None},           {"refuse", Fault::Kind::Refuse},
        {"reset", Fault::Kind::Reset},         {"blackhole", Fault::Kind::Blackhole},
        {"close_after_greeting", Fault::Kind::CloseAfterGreeting},
        {"tls_handshake_fail", Fault::Kind::TlsHandshakeFail}};
    for (const auto& [name, kind] : simple)
      if (n.Scalar() == name) {
        out = Fault{kind};
        return;
      }
    r.error(n, hint + ", not '" + n.Scalar() + "'");
    return;
  }
  const bool throttle = n.IsMap() && Reader::present(n["throttle"]);
  if (!n.IsMap() || (!throttle && n.size() != 1)) {
    r.error(n, hint);
    return;
  }
  if (!r.map(n, what, throttle ? Keys{"throttle", "up_to", "chance"} : Keys{"slow_greeting", "throttle"})) return;
  Fault f;
  if (!throttle) {
    f.kind = Fault::Kind::SlowGreeting;
    r.duration(n["slow_greeting"], what + ".slow_greeting", f.delay);
  } else {
    f.kind = Fault::Kind::Throttle;
    r.integer(n["throttle"], what + ".throttle", f.bytes_per_second, 1, 1'000'000'000);
    r.integer(n["up_to"], what + ".up_to", f.up_to, 1, 1'000'000'000);
    if (Reader::present(n["up_to"]) && f.up_to < f.bytes_per_second)
      r.error(n["up_to"], what + ".up_to must be at least the throttle rate (" + std::to_string(f.bytes_per_second) + ")");
    if (Reader::present(n["chance"]) && r.scalar(n["chance"], what + ".chance")) {
      const std::string& s = n["chance"].Scalar();
      char* end = nullptr;
      double c = std::strtod(s.c_str(), &end);
      if (s.empty() || *end != '\0' || !(c > 0.0 && c <= 1.0))
        r.error(n["chance"], what + ".chance must be a number above 0 and at most 1, not '" + s + "'");
      else
        f.chance = c;
    }
  }
  out = f;
}

// * and ? globs, as written (matched without case).
bool valid_glob(const std::string& g) { return !g.empty() && g.find_first_of(" \t\r\n") == std::string::npos; }

// A scenario's or an outcome rule's `match`; false when there is none.
bool read_match(Reader& r, const YAML::Node& m, const std::string& where, ScenarioMatch& out) {
  if (!Reader::present(m) || !r.map(m, where + ".match", {"ip", "port", "user", "api_key", "sender", "recipient", "header"}))
    return false;
  if (Reader::present(m["ip"])) {
    r.string(m["ip"], where + ".match.ip", out.ip_text, false);
    std::string why;
    if (auto c = parse_cidr(out.ip_text, &why)) out.ip = *c;
    else if (!out.ip_text.empty())
      r.error(m["ip"], where + ".match.ip '" + out.ip_text + "' is not a valid address or CIDR: " + why);
  }
  if (Reader::present(m["port"])) {
    std::uint16_t port = 0;
    r.integer(m["port"], where + ".match.port", port, 1, 65535);
    if (port) out.port = port;
  }
  r.string(m["user"], where + ".match.user", out.user, false);
  r.string(m["api_key"], where + ".match.api_key", out.api_key, false);
  r.string(m["sender"], where + ".match.sender", out.sender, false);
  r.string(m["recipient"], where + ".match.recipient", out.recipient, false);
  for (const auto* g : {&out.sender, &out.recipient})
    if (!g->empty() && !valid_glob(*g)) r.error(m, where + ".match: '" + *g + "' is not a glob (no spaces)");
  const auto& h = m["header"];
  if (Reader::present(h) && !h.IsMap()) r.error(h, where + ".match.header must map header names to regular expressions");
  if (Reader::present(h) && h.IsMap()) {
    for (auto it = h.begin(); it != h.end(); ++it) {
      if (!r.scalar(it->second, where + ".match.header." + it->first.Scalar())) continue;
      std::string why;
      auto re = Pattern::compile(it->second.Scalar(), why);
      if (!re) {
        r.error(it->second, where + ".match.header." + it->first.Scalar() +
                                " is not a valid regular expression (RE2 syntax): " + why);
        continue;
      }
      out.headers.emplace_back(it->first.Scalar(), std::move(*re));
    }
  }
  return true;
}

void read_scenario(Reader& r, const YAML::Node& n, const std::string& where, Scenario& sc) {
  if (!r.map(n, where,
             {"name", "stage", "match", "times", "every", "probability", "seed", "reply", "delay", "disconnect"})) {
    if (!Reader::present(n)) r.error(n, where + " must not be empty");
    return;
  }
  if (!Reader::present(n["name"])) r.error(n, where + " needs a name (shown in events)");
  r.string(n["name"], where + ".name", sc.name, false);
  if (!Reader::present(n["stage"]))
    r.error(n, where + " needs a stage: connect, ehlo, auth, mail, rcpt, data or end_of_data");
  // Every stage a scenario can fire at (all but the session as a whole).
  r.choice(n["stage"], where + ".stage", sc.stage,
           {{stage_name(Stage::Connect), Stage::Connect}, {stage_name(Stage::Ehlo), Stage::Ehlo},
            {stage_name(Stage::Auth), Stage::Auth}, {stage_name(Stage::Mail), Stage::Mail},
            {stage_name(Stage::Rcpt), Stage::Rcpt}, {stage_name(Stage::Data), Stage::Data},
            {stage_name(Stage::EndOfData), Stage::EndOfData}});
  const auto& m = n["match"];
  if (read_match(r, m, where, sc.match)) {
    // What a stage cannot know yet would never match: say so now.
    auto before = [&](Stage s) { return static_cast<int>(sc.stage) < static_cast<int>(s); };
    if (!sc.match.user.empty() && before(Stage::Mail) && sc.stage != Stage::Auth)
      r.error(m["user"], where + ".match.user needs stage auth or later (the user is known once AUTH succeeds)");
    if (!sc.match.sender.empty() && before(Stage::Mail))
      r.error(m["sender"], where + ".match.sender needs stage mail or later");
    if (!sc.match.recipient.empty() && before(Stage::Rcpt))
      r.error(m["recipient"], where + ".match.recipient needs stage rcpt, data or end_of_data");
    if (!sc.match.headers.empty() && sc.stage != Stage::EndOfData)
      r.error(m["header"], where + ".match.header needs stage end_of_data (the headers arrive with the message)");
  }
  // When it fires: at most one of times, every, probability.
  int how = Reader::present(n["times"]) + Reader::present(n["every"]) + Reader::present(n["probability"]);
  if (how > 1) r.error(n, where + " takes one of times, every or probability");
  if (Reader::present(n["times"])) {
    std::uint64_t t = 0;
    r.integer(n["times"], where + ".times", t, 1, 1'000'000'000);
    if (t) sc.times = t;
  }
  if (Reader::present(n["every"])) {
    std::uint64_t e = 0;
    r.integer(n["every"], where + ".every", e, 1, 1'000'000'000);
    if (e) sc.every = e;
  }
  if (Reader::present(n["probability"]) && r.scalar(n["probability"], where + ".probability")) {
    char* end = nullptr;
    const std::string& s = n["probability"].Scalar();
    double p = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0' || !(p >= 0.0 && p <= 1.0))
      r.error(n["probability"], where + ".probability must be a number from 0 to 1, not '" + s + "'");
    else
      sc.probability = p;
  }
  if (Reader::present(n["seed"])) {
    if (!Reader::present(n["probability"])) r.error(n["seed"], where + ".seed goes with probability");
    r.integer(n["seed"], where + ".seed", sc.seed, 0, std::numeric_limits<std::uint64_t>::max());
  }
  // What it does: reply, delay, disconnect (a delay may come before either).
  if (Reader::present(n["reply"]) && r.scalar(n["reply"], where + ".reply")) {
    Reply reply;
    if (!parse_reply_text(n["reply"].Scalar(), reply) || reply.text.empty())
      r.error(n["reply"], where + ".reply must start with a reply code 200-599 followed by text, e.g. \"451 try later\"");
    else
      sc.reply = reply;
  }
  if (Reader::present(n["delay"])) {
    Millis d{0};
    r.duration(n["delay"], where + ".delay", d);
    if (d.count() > 0) sc.delay = d;
  }
  r.boolean(n["disconnect"], where + ".disconnect", sc.disconnect);
  if (!Reader::present(n["reply"]) && !Reader::present(n["delay"]) && !sc.disconnect)
    r.error(n, where + " needs reply, delay or disconnect: true");
}

void read_scenarios(Reader& r, const YAML::Node& n, std::vector<Scenario>& out) {
  if (!r.list(n, "scenarios")) return;
  std::set<std::string> names;
  int i = 0;
  for (const auto& s : n) {
    std::string where = "scenarios[" + std::to_string(i++) + "]";
    Scenario sc;
    read_scenario(r, s, where, sc);
    if (!sc.name.empty() && !names.insert(sc.name).second)
      r.error(s["name"], "duplicate name '" + sc.name + "' in scenarios");
    out.push_back(std::move(sc));
  }
}

// Each outcome and its name, once: the reader's choice and outcome_kind_name.
const std::vector<std::pair<std::string_view, OutcomeKind>> kOutcomeKinds = {
    {"delivered", OutcomeKind::Delivered}, {"hard_bounce", OutcomeKind::HardBounce},
    {"soft_bounce", OutcomeKind::SoftBounce}, {"spam", OutcomeKind::Spam},
    {"open", OutcomeKind::Open},           {"click", OutcomeKind::Click},
    {"unsubscribe", OutcomeKind::Unsubscribe}};

void read_outcome_rule(Reader& r, const YAML::Node& n, const std::string& where, OutcomeRule& o) {
  if (!r.map(n, where, {"name", "match", "outcome", "reply", "host", "after", "retries", "retry_every", "then"})) {
    if (!Reader::present(n)) r.error(n, where + " must not be empty");
    return;
  }
  if (!Reader::present(n["name"])) r.error(n, where + " needs a name (shown in events)");
  r.string(n["name"], where + ".name", o.name, false);
  if (!Reader::present(n["outcome"]))
    r.error(n, where + " needs an outcome: delivered, hard_bounce, soft_bounce, spam, open, click or unsubscribe");
  r.choice(n["outcome"], where + ".outcome", o.outcome, kOutcomeKinds);
  read_match(r, n["match"], where, o.match);
  if (Reader::present(n["reply"]) && r.scalar(n["reply"], where + ".reply")) {
    Reply reply;
    // A remote server's reply: 2xx delivered, 4xx a deferral, 5xx a bounce.
    int want = o.outcome == OutcomeKind::HardBounce ? 5 : o.outcome == OutcomeKind::SoftBounce ? 4 : 2;
    if (!parse_reply_text(n["reply"].Scalar(), reply) || reply.text.empty())
      r.error(n["reply"], where + ".reply must start with a reply code followed by text, e.g. \"550 5.1.1 user unknown\"");
    else if (reply.code / 100 != want)
      r.error(n["reply"], where + ".reply for " + outcome_kind_name(o.outcome) +
                              " must be a " + std::to_string(want) + "xx reply, not " + std::to_string(reply.code));
    else
      o.reply = reply;
  }
  r.string(n["host"], where + ".host", o.host, false);
  if (o.host.size() > 255 || o.host.find_first_of("\r\n") != std::string::npos)
    r.error(n["host"], where + ".host must be one line of at most 255 characters");
  if (Reader::present(n["after"])) {
    Millis d{0};
    r.duration(n["after"], where + ".after", d, Millis(0));
    o.after = d;
  }
  const bool soft = o.outcome == OutcomeKind::SoftBounce;
  for (const char* key : {"retries", "retry_every", "then"})
    if (Reader::present(n[key]) && !soft) r.error(n[key], where + "." + key + " goes with outcome soft_bounce");
  r.integer(n["retries"], where + ".retries", o.retries, 0, 100);
  r.duration(n["retry_every"], where + ".retry_every", o.retry_every, Millis(1000));
  if (Reader::present(n["then"])) {
    r.choice(n["then"], where + ".then", o.then,
             {{"delivered", OutcomeKind::Delivered}, {"hard_bounce", OutcomeKind::HardBounce}});
  }
}

void read_outcomes(Reader& r, const YAML::Node& n, Outcomes& out) {
  if (!r.map(n, "outcomes", {"magic_addresses", "rules"})) return;
  r.boolean(n["magic_addresses"], "outcomes.magic_addresses", out.magic_addresses);
  if (!r.list(n["rules"], "outcomes.rules")) return;
  if (n["rules"].size() > 1000) r.error(n["rules"], "outcomes.rules holds at most 1000 rules");
  std::set<std::string> names;
  int i = 0;
  for (const auto& s : n["rules"]) {
    std::string where = "outcomes.rules[" + std::to_string(i++) + "]";
    OutcomeRule o;
    read_outcome_rule(r, s, where, o);
    if (!o.name.empty() && !names.insert(o.name).second)
      r.error(s["name"], "duplicate name '" + o.name + "' in outcomes.rules");
    out.rules.push_back(std::move(o));
  }
}

void check_pem(Reader& r, const YAML::Node& n, const std::string& what, const std::string& path, bool key) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) {
    r.error(n, what + ": cannot read '" + path + "'");
    return;
  }
  bool ok = false;
  if (key) {
    EVP_PKEY* k = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
    ok = k != nullptr;
    EVP_PKEY_free(k);
  } else {
    X509* c = PEM_read_X509(f, nullptr, nullptr, nullptr);
    ok = c != nullptr;
    X509_free(c);
  }
  std::fclose(f);
  if (!ok) r.error(n, what + ": '" + path + "' is not a PEM " + (key ? "private key" : "certificate"));
}

void read_tls(Reader& r, const YAML::Node& n, Tls& t, bool check_files) {
  if (!r.map(n, "tls", {"certificate", "private_key", "directory"})) return;
  r.string(n["certificate"], "tls.certificate", t.certificate);
  r.string(n["private_key"], "tls.private_key", t.private_key);
  r.string(n["directory"], "tls.directory", t.directory);
  if (t.certificate.empty() != t.private_key.empty()) {
    r.error(n, "tls needs both certificate and private_key, or neither (a self-signed certificate is then generated)");
    return;
  }
  if (!t.certificate.empty() && !t.directory.empty()) {
    r.error(n["directory"], "tls.directory and tls.certificate/private_key exclude each other");
    return;
  }
  // A directory that may hold server.crt and server.key (certs/make-certs.sh
  // names): used when both are there, e.g. a volume mounted into a container.
  if (!t.directory.empty() && check_files) {
    struct stat st {};
    if (::stat(t.directory.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      r.error(n["directory"], "tls.directory " + t.directory + " is not a directory");
      return;
    }
    auto crt = t.directory + "/server.crt", key = t.directory + "/server.key";
    bool has_crt = ::access(crt.c_str(), F_OK) == 0, has_key = ::access(key.c_str(), F_OK) == 0;
    if (has_crt != has_key) {
      r.error(n["directory"], "tls.directory " + t.directory + " holds " + (has_crt ? "server.crt but no server.key" : "server.key but no server.crt"));
      return;
    }
    if (has_crt) {
      t.certificate = crt;
      t.private_key = key;
      check_pem(r, n["directory"], "tls.directory server.crt", t.certificate, false);
      check_pem(r, n["directory"], "tls.directory server.key", t.private_key, true);
    }
    return;
  }
  if (check_files && !t.certificate.empty()) {
    check_pem(r, n["certificate"], "tls.certificate", t.certificate, false);
    check_pem(r, n["private_key"], "tls.private_key", t.private_key, true);
  }
}

void read_strings(Reader& r, const YAML::Node& n, const std::string& what, std::vector<std::string>& out) {
  if (!r.list(n, what)) return;
  for (const auto& e : n)
    if (r.scalar(e, what + " entry")) out.push_back(e.Scalar());
}

void read_webhook(Reader& r, const YAML::Node& n, const std::string& where, Webhook& w) {
  if (!r.map(n, where, {"id", "url", "events", "usernames", "headers", "output_format", "auth_header_type",
                        "auth_header_value"})) {
    if (!Reader::present(n)) r.error(n, where + " must not be empty");
    return;
  }
  r.integer(n["id"], where + ".id", w.id, 1, 1'000'000'000);
  r.string(n["url"], where + ".url", w.url);
  read_strings(r, n["events"], where + ".events", w.events);
  read_strings(r, n["usernames"], where + ".usernames", w.usernames);
  read_strings(r, n["headers"], where + ".headers", w.headers);
  r.choice(n["output_format"], where + ".output_format", w.json, {{"form", false}, {"json", true}});
  r.string(n["auth_header_type"], where + ".auth_header_type", w.auth_header_type);
  r.string(n["auth_header_value"], where + ".auth_header_value", w.auth_header_value);
  if (auto p = check_webhook(w)) {
    const YAML::Node& at = Reader::present(n[p->field]) ? n[p->field] : n;
    r.error(at, where + ": " + p->message);
  }
}

void read_hooks(Reader& r, const YAML::Node& hooks, std::vector<Webhook>& out) {
  if (hooks.size() > kMaxWebhooks) r.error(hooks, "webhooks hold at most 100 hooks");
  std::set<std::uint64_t> ids;
  int i = 0;
  for (const auto& h : hooks) {
    std::string where = "webhooks.hooks[" + std::to_string(i++) + "]";
    Webhook w;
    read_webhook(r, h, where, w);
    if (w.id && !ids.insert(w.id).second) r.error(h["id"], "duplicate id " + std::to_string(w.id) + " in webhooks");
    out.push_back(std::move(w));
  }
  // Hooks without an id get the next free ones, in order.
  std::uint64_t next = ids.empty() ? 1 : *ids.rbegin() + 1;
  for (auto& w : out)
    if (!w.id) w.id = next++;
}

// `webhooks:` is a list of hooks, or a map with the settings and `hooks`.
void read_webhooks(Reader& r, const YAML::Node& n, Webhooks& out, bool check_files) {
  if (!Reader::present(n)) return;
  if (n.IsSequence()) return read_hooks(r, n, out.hooks);
  if (!r.map(n, "webhooks", {"ca_file", "event_names", "timeout", "hooks"})) return;
  r.string(n["ca_file"], "webhooks.ca_file", out.ca_file);
  if (!out.ca_file.empty() && check_files) check_pem(r, n["ca_file"], "webhooks.ca_file", out.ca_file, false);
  r.choice(n["event_names"], "webhooks.event_names", out.library_names, {{"docs", false}, {"library", true}});
  r.duration(n["timeout"], "webhooks.timeout", out.timeout, Millis(100));
  if (out.timeout > Millis(60'000)) r.error(n["timeout"], "webhooks.timeout must be at most 60s");
  if (r.list(n["hooks"], "webhooks.hooks")) read_hooks(r, n["hooks"], out.hooks);
}

void read_account(Reader& r, const YAML::Node& n, Account& a) {
  if (!r.map(n, "account",
             {"status", "verified_domains", "unverified_domains", "verified_senders", "allow_blank_sender",
              "restrict_senders", "quota"}))
    return;
  r.choice(n["status"], "account.status", a.closed, {{"active", false}, {"closed", true}});
  if (r.list(n["verified_domains"], "account.verified_domains"))
    for (const auto& d : n["verified_domains"]) {
      std::string v;
      if (read_domain(r, d, "account.verified_domains entry", v)) a.verified_domains.push_back(v);
    }
  if (r.list(n["unverified_domains"], "account.unverified_domains"))
    for (const auto& d : n["unverified_domains"]) {
      std::string v;
      if (!read_domain(r, d, "account.unverified_domains entry", v)) continue;
      if (std::find(a.verified_domains.begin(), a.verified_domains.end(), v) != a.verified_domains.end())
        r.error(d, "account.unverified_domains: " + v + " is also in verified_domains");
      else
        a.unverified_domains.push_back(v);
    }
  if (r.list(n["verified_senders"], "account.verified_senders"))
    for (const auto& d : n["verified_senders"]) {
      std::string v;
      if (read_address(r, d, "account.verified_senders entry", v)) a.verified_senders.push_back(v);
    }
  r.boolean(n["allow_blank_sender"], "account.allow_blank_sender", a.allow_blank_sender);
  const auto& rs = n["restrict_senders"];
  if (r.map(rs, "account.restrict_senders", {"mode", "entries"})) {
    r.choice(rs["mode"], "account.restrict_senders.mode", a.restrict_mode,
             {{"disabled", RestrictMode::Disabled}, {"allowlist", RestrictMode::Allowlist},
              {"blocklist", RestrictMode::Blocklist}});
    if (r.list(rs["entries"], "account.restrict_senders.entries"))
      for (const auto& e : rs["entries"]) {
        if (!r.scalar(e, "account.restrict_senders entry")) continue;
        std::string v;
        bool ok = e.Scalar().find('@') != std::string::npos
                      ? read_address(r, e, "account.restrict_senders entry", v)
                      : read_domain(r, e, "account.restrict_senders entry", v);
        if (ok) a.restrict_entries.push_back(v);
      }
  }
  const auto& q = n["quota"];
  if (r.map(q, "account.quota", {"monthly", "cycle_day", "used", "used_in_cycle"})) {
    if (Reader::present(q["monthly"])) {
      std::uint64_t m = 0;
      r.integer(q["monthly"], "account.quota.monthly", m, 0, 1'000'000'000'000ull);
      a.monthly_quota = m;
    }
    r.integer(q["cycle_day"], "account.quota.cycle_day", a.cycle_day, 1, 28);
    r.integer(q["used"], "account.quota.used", a.quota_used, 0, 1'000'000'000'000ull);
    if (Reader::present(q["used_in_cycle"]) && r.scalar(q["used_in_cycle"], "account.quota.used_in_cycle")) {
      auto d = parse_civil_date(q["used_in_cycle"].Scalar());
      if (!d)
        r.error(q["used_in_cycle"], "account.quota.used_in_cycle must be a date like 2026-11-05, not '" +
                                        q["used_in_cycle"].Scalar() + "'");
      else if (d->day != a.cycle_day)
        r.error(q["used_in_cycle"], "account.quota.used_in_cycle must be the day a cycle starts (cycle_day " +
                                        std::to_string(a.cycle_day) + "), not " + q["used_in_cycle"].Scalar());
      else
        a.quota_used_cycle = d;
    }
    if (a.quota_used && !Reader::present(q["used_in_cycle"]))
      r.error(q["used"], "account.quota.used needs used_in_cycle: the date its cycle started");
  }
}

void read_users(Reader& r, const YAML::Node& n, std::vector<SmtpUser>& users) {
  if (!r.list(n, "smtp_users")) return;
  std::set<std::string> names;
  int i = 0;
  for (const auto& u : n) {
    std::string where = "smtp_users[" + std::to_string(i++) + "]";
    if (!r.map(u, where, {"username", "password", "description", "status", "rate_limit"})) {
      if (!Reader::present(u)) r.error(u, where + " must not be empty");
      continue;
    }
    SmtpUser user;
    if (!Reader::present(u["username"])) r.error(u, where + " needs a username");
    if (!Reader::present(u["password"])) r.error(u, where + " needs a password");
    r.string(u["username"], where + ".username", user.username, false);
    r.string(u["password"], where + ".password", user.password, false);
    r.string(u["description"], where + ".description", user.description);
    r.choice(u["status"], where + ".status", user.status, kStatuses);
    read_rate_limit(r, u["rate_limit"], where + ".rate_limit", user.rate_limit);
    if (!user.username.empty() && !names.insert(user.username).second)
      r.error(u["username"], "duplicate username '" + user.username + "' in smtp_users");
    users.push_back(std::move(user));
  }
}

void read_api_keys(Reader& r, const YAML::Node& n, std::vector<ApiKey>& keys) {
  if (!r.list(n, "api_keys")) return;
  std::set<std::string> seen_keys, seen_names;
  int i = 0;
  for (const auto& k : n) {
    std::string where = "api_keys[" + std::to_string(i++) + "]";
    if (!r.map(k, where, {"key", "name", "status", "rate_limit", "endpoints"})) {
      if (!Reader::present(k)) r.error(k, where + " must not be empty");
      continue;
    }
    ApiKey key;
    if (!Reader::present(k["key"])) r.error(k, where + " needs a key (\"api-\" + 32 letters or digits)");
    if (!Reader::present(k["name"])) r.error(k, where + " needs a name (shown as the identity in messages and events)");
    r.string(k["key"], where + ".key", key.key, false);
    r.string(k["name"], where + ".name", key.name, false);
    if (!key.key.empty() && !api_key_format(key.key))
      r.error(k["key"], where + ".key must be \"api-\" followed by 32 letters or digits (A-Z, a-z, 0-9), not '" +
                            key.key + "'");
    if (!key.key.empty() && !seen_keys.insert(key.key).second) r.error(k["key"], "duplicate key in api_keys");
    if (!key.name.empty() && !seen_names.insert(key.name).second)
      r.error(k["name"], "duplicate name '" + key.name + "' in api_keys");
    r.choice(k["status"], where + ".status", key.status, kStatuses);
    read_rate_limit(r, k["rate_limit"], where + ".rate_limit", key.rate_limit);
    if (r.list(k["endpoints"], where + ".endpoints"))
      for (const auto& e : k["endpoints"]) {
        if (!r.scalar(e, where + ".endpoints entry")) continue;
        auto path = normal_endpoint(e.Scalar());
        if (!path)
          r.error(e, where + ".endpoints: '" + e.Scalar() + "' is not an endpoint of the provider's API (" +
                         provider_endpoints_text() + ")");
        else
          key.endpoints.push_back(*path);
      }
    keys.push_back(std::move(key));
  }
}

void read_ip_auth(Reader& r, const YAML::Node& n, std::vector<IpAuth>& entries) {
  if (!r.list(n, "ip_auth")) return;
  std::set<std::string> seen;
  int i = 0;
  for (const auto& e : n) {
    std::string where = "ip_auth[" + std::to_string(i++) + "]";
    if (!r.map(e, where, {"ip", "description", "status", "rate_limit"})) {
      if (!Reader::present(e)) r.error(e, where + " must not be empty");
      continue;
    }
    IpAuth entry;
    if (!Reader::present(e["ip"])) r.error(e, where + " needs an ip (address or CIDR)");
    r.string(e["ip"], where + ".ip", entry.text, false);
    if (!entry.text.empty()) {
      std::string why;
      auto c = parse_cidr(entry.text, &why);
      if (!c) {
        r.error(e["ip"], where + ".ip '" + entry.text + "' is not a valid address or CIDR: " + why);
        continue;
      }
      entry.cidr = *c;
      if (!seen.insert(entry.text).second) r.error(e["ip"], "duplicate ip '" + entry.text + "' in ip_auth");
    }
    r.string(e["description"], where + ".description", entry.description);
    r.choice(e["status"], where + ".status", entry.status, kStatuses);
    read_rate_limit(r, e["rate_limit"], where + ".rate_limit", entry.rate_limit);
    entries.push_back(std::move(entry));
  }
}

// "192.0.2.53" or "127.0.0.1:5353": libresolv takes IPv4 servers with a port.
void read_nameserver(Reader& r, const YAML::Node& e, std::vector<Nameserver>& out) {
  const std::string what = "sender_verification.nameservers entry";
  if (!e.IsScalar()) {
    r.error(e, what + " must be an IPv4 address, optionally with :port");
    return;
  }
  std::string text = e.Scalar();
  Nameserver ns;
  auto colon = text.find(':');
  ns.address = text.substr(0, colon);
  bool ok = true;
  if (colon != std::string::npos) {
    auto port = text.substr(colon + 1);
    ok = !port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos;
    long v = ok ? std::stol(port) : 0;
    ok = ok && v >= 1 && v <= 65535;
    ns.port = static_cast<std::uint16_t>(v);
  }
  auto ip = parse_ip(ns.address);
  if (!ok || !ip || !ip->v4 || ns.address.find(':') != std::string::npos) {
    r.error(e, what + " '" + text + "' must be an IPv4 address, optionally with :port (e.g. 127.0.0.1:5353)");
    return;
  }
  out.push_back(ns);
}

void read_sender_verification(Reader& r, const YAML::Node& n, SenderVerification& sv) {
  if (!r.map(n, "sender_verification",
             {"mode", "unroutable_domains", "unknown_addresses", "nameservers", "dns_timeout", "cache_ttl",
              "max_lookups_in_flight"}))
    return;
  r.choice(n["mode"], "sender_verification.mode", sv.mode,
           {{"static", VerifyMode::Static}, {"system", VerifyMode::System}, {"off", VerifyMode::Off}});
  if (r.list(n["nameservers"], "sender_verification.nameservers"))
    for (const auto& e : n["nameservers"]) {
      if (sv.nameservers.size() == 3) {
        r.error(e, "sender_verification.nameservers holds at most 3 servers (the resolver's limit)");
        break;
      }
      read_nameserver(r, e, sv.nameservers);
    }
  r.duration(n["dns_timeout"], "sender_verification.dns_timeout", sv.dns_timeout, Millis(1000));
  if (Reader::present(n["dns_timeout"]) && sv.dns_timeout.count() % 1000 != 0)
    r.error(n["dns_timeout"], "sender_verification.dns_timeout must be whole seconds (the resolver counts in seconds)");
  if (Reader::present(n["dns_timeout"]) && sv.dns_timeout > Millis(30'000))
    r.error(n["dns_timeout"], "sender_verification.dns_timeout must be at most 30s");
  r.duration(n["cache_ttl"], "sender_verification.cache_ttl", sv.cache_ttl, Millis(0));
  r.integer(n["max_lookups_in_flight"], "sender_verification.max_lookups_in_flight", sv.max_lookups_in_flight, 1, 100000);
  if (r.list(n["unroutable_domains"], "sender_verification.unroutable_domains"))
    for (const auto& d : n["unroutable_domains"]) {
      std::string v;
      if (read_domain(r, d, "sender_verification.unroutable_domains entry", v)) sv.unroutable_domains.push_back(v);
    }
  if (r.list(n["unknown_addresses"], "sender_verification.unknown_addresses"))
    for (const auto& d : n["unknown_addresses"]) {
      std::string v;
      if (read_address(r, d, "sender_verification.unknown_addresses entry", v)) sv.unknown_addresses.push_back(v);
    }
}

void read_replies(Reader& r, const YAML::Node& n, std::map<std::string, Reply>& out, SuccessReplies& success) {
  Keys ids;
  for (const auto& id : known_reply_ids()) ids.push_back(id);
  if (!r.map(n, "replies", ids)) return;
  for (auto it = n.begin(); it != n.end(); ++it) {
    auto id = it->first.Scalar();
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) continue;  // already reported
    if (!r.scalar(it->second, "replies." + id)) continue;
    Reply reply;
    if (!parse_reply_text(it->second.Scalar(), reply) || reply.text.empty()) {
      r.error(it->second, "replies." + id + " must start with a reply code 200-599 followed by text, e.g. \"550 not allowed\"");
      continue;
    }
    // A success reply keeps its code: the step goes on as it succeeded (a
    // refusal is a scenario's job).
    static const SuccessReplies kDefaults;
    if (const Reply* fixed = kDefaults.find(id); fixed && reply.code != fixed->code) {
      r.error(it->second, "replies." + id + " is a success reply and must keep its code " + std::to_string(fixed->code) +
                              " (to refuse instead, add a scenario)");
      continue;
    }
    success.set(id, reply);
    out[id] = reply;
  }
}

// n[a][b] without yaml-cpp's InvalidNode when n[a] is absent: the deepest
// node there is (for an error's line and column).
YAML::Node deepest(const YAML::Node& n, std::initializer_list<const char*> keys) {
  YAML::Node at = n;
  for (const char* k : keys) {
    if (!at.IsDefined() || !at.IsMap()) return at;
    YAML::Node next = at[k];
    if (!next.IsDefined()) return at;
    at = next;
  }
  return at;
}

// "host:port" ("[::1]:8025"), or "off".
void read_listen(Reader& r, const YAML::Node& n, const std::string& what, const char* example, ListenAddress& out) {
  if (!Reader::present(n) || !r.scalar(n, what)) return;
  std::string text = n.Scalar();
  if (text == "off") {
    out = ListenAddress{};
    return;
  }
  std::string host, port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close != std::string::npos && close + 1 < text.size() && text[close + 1] == ':') {
      host = text.substr(1, close - 1);
      port = text.substr(close + 2);
    }
  } else if (auto colon = text.rfind(':'); colon != std::string::npos && text.find(':') == colon) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  bool ok = !host.empty() && !port.empty() && port.size() <= 5 &&
            port.find_first_not_of("0123456789") == std::string::npos && parse_ip(host).has_value();
  long p = ok ? std::stol(port) : 0;
  if (!ok || p < 1 || p > 65535) {
    r.error(n, what + " must be an IP address and port such as " + example + ", 0.0.0.0:" +
                   std::string(example).substr(std::string(example).rfind(':') + 1) + " or [::1]:" +
                   std::string(example).substr(std::string(example).rfind(':') + 1) + " (or off), not '" + text + "'");
    return;
  }
  out.text = text;
  out.host = host;
  out.port = static_cast<std::uint16_t>(p);
  out.enabled = true;
}

void read_pattern(Reader& r, const YAML::Node& n, const std::string& what, std::optional<Pattern>& out) {
  if (!Reader::present(n) || !r.scalar(n, what)) return;
  std::string why;
  auto p = Pattern::compile(n.Scalar(), why);
  if (!p) {
    r.error(n, what + " is not a usable regular expression: " + why);
    return;
  }
  out = std::move(p);
}

void read_relay(Reader& r, const YAML::Node& n, const std::string& where, Relay& out) {
  if (!r.map(n, where, {"host", "port", "starttls", "tls", "allow_insecure", "username", "password",
                        "allowed_recipients", "blocked_recipients", "override_from", "return_path"}))
    return;
  r.string(n["host"], where + ".host", out.host, false);
  r.integer(n["port"], where + ".port", out.port, 1, 65535);
  r.boolean(n["starttls"], where + ".starttls", out.starttls);
  r.boolean(n["tls"], where + ".tls", out.tls);
  r.boolean(n["allow_insecure"], where + ".allow_insecure", out.allow_insecure);
  r.string(n["username"], where + ".username", out.username);
  r.string(n["password"], where + ".password", out.password);
  read_pattern(r, n["allowed_recipients"], where + ".allowed_recipients", out.allowed_recipients);
  read_pattern(r, n["blocked_recipients"], where + ".blocked_recipients", out.blocked_recipients);
  r.string(n["override_from"], where + ".override_from", out.override_from);
  r.string(n["return_path"], where + ".return_path", out.return_path);
  if (out.starttls && out.tls) r.error(n["tls"], where + ": starttls and tls exclude each other");
  if (!Reader::present(n["host"])) r.error(n, where + " needs a host (the SMTP server to relay to)");
  for (const char* k : {"override_from", "return_path"})
    if (Reader::present(n[k]) && !parse_plain_address(n[k].Scalar()))
      r.error(n[k], where + "." + k + " must be an address such as relay@example.com");
}

void read_compat(Reader& r, const YAML::Node& n, Compat& c) {
  if (!r.map(n, "compat", {"mailpit", "mailhog"})) return;
  const YAML::Node mp = n["mailpit"];
  if (r.map(mp, "compat.mailpit",
            {"listen", "ui_auth_file", "ui_auth", "send_as", "chaos", "spamassassin", "relay", "label",
             "allow_internal_http_requests"})) {
    auto& m = c.mailpit;
    read_listen(r, mp["listen"], "compat.mailpit.listen", "127.0.0.1:8025", m.listen);
    r.string(mp["ui_auth_file"], "compat.mailpit.ui_auth_file", m.ui_auth_file, false);
    if (r.list(mp["ui_auth"], "compat.mailpit.ui_auth")) {
      for (const auto& e : mp["ui_auth"]) {
        if (!r.scalar(e, "compat.mailpit.ui_auth[]")) continue;
        auto colon = e.Scalar().find(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == e.Scalar().size())
          r.error(e, "compat.mailpit.ui_auth entries are \"user:password\"");
        else
          m.ui_auth.emplace_back(e.Scalar().substr(0, colon), e.Scalar().substr(colon + 1));
      }
    }
    r.string(mp["send_as"], "compat.mailpit.send_as", m.send_as);
    r.boolean(mp["chaos"], "compat.mailpit.chaos", m.chaos);
    r.string(mp["spamassassin"], "compat.mailpit.spamassassin", m.spamassassin);
    if (Reader::present(mp["spamassassin"])) {
      ListenAddress sa;
      read_listen(r, mp["spamassassin"], "compat.mailpit.spamassassin", "127.0.0.1:783", sa);
    }
    if (Reader::present(mp["relay"])) read_relay(r, mp["relay"], "compat.mailpit.relay", m.relay);
    r.string(mp["label"], "compat.mailpit.label", m.label);
    r.boolean(mp["allow_internal_http_requests"], "compat.mailpit.allow_internal_http_requests",
              m.allow_internal_http_requests);
  }
  const YAML::Node mh = n["mailhog"];
  if (r.map(mh, "compat.mailhog", {"listen", "auth_file", "hostname", "jim"})) {
    auto& m = c.mailhog;
    read_listen(r, mh["listen"], "compat.mailhog.listen", "127.0.0.1:8025", m.listen);
    r.string(mh["auth_file"], "compat.mailhog.auth_file", m.auth_file, false);
    r.string(mh["hostname"], "compat.mailhog.hostname", m.hostname, false);
    if (Reader::present(mh["hostname"]) && !valid_domain(m.hostname))
      r.error(mh["hostname"], "compat.mailhog.hostname must be a host name such as mailhog.example");
    r.boolean(mh["jim"], "compat.mailhog.jim", m.jim);
  }
  if (c.mailpit.listen.enabled && c.mailhog.listen.enabled && c.mailpit.listen.port == c.mailhog.listen.port)
    r.error(deepest(n, {"mailhog", "listen"}), "compat.mailhog.listen and compat.mailpit.listen use the same port");
}

void read_http(Reader& r, const YAML::Node& n, Http& h) {
  if (!r.map(n, "http", {"listen", "admin_token", "max_connections", "max_connections_per_ip", "max_body_bytes_in_flight"}))
    return;
  r.string(n["admin_token"], "http.admin_token", h.admin_token);
  r.integer(n["max_connections"], "http.max_connections", h.max_connections, 1, 100'000);
  r.integer(n["max_connections_per_ip"], "http.max_connections_per_ip", h.max_connections_per_ip, 1, 100'000);
  r.integer(n["max_body_bytes_in_flight"], "http.max_body_bytes_in_flight", h.max_body_bytes_in_flight,
            std::uint64_t(72) * 1024 * 1024, std::uint64_t(1) << 40);
  ListenAddress l;
  l.text = h.listen;
  l.host = h.host;
  l.port = h.port;
  l.enabled = h.enabled;
  read_listen(r, n["listen"], "http.listen", "127.0.0.1:8080", l);
  h.listen = l.text;
  h.host = l.host;
  h.port = l.port;
  h.enabled = l.enabled;
}

// A durable store keeps each message as one SQLite blob, which holds at
// most SQLITE_MAX_LENGTH bytes (1,000,000,000 in Debian's build): a larger
// message could be accepted at SIZE and then fail to be stored.
constexpr std::uint64_t kMaxDurableMessage = 1'000'000'000;

void check_store_holds_messages(Reader& r, const YAML::Node& root, const Config& c) {
  if (c.storage.path.empty() || c.server.max_message_size <= kMaxDurableMessage) return;
  const YAML::Node server = root["server"];
  r.error(server["max_message_size"],
          "server.max_message_size " + std::to_string(c.server.max_message_size) +
              " is more than a durable store holds in one message (" + std::to_string(kMaxDurableMessage) +
              " bytes, SQLite's limit for a blob); lower it, or leave storage.path empty to keep messages in memory");
}

// The HTTP listeners (control, Mailpit, MailHog) and the SMTP ones on
// distinct ports.
void check_ports_apart(Reader& r, const YAML::Node& root, const Config& c) {
  const YAML::Node compat = deepest(root, {"compat"});
  auto clash = [&](const ListenAddress& l, const YAML::Node& where, const char* name) {
    if (!l.enabled) return;
    if (c.http.enabled && c.http.port == l.port)
      r.error(where, std::string(name) + " uses the port of http.listen (" + std::to_string(l.port) + ")");
    for (const auto& s : c.server.listeners)
      if (s.port == l.port)
        r.error(where, std::string(name) + " uses the port of an SMTP listener (" + std::to_string(l.port) + ")");
  };
  clash(c.compat.mailpit.listen, deepest(compat, {"mailpit", "listen"}), "compat.mailpit.listen");
  clash(c.compat.mailhog.listen, deepest(compat, {"mailhog", "listen"}), "compat.mailhog.listen");
}

void read_storage(Reader& r, const YAML::Node& n, Storage& s) {
  if (!r.map(n, "storage", {"path", "max_messages", "max_bytes", "max_events", "max_event_bytes", "max_transcript_bytes"}))
    return;
  r.integer(n["max_events"], "storage.max_events", s.max_events, 100, 10'000'000);
  r.integer(n["max_event_bytes"], "storage.max_event_bytes", s.max_event_bytes, 65536, std::uint64_t(1) << 40);
  r.integer(n["max_transcript_bytes"], "storage.max_transcript_bytes", s.max_transcript_bytes, 65536,
            std::uint64_t(1) << 40);
  r.string(n["path"], "storage.path", s.path);
  r.integer(n["max_messages"], "storage.max_messages", s.max_messages, 1, 10'000'000);
  r.integer(n["max_bytes"], "storage.max_bytes", s.max_bytes, 1024, std::uint64_t(1) << 42);
}

void read_log(Reader& r, const YAML::Node& n, Log& log) {
  if (!r.map(n, "log", {"level", "format"})) return;
  r.choice(n["level"], "log.level", log.level,
           {{"debug", LogLevel::Debug}, {"info", LogLevel::Info}, {"warning", LogLevel::Warning},
            {"error", LogLevel::Error}});
  r.choice(n["format"], "log.format", log.format, {{"text", LogFormat::Text}, {"json", LogFormat::Json}});
}

std::string machine_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || !buf[0]) return "relaymock.local";
  std::string name(buf);
  return valid_domain(name) ? name : "relaymock.local";
}

}  // namespace

const char* outcome_kind_name(OutcomeKind k) {
  for (const auto& [name, kind] : kOutcomeKinds)
    if (kind == k) return name.data();  // literals: NUL-terminated
  return "?";
}

LoadResult load_config_text(std::string_view yaml, const std::string& source, bool check_files) {
  LoadResult res;
  res.config.source = source;
  res.config.source_text = std::string(yaml);
  res.config.server.listeners = default_listeners();
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    res.problems.push_back({e.mark.line + 1, e.mark.column + 1, "YAML syntax error: " + e.msg});
    return res;
  }
  Reader r(res.problems);
  // A reader that asks yaml-cpp for something a file's shape does not have
  // is a bug here, but the file still gets an error, never a crash.
  try {
  if (root.IsNull() || !root.IsDefined()) {
    // An empty file is a valid config: every default, nothing granted.
  } else if (r.map(root, "the top level",
                   {"server", "tls", "account", "smtp_users", "ip_auth", "api_keys", "sender_verification", "replies",
                    "http", "storage", "log", "scenarios", "outcomes", "webhooks", "compat"})) {
    read_server(r, root["server"], res.config.server);
    read_tls(r, root["tls"], res.config.tls, check_files);
    read_account(r, root["account"], res.config.account);
    read_users(r, root["smtp_users"], res.config.smtp_users);
    read_ip_auth(r, root["ip_auth"], res.config.ip_auth);
    read_api_keys(r, root["api_keys"], res.config.api_keys);
    read_sender_verification(r, root["sender_verification"], res.config.sender_verification);
    read_replies(r, root["replies"], res.config.replies, res.config.success);
    read_http(r, root["http"], res.config.http);
    read_storage(r, root["storage"], res.config.storage);
    read_log(r, root["log"], res.config.log);
    read_scenarios(r, root["scenarios"], res.config.scenarios);
    read_outcomes(r, root["outcomes"], res.config.outcomes);
    read_webhooks(r, root["webhooks"], res.config.webhooks, check_files);
    read_compat(r, root["compat"], res.config.compat);
    check_store_holds_messages(r, root, res.config);
    check_ports_apart(r, root, res.config);
  }
  } catch (const YAML::Exception& e) {
    res.problems.push_back({e.mark.line + 1, e.mark.column + 1, "the config could not be read here: " + e.msg});
  }
  if (res.config.server.hostname.empty()) res.config.server.hostname = machine_name();
  std::stable_sort(res.problems.begin(), res.problems.end(), [](const Problem& a, const Problem& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  return res;
}

namespace {

// A body from the API: JSON is YAML, so the config's own reader checks it.
template <typename F>
bool read_body(std::string_view text, bool yaml, std::string& errors, F&& read) {
  std::vector<Problem> problems;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    errors = std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) + ": not valid YAML: " + e.msg;
    return false;
  }
  Reader r(problems);
  read(r, root);
  // The messages name the field; a position only helps in pasted YAML.
  for (const auto& p : problems)
    errors += (errors.empty() ? "" : "\n") + (yaml ? std::to_string(p.line) + ":" + std::to_string(p.column) + ": " : "") + p.message;
  return problems.empty();
}

}  // namespace

std::optional<Fault> parse_fault_body(std::string_view text, bool yaml, std::string& errors) {
  Fault f;
  bool ok = read_body(text, yaml, errors, [&](Reader& r, const YAML::Node& root) {
    if (!r.map(root, "the body", {"fault"})) return;
    if (!Reader::present(root["fault"])) r.error(root, "the body needs \"fault\"");
    read_fault(r, root["fault"], "fault", f);
  });
  if (!ok) return std::nullopt;
  return f;
}

std::optional<Scenario> parse_scenario_body(std::string_view text, bool yaml, std::string& errors) {
  Scenario sc;
  bool ok = read_body(text, yaml, errors, [&](Reader& r, const YAML::Node& root) { read_scenario(r, root, "scenario", sc); });
  if (!ok) return std::nullopt;
  return sc;
}

std::optional<OutcomeRule> parse_outcome_rule_body(std::string_view text, bool yaml, std::string& errors) {
  OutcomeRule rule;
  bool ok = read_body(text, yaml, errors, [&](Reader& r, const YAML::Node& root) { read_outcome_rule(r, root, "rule", rule); });
  if (!ok) return std::nullopt;
  return rule;
}

LoadResult load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult res;
    res.problems.push_back({1, 1, "cannot read the file"});
    return res;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    LoadResult res;
    res.problems.push_back({1, 1, "cannot read the file"});
    return res;
  }
  return load_config_text(ss.str(), path, true);
}

}  // namespace relaymock::config
