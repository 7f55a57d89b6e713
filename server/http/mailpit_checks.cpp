// Mailpit's message checks (server/apiv1/other.go): /link-check (the
// message's links asked for, http/link_check) and /sa-check (SpamAssassin's
// verdict from compat.mailpit.spamassassin, http/spamc), in its shapes.
#include <boost/json.hpp>
#include <cmath>

#include "http/html_check.hpp"
#include "http/link_check.hpp"
#include "http/mailpit.hpp"
#include "http/offload.hpp"
#include "http/spamc.hpp"

namespace relaymock::http::mailpit {

namespace json = boost::json;

namespace {

// The stored form of the message an {ID} names (see load).
std::optional<std::string> stored_message(Call& c, std::optional<Response>& failed) {
  auto m = load(c, failed);
  if (!m) return std::nullopt;
  return std::move(m->stored);
}

// Mailpit's round1dm: down to one decimal place.
double round1dm(double n) { return std::floor(n * 10) / 10; }

double go_float32(const std::string& s) {
  // strconv.ParseFloat(s, 32): a float32's value, widened.
  try {
    std::size_t used = 0;
    float f = std::stof(s, &used);
    return used == s.size() ? static_cast<double>(f) : 0.0;
  } catch (...) {
    return 0.0;
  }
}

}  // namespace

Handled html_check(Call& c) {
  std::optional<Response> failed;
  auto stored = stored_message(c, failed);
  if (!stored) co_return std::move(*failed);
  auto parts = mime::parse_message(*stored);
  if (!parts.has_html || parts.html.empty()) co_return text_error(c, "message does not contain HTML");
  // The sender's HTML decides how long the parse takes: off the HTTP thread.
  auto job = [html = std::move(parts.html)]() -> std::pair<json::value, std::string> {
    try {
      return {http::html_check(html), {}};
    } catch (const std::exception& e) {
      return {nullptr, e.what()};
    }
  };
  auto [result, error] = co_await offload(c.ctx.workers, std::move(job));
  if (!error.empty()) co_return text_error(c, error);
  co_return answer_json(c, result);
}

Handled link_check(Call& c) {
  std::optional<Response> failed;
  auto stored = stored_message(c, failed);
  if (!stored) co_return std::move(*failed);
  auto parts = mime::parse_message(*stored);
  auto follow = c.query.text("follow");
  LinkCheckOptions o;
  o.follow_redirects = follow == "true" || follow == "1";
  o.allow_internal = c.ctx.engine.config()->compat.mailpit.allow_internal_http_requests;
  o.user_agent = std::string("Mailpit/relaymock-") + RELAYMOCK_VERSION;
  auto links = extract_links(parts.has_html ? parts.html : std::string(), parts.has_text ? parts.text : std::string());
  auto job = [links, o] { return check_links(links, o); };
  auto statuses = co_await offload(c.ctx.workers, std::move(job));
  json::array out;
  int errors = 0;
  for (const auto& s : statuses) {
    if (s.code >= 400 || s.code == 0) ++errors;
    out.push_back(json::object{{"URL", s.url}, {"StatusCode", s.code}, {"Status", s.status}});
  }
  co_return answer_json(c, json::object{{"Errors", errors}, {"Links", out}});
}

Handled sa_check(Call& c) {
  std::optional<Response> failed;
  auto stored = stored_message(c, failed);
  if (!stored) co_return std::move(*failed);
  const auto service = c.ctx.engine.config()->compat.mailpit.spamassassin;
  if (service.empty()) co_return text_error(c, "no SpamAssassin service defined");
  auto report = co_await spamc_report(service, std::move(*stored));
  json::object o;
  if (!report.error.empty()) {
    o["IsSpam"] = false;
    o["Error"] = report.error;
    o["Score"] = 0;
    o["Rules"] = nullptr;
    co_return answer_json(c, o);
  }
  json::array rules;
  for (const auto& r : report.rules)
    rules.push_back(json::object{{"Score", round1dm(go_float32(r.points))}, {"Name", r.name}, {"Description", r.description}});
  o["IsSpam"] = report.score >= 5.0;
  o["Error"] = "";
  o["Score"] = round1dm(report.score);
  o["Rules"] = rules;
  co_return answer_json(c, o);
}

}  // namespace relaymock::http::mailpit
