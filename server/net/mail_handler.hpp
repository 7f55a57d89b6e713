// Answers the protocol's questions for one connection: asks policy/, keeps
// the transaction's reservations, captures accepted mail, and records each
// decision (log line, event, metrics) and the session transcript.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "relay/metrics.hpp"
#include "relay/resolver.hpp"
#include "policy/engine.hpp"
#include "policy/scenarios.hpp"
#include "smtp/session.hpp"
#include "store/event_log.hpp"
#include "store/mail_store.hpp"
#include "store/spool.hpp"

namespace relaymock::net {

struct Services {
  policy::Engine& engine;
  policy::Scenarios& scenarios;
  store::MailStore& mail;
  relay::Resolver& resolver;
  store::EventLog& events;
  store::Transcripts& transcripts;
  relay::Metrics& metrics;
};

class MailHandler final : public smtp::Handler {
 public:
  MailHandler(Services& services, std::string session_id) : svc_(services), session_id_(std::move(session_id)) {}

  std::optional<smtp::Scripted> script(const smtp::SessionView&, const smtp::ScriptFacts&) override;
  std::optional<Reply> authenticate(const smtp::SessionView&, const smtp::AuthAttempt&) override;
  bool rcpt_ready(const smtp::SessionView&, const smtp::Envelope&) override;
  std::optional<Reply> check_rcpt(const smtp::SessionView&, const smtp::Envelope&,
                                        const smtp::Recipient&) override;
  Reply deliver(const smtp::SessionView&, const smtp::Envelope&, std::string& content) override;
  void abandon(const smtp::SessionView&, const smtp::Envelope&) override;
  void protocol_reply(const smtp::SessionView&, smtp::Stage, std::string_view rule, const Reply&) override;
  void transcript(char dir, std::string_view line) override;
  bool spool(const std::string& chunk) override;

  const std::string& session_id() const { return session_id_; }
  // After rcpt_ready() said no: the DNS answer it is waiting for.
  boost::asio::awaitable<void> complete_lookup();

 private:
  // Log line, event and metrics for one outcome.
  void record(const smtp::SessionView& v, const char* stage, const std::string& rule, const policy::Identity& id,
              const Reply& reply, const std::string& detail, const std::string& message_id = {});
  // The event and the reply counter, for decisions, protocol replies and
  // scenarios alike (a scenario that only delays or disconnects has no reply).
  void add_event(const smtp::SessionView& v, std::string_view stage, std::string_view rule,
                 std::string_view identity_kind, std::string_view identity_name, const Reply* reply,
                 std::string detail, std::string message_id = {});
  Reply store_failed(const smtp::SessionView& v, const std::string& why);
  void end_transaction();

  Services& svc_;
  std::string session_id_;
  policy::Identity identity_;       // of the open transaction
  std::uint64_t reserved_ = 0;      // recipients reserved by it
  // The sender domain's DNS answer (mode system), kept for the transaction.
  std::optional<std::pair<std::string, policy::SenderRoute>> route_;
  std::string pending_domain_;      // asked by rcpt_ready, not yet answered
  // A large message on its way to the durable store.
  std::unique_ptr<store::Spool> spool_;
  std::string spool_error_;         // set when spooling failed mid-message
};

// The same on one line for text logs: "550 a / 550 b".
std::string reply_log_text(const Reply& r);

}  // namespace relaymock::net
