#include "config/yaml_writer.hpp"

#include <sstream>
#include <yaml-cpp/yaml.h>

#include "util/duration.hpp"

namespace relaymock::config {

namespace {

YAML::Node strings(const std::vector<std::string>& v) {
  YAML::Node n(YAML::NodeType::Sequence);
  for (const auto& s : v) n.push_back(s);
  return n;
}

// What users, IP entries and keys share: description, status, rate limit.
void put_identity(YAML::Node& n, const std::string& description, Status status, const std::optional<RateLimit>& r) {
  if (!description.empty()) n["description"] = description;
  n["status"] = status_name(status);
  if (!r) return;
  YAML::Node rl;
  rl["count"] = r->count;
  rl["per"] = format_duration(r->per);
  n["rate_limit"] = rl;
}

// root[key]: one map per entry, written by `one`.
template <class T, class F>
void put_list(YAML::Node& root, const char* key, const std::vector<T>& entries, F one) {
  YAML::Node list(YAML::NodeType::Sequence);
  for (const auto& e : entries) {
    YAML::Node n;
    one(n, e);
    list.push_back(n);
  }
  root[key] = list;
}

const char* mode_text(RestrictMode m) {
  return m == RestrictMode::Allowlist ? "allowlist" : m == RestrictMode::Blocklist ? "blocklist" : "disabled";
}

}  // namespace

std::string config_yaml(const Config& c, const std::string& header) {
  YAML::Node root;
  try {
    root = YAML::Load(c.source_text);
  } catch (const YAML::Exception&) {
    root = YAML::Node(YAML::NodeType::Map);  // cannot be: the text was loaded before
  }
  if (!root.IsMap()) root = YAML::Node(YAML::NodeType::Map);

  YAML::Node account = root["account"];
  if (!account.IsMap()) account = YAML::Node(YAML::NodeType::Map);
  account["verified_domains"] = strings(c.account.verified_domains);
  if (!c.account.unverified_domains.empty()) account["unverified_domains"] = strings(c.account.unverified_domains);
  else account.remove("unverified_domains");
  account["verified_senders"] = strings(c.account.verified_senders);
  YAML::Node restrict(YAML::NodeType::Map);
  restrict["mode"] = mode_text(c.account.restrict_mode);
  restrict["entries"] = strings(c.account.restrict_entries);
  account["restrict_senders"] = restrict;
  root["account"] = account;

  put_list(root, "smtp_users", c.smtp_users, [](YAML::Node& n, const SmtpUser& u) {
    n["username"] = u.username;
    n["password"] = u.password;
    put_identity(n, u.description, u.status, u.rate_limit);
  });
  put_list(root, "ip_auth", c.ip_auth, [](YAML::Node& n, const IpAuth& e) {
    n["ip"] = e.text;
    put_identity(n, e.description, e.status, e.rate_limit);
  });
  put_list(root, "api_keys", c.api_keys, [](YAML::Node& n, const ApiKey& k) {
    n["key"] = k.key;
    n["name"] = k.name;
    put_identity(n, "", k.status, k.rate_limit);
    if (!k.endpoints.empty()) n["endpoints"] = strings(k.endpoints);
  });

  // Webhooks: the file's settings kept, the hooks as they are now.
  if (!c.webhooks.hooks.empty() || root["webhooks"]) {
    YAML::Node webhooks = root["webhooks"];
    if (!webhooks.IsMap()) webhooks = YAML::Node(YAML::NodeType::Map);
    YAML::Node hooks(YAML::NodeType::Sequence);
    for (const auto& w : c.webhooks.hooks) {
      YAML::Node n(YAML::NodeType::Map);
      n["id"] = w.id;
      n["url"] = w.url;
      if (!w.events.empty()) n["events"] = strings(w.events);
      if (!w.usernames.empty()) n["usernames"] = strings(w.usernames);
      if (!w.headers.empty()) n["headers"] = strings(w.headers);
      n["output_format"] = w.json ? "json" : "form";
      if (!w.auth_header_type.empty()) {
        n["auth_header_type"] = w.auth_header_type;
        n["auth_header_value"] = w.auth_header_value;
      }
      hooks.push_back(n);
    }
    webhooks["hooks"] = hooks;
    root["webhooks"] = webhooks;
  }

  YAML::Emitter out;
  out.SetIndent(2);
  out << root;
  std::ostringstream text;
  std::istringstream lines(header);
  for (std::string line; std::getline(lines, line);) text << "# " << line << "\n";
  text << out.c_str() << "\n";
  return text.str();
}

}  // namespace relaymock::config
