// Answers the protocol's questions for one connection: asks policy/, keeps
// the transaction's reservations, captures accepted mail, logs decisions.
#pragma once
#include <cstdint>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <optional>

#include "net/resolver.hpp"
#include "policy/engine.hpp"
#include "smtp/session.hpp"
#include "store/mail_list.hpp"

namespace relaymock::net {

struct Services {
  policy::Engine& engine;
  store::MailList& mail;
  Resolver& resolver;
};

class MailHandler final : public smtp::Handler {
 public:
  MailHandler(Services& services, std::string session_id) : svc_(services), session_id_(std::move(session_id)) {}

  bool authenticate(const smtp::SessionView&, const smtp::AuthAttempt&) override;
  bool rcpt_ready(const smtp::SessionView&, const smtp::Envelope&) override;
  std::optional<smtp::Reply> check_rcpt(const smtp::SessionView&, const smtp::Envelope&,
                                        const smtp::Recipient&) override;
  smtp::Reply deliver(const smtp::SessionView&, const smtp::Envelope&, std::string& content) override;
  void abandon(const smtp::SessionView&, const smtp::Envelope&) override;
  void protocol_reply(const smtp::SessionView&, smtp::Stage, std::string_view rule, const smtp::Reply&) override;

  const std::string& session_id() const { return session_id_; }
  // After rcpt_ready() said no: the DNS answer it is waiting for.
  boost::asio::awaitable<void> complete_lookup();

 private:
  void log_decision(const smtp::SessionView& v, const char* stage, const policy::Decision& d,
                    const std::string& reply_text);

  Services& svc_;
  std::string session_id_;
  policy::Identity identity_;       // of the open transaction
  std::uint64_t reserved_ = 0;      // recipients reserved by it
  // The sender domain's DNS answer (mode system), kept for the transaction.
  std::optional<std::pair<std::string, policy::SenderRoute>> route_;
  std::string pending_domain_;      // asked by rcpt_ready, not yet answered
};

// "250 OK id=..." etc. as one line of text for logs: "550 a / 550 b".
std::string reply_log_text(const smtp::Reply& r);

}  // namespace relaymock::net
