#include "policy/explain_json.hpp"

#include <boost/json.hpp>

#include "util/dates.hpp"
#include "util/strings.hpp"

namespace relaymock::policy {
namespace json = boost::json;
namespace {

json::array checks_array(const std::vector<Check>& checks) {
  json::array a;
  for (const auto& c : checks) {
    json::object o{{"name", c.name}, {"result", check_result_name(c.result)}, {"compared", c.compared}};
    o["fix"] = c.fix.empty() ? json::value(nullptr) : json::value(json::string(c.fix));
    a.push_back(std::move(o));
  }
  return a;
}

json::object decision_json(const Decision& d) {
  return json::object{{"rule", d.rule}, {"accept", d.accept}, {"detail", d.detail}, {"checks", checks_array(d.checks)}};
}

}  // namespace

std::variant<ExplainRequest, std::string> explain_request(const json::object& body) {
  ExplainRequest r;
  for (const auto& field : body) {
    // Named, not a structured binding: clang 14 cannot capture those.
    const auto key = field.key();
    const json::value& value = field.value();
    auto text = [&]() -> std::optional<std::string> {
      if (value.is_string()) return std::string(value.as_string());
      return std::nullopt;
    };
    if (key == "from") {
      if (!text()) return std::string("from must be a string (an address, or \"\" for <>)");
      r.from = *text();
    } else if (key == "to") {
      if (value.is_string()) {
        r.to.emplace_back(value.as_string());
      } else if (value.is_array()) {
        for (const auto& t : value.as_array()) {
          if (!t.is_string()) return std::string("to must be an address or a list of addresses");
          r.to.emplace_back(t.as_string());
        }
      } else {
        return std::string("to must be an address or a list of addresses");
      }
    } else if (key == "ip") {
      if (!text()) return std::string("ip must be a string");
      r.ip = *text();
    } else if (key == "port") {
      if (!value.is_int64() || value.as_int64() < 1 || value.as_int64() > 65535)
        return std::string("port must be a number from 1 to 65535");
      r.port = static_cast<std::uint16_t>(value.as_int64());
    } else if (key == "user" || key == "api_key" || key == "header_from") {
      if (value.is_null()) continue;
      if (!text()) return std::string(key) + " must be a string";
      (key == "user" ? r.user : key == "api_key" ? r.api_key : r.header_from) = *text();
    } else {
      return "unknown field '" + clip(std::string(key), 64) +
             "'; the fields are from, to, ip, port, user, api_key, header_from";
    }
  }
  if (!body.contains("from")) return std::string("from is required (an address, or \"\" for <>)");
  return r;
}

json::object explanation_json(const Explanation& x) {
  json::object o;
  o["profile"] = std::string(x.profile->name);
  o["door"] = x.door;
  if (x.identity.kind == Identity::Kind::None)
    o["identity"] = nullptr;
  else
    o["identity"] = json::object{{"kind", x.identity.kind_name()},
                                 {"name", x.identity.name},
                                 {"status", config::status_name(x.identity.status)}};
  o["auth"] = x.auth ? json::value(decision_json(*x.auth)) : json::value(nullptr);
  o["mail"] = x.mail ? json::value(decision_json(*x.mail)) : json::value(nullptr);
  json::array rcpts;
  for (const auto& r : x.recipients) {
    auto d = decision_json(r.decision);
    d["recipient"] = r.address;
    d["reply"] = r.reply;
    rcpts.push_back(std::move(d));
  }
  o["recipients"] = std::move(rcpts);
  o["content"] = x.content ? json::value(decision_json(*x.content)) : json::value(nullptr);
  json::object outcome{{"accepted", x.accepted},   {"stage", x.stage},
                       {"rule", x.rule},           {"reply", x.reply},
                       {"accepted_recipients", x.accepted_recipients}};
  if (x.api_reply) outcome["api_reply"] = *x.api_reply;
  o["outcome"] = std::move(outcome);
  json::array limits;
  for (const auto& l : x.limits) {
    json::object lo{{"name", l.name},
                    {"limit", l.limit},
                    {"used", l.used},
                    {"in_open_transactions", l.in_open_transactions},
                    {"this_send", l.this_send},
                    {"left", l.left},
                    {"reached", l.reached},
                    {"frees_at", l.used || l.name == "quota" ? json::value(json::string(rfc3339(l.frees_at)))
                                                             : json::value(nullptr)}};
    if (!l.per.empty()) lo["per"] = l.per;
    limits.push_back(std::move(lo));
  }
  o["limits"] = std::move(limits);
  // The first failure and its fix: what a reader wants first.
  std::vector<const std::vector<Check>*> lists;
  if (x.auth) lists.push_back(&x.auth->checks);
  if (x.mail) lists.push_back(&x.mail->checks);
  for (const auto& r : x.recipients) lists.push_back(&r.decision.checks);
  if (x.content) lists.push_back(&x.content->checks);
  for (const auto* list : lists)
    for (const auto& c : *list)
      if (c.result == Check::Result::Fail && !o.contains("first_failure"))
        o["first_failure"] = json::object{{"name", c.name}, {"compared", c.compared}, {"fix", c.fix}};
  if (!o.contains("first_failure")) o["first_failure"] = nullptr;
  return o;
}

}  // namespace relaymock::policy
