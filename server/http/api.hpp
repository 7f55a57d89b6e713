// The HTTP API: one function from a parsed request to a response (the
// route table in routes.cpp decides which resource answers), awaited so
// that long-polls wait on the bus, never a thread.
#pragma once
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "http/request.hpp"
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "relay/account_editor.hpp"
#include "relay/metrics.hpp"
#include "relay/indexer.hpp"
#include "relay/service.hpp"
#include "util/clock.hpp"
#include "policy/engine.hpp"
#include "policy/scenarios.hpp"
#include "store/durable.hpp"
#include "store/event_log.hpp"
#include "store/mail_store.hpp"

namespace relaymock::http {

// What POST /api/v1/config/reload (and SIGHUP) does.
struct ReloadResult {
  bool ok = false;
  std::string errors;  // FILE:LINE:COL lines when !ok
  std::shared_ptr<const config::Config> config;
  // The account API's changes the new file no longer allows, and why.
  std::vector<std::string> dropped_overrides;
};

// Who sent an HTTP request: recorded with mail sent through /v3/.
struct Peer {
  std::string ip;
  std::uint16_t port = 0;  // the HTTP listener's
};

// The SMTP listeners as the API sees them: their faults, switched live. The
// net layer implements it; http/ never sees a socket of its own doors.
class Listeners {
 public:
  virtual ~Listeners() = default;
  virtual std::vector<config::Listener> listeners() const = 0;
  // nullopt with `error` for an unknown port or one that cannot reopen.
  virtual std::optional<config::Listener> set_fault(std::uint16_t port, const config::Fault& fault,
                                                    std::string& error) = 0;
};

struct ApiContext {
  policy::Engine& engine;
  OffsetClock& clock;
  store::MailStore& mail;
  store::EventLog& events;
  store::Transcripts& transcripts;
  relay::Metrics& metrics;
  store::Durable* durable;  // null in memory mode
  std::function<ReloadResult(bool keep_overrides)> reload;
  std::atomic<bool>& ready;  // every SMTP listener is bound
  Listeners& server;         // listeners and their faults
  policy::Scenarios& scenarios;
  // Every submission and every change to what is kept goes through it.
  relay::Service& service;
  // What the UI and the search grammar read out of each message.
  relay::Indexer& indexer;
  // Where blocking work goes (http/offload.hpp); null: done inline.
  boost::asio::thread_pool* workers = nullptr;
  // The provider's account API changes the account through it; null: that
  // API is off (tests of other doors).
  relay::AccountEditor* account = nullptr;
  // What happens after the 250, waiting for the clock; null: off.
  relay::OutcomeScheduler* outcomes = nullptr;
  // The suppression list (/v3/suppression/*); null: off.
  relay::Suppressions* suppressions = nullptr;
  // Posts the account's webhooks (/api/v1/webhooks lists them); null: off.
  relay::WebhookSender* webhooks = nullptr;
  // Outcome rules added through /api/v1/outcomes/rules; null: off.
  relay::OutcomeRules* outcome_rules = nullptr;
};

struct Door;

class Api {
 public:
  // The control API (the route table of routes.cpp), or another door.
  explicit Api(ApiContext ctx);
  Api(ApiContext ctx, const Door& door);
  ~Api();
  boost::asio::awaitable<Response> handle(const Request& req, const Peer& peer = {}, Takeover* takeover = nullptr);
  // The answer to a request whose header alone settles it, before its body
  // is read (an unknown /v3/ API key); nullopt to read on.
  std::optional<Response> answer_before_body(const Request& header) const;

  // Request bodies: the control API and the provider's other /v3/ calls
  // take small JSON (the provider's own bound: 1 MB for non-email calls);
  // /v3/email/* and Mailpit's /api/v1/send take whole messages (50 MB as
  // base64, plus JSON).
  static constexpr std::size_t kMaxBody = 1024 * 1024;
  static constexpr std::size_t kMaxProviderBody = 72 * 1024 * 1024;
  static std::size_t max_body(std::string_view target) {
    // Mailpit's /api/v1/send carries attachments as base64 too.
    return target.substr(0, 10) == "/v3/email/" || target.substr(0, 12) == "/api/v1/send" ? kMaxProviderBody
                                                                                           : kMaxBody;
  }

 private:
  boost::asio::awaitable<Response> answer(const Request& req, const Peer& peer, Takeover* takeover);
  ApiContext ctx_;
  std::unique_ptr<Door> door_;
};

// Adds the headers every answer carries (Content-Security-Policy, framing,
// sniffing, referrer) where the response has not set its own.
Response secured(Response res);

// The quota cycle in the provider's email_cycle shape (/api/v1/usage and
// /v3/stats/email_cycle).
boost::json::object email_cycle(const ApiContext& ctx);

}  // namespace relaymock::http
