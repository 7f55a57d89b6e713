#include "config/webhooks.hpp"

#include <algorithm>

#include "util/strings.hpp"

namespace relaymock::config {

namespace {

constexpr std::size_t kMaxUrl = 2048;
constexpr std::size_t kMaxListed = 1000;
constexpr std::size_t kMaxHeaders = 50;

// Each alias and the docs' name it stands for.
constexpr std::pair<std::string_view, std::string_view> kAliases[] = {
    {"opened", "open"},           {"clicked", "click"},      {"unsubscribed", "unsubscribe"},
    {"spam_complaint", "spam"},   {"rejected", "reject"},    {"bounced", "bounce"},
    {"hard_bounce", "bounce"},    {"soft_bounce", "bounce"}, {"hard-bounced", "bounce"},
    {"soft-bounced", "bounce"}};

bool printable(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](unsigned char c) { return c < 32 || c == 127; });
}

// An RFC 5322 field name: printable ASCII but the colon.
bool header_name(std::string_view s) {
  return !s.empty() && s.size() <= 100 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return c > 32 && c < 127 && c != ':'; });
}

std::optional<WebhookProblem> url_problem(const std::string& url) {
  const std::string lower = ascii_lower(url.substr(0, 8));
  const bool http = lower.rfind("http://", 0) == 0, https = lower.rfind("https://", 0) == 0;
  if (url.empty()) return WebhookProblem{"url", "url is required"};
  if (!http && !https) return WebhookProblem{"url", "url must start with http:// or https://, not '" + url + "'"};
  if (url.size() > kMaxUrl) return WebhookProblem{"url", "url is longer than 2048 characters"};
  if (!printable(url) || url.find(' ') != std::string::npos)
    return WebhookProblem{"url", "url must not contain spaces or control characters"};
  if (url.size() == (https ? 8u : 7u)) return WebhookProblem{"url", "url names no host"};
  return std::nullopt;
}

}  // namespace

std::optional<std::string_view> webhook_event(std::string_view name) {
  for (auto e : kWebhookEvents)
    if (e == name) return e;
  for (auto [alias, docs] : kAliases)
    if (alias == name) return docs;
  return std::nullopt;
}

std::string_view webhook_event_out(std::string_view docs_name, bool library_names) {
  if (!library_names) return docs_name;
  if (docs_name == "open") return "opened";
  if (docs_name == "click") return "clicked";
  if (docs_name == "unsubscribe") return "unsubscribed";
  if (docs_name == "spam") return "spam_complaint";
  return docs_name;
}

std::optional<WebhookProblem> check_webhook(Webhook& w) {
  if (auto p = url_problem(w.url)) return p;
  std::vector<std::string> events;
  for (const auto& e : w.events) {
    auto docs = webhook_event(e);
    if (!docs)
      return WebhookProblem{"events", "'" + e + "' is not a webhook event (processed, delivered, bounce, spam, "
                                                "unsubscribe, reject, click, open)"};
    if (std::find(events.begin(), events.end(), *docs) == events.end()) events.emplace_back(*docs);
  }
  w.events = std::move(events);
  if (w.usernames.size() > kMaxListed) return WebhookProblem{"usernames", "usernames holds more than 1000 names"};
  for (const auto& u : w.usernames)
    if (u.empty() || u.size() > 320 || !printable(u))
      return WebhookProblem{"usernames", "usernames must be names of at most 320 printable characters"};
  if (w.headers.size() > kMaxHeaders) return WebhookProblem{"headers", "headers holds more than 50 names"};
  for (const auto& h : w.headers)
    if (!header_name(h)) return WebhookProblem{"headers", "'" + h + "' is not a header name"};
  w.auth_header_type = ascii_lower(w.auth_header_type);
  if (w.auth_header_type != "" && w.auth_header_type != "bearer" && w.auth_header_type != "basic")
    return WebhookProblem{"auth_header_type", "auth_header_type must be bearer, basic or empty, not '" +
                                                  w.auth_header_type + "'"};
  if (w.auth_header_value.size() > 1000 || !printable(w.auth_header_value))
    return WebhookProblem{"auth_header_value", "auth_header_value must be at most 1000 printable characters"};
  if (w.auth_header_type.empty() != w.auth_header_value.empty())
    return WebhookProblem{"auth_header_value", "auth_header_type and auth_header_value go together"};
  return std::nullopt;
}

}  // namespace relaymock::config
