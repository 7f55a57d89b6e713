// The SMTP door's adapter: answers smtp::Session's questions for one
// connection by asking the transaction service (relay/), which decides,
// captures and records. What stays here is only SMTP's: the open
// transaction between MAIL and the end of data, a large message's spool,
// and the session's facts for scenarios.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string>

#include "relay/service.hpp"
#include "smtp/session.hpp"
#include "store/spool.hpp"

namespace relaymock::net {

class MailHandler final : public smtp::Handler {
 public:
  MailHandler(relay::Service& service, std::string session_id) : svc_(service) { origin_.session_id = std::move(session_id); }

  std::optional<smtp::Scripted> script(const smtp::SessionView&, const smtp::ScriptFacts&) override;
  std::optional<Reply> authenticate(const smtp::SessionView&, const smtp::AuthAttempt&) override;
  std::optional<Reply> check_mail(const smtp::SessionView&, const smtp::Envelope&) override;
  bool rcpt_ready(const smtp::SessionView&, const smtp::Envelope&) override;
  std::optional<Reply> check_rcpt(const smtp::SessionView&, const smtp::Envelope&, const smtp::Recipient&) override;
  std::optional<Reply> deliver(const smtp::SessionView&, const smtp::Envelope&, std::string& content) override;
  Reply delivered(const smtp::SessionView&) override;
  std::string new_message_id() override;
  void refuse_recipient(const smtp::SessionView&, const smtp::Envelope&, const smtp::Recipient&, const Reply&) override;
  void abandon(const smtp::SessionView&, const smtp::Envelope&) override;
  void protocol_reply(const smtp::SessionView&, Stage, std::string_view rule, const Reply&) override;
  void transcript(char dir, std::string_view line) override;
  bool spool(const std::string& chunk) override;

  const std::string& session_id() const { return origin_.session_id; }
  const relay::Origin& origin() const { return origin_; }
  // The connection's facts, once known (before the session starts).
  void opened(const std::string& client_ip, std::uint16_t port, bool tls, const config::Profile* profile = nullptr);
  // After rcpt_ready() said no: the DNS answer it is waiting for. After
  // deliver() said "later": the store's commit (never cut short: what the
  // store decided is what the client must hear).
  boost::asio::awaitable<void> complete_lookup();

 private:
  const relay::Origin& origin(const smtp::SessionView& v);
  policy::Identity identity(const smtp::SessionView& v) const {
    return svc_.identify(v.auth_user, v.client.ip, origin_.profile);
  }
  relay::Transaction& tx(const smtp::SessionView& v);
  void end_transaction();

  relay::Service& svc_;
  relay::Origin origin_;
  std::optional<relay::Transaction> tx_;  // from the first RCPT to the end of data
  std::string pending_domain_;            // asked by rcpt_ready, not yet answered
  // A large message on its way to the store.
  std::unique_ptr<store::Spool> spool_;
  std::string spool_error_;  // set when spooling failed mid-message
  // A message handed to the store, its commit not yet heard of. Shared with
  // the store's callback, which may run on its writer thread.
  struct Commit;
  std::shared_ptr<Commit> commit_;
};

}  // namespace relaymock::net
