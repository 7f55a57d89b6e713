#include "relay/submit.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace relaymock::relay {

namespace asio = boost::asio;

namespace {
asio::awaitable<void> hold(const std::optional<policy::Firing>& f) {
  if (!f || !f->delay) co_return;
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(*f->delay);
  boost::system::error_code ec;
  co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}
}  // namespace

asio::awaitable<Submitted> submit(Service& svc, Submission s) {
  Transaction tx(svc, s.origin);
  Submitted out;
  const std::string sender = s.sender.str();
  const std::string user = s.identity.kind == policy::Identity::Kind::User ? s.identity.name : std::string();
  const std::string api_key = s.identity.kind == policy::Identity::Kind::ApiKey ? s.identity.name : std::string();
  auto scenario = [&](Stage st, std::vector<std::string_view> rcpts, std::string_view content) {
    policy::StageFacts facts{st, s.origin.client_ip, s.origin.port, user, api_key, sender, std::move(rcpts), content};
    auto fired = svc.scenario(s.origin, facts, s.identity);
    if (fired && fired->disconnect) out.disconnect = true;
    return fired;
  };
  auto refused = [&](const Reply& r, std::string rule) -> Submitted {
    tx.abandon();
    out.refusal = r;
    out.rule = std::move(rule);
    return out;
  };

  auto at_mail = scenario(Stage::Mail, {}, {});
  co_await hold(at_mail);
  if (out.disconnect) co_return out;
  if (at_mail && at_mail->reply) co_return refused(*at_mail->reply, "scenario:" + at_mail->name);
  if (auto domain = tx.needs_lookup(s.sender)) co_await tx.lookup(std::move(*domain));
  for (const auto& r : s.recipients) {
    auto at_rcpt = scenario(Stage::Rcpt, {r}, {});
    co_await hold(at_rcpt);
    if (out.disconnect) co_return out;
    if (at_rcpt && at_rcpt->reply) co_return refused(*at_rcpt->reply, "scenario:" + at_rcpt->name);
    auto d = tx.check_rcpt(s.identity, s.sender, r);
    if (!d.accept) co_return refused(d.reply, d.rule);
  }
  std::vector<std::string_view> all(s.recipients.begin(), s.recipients.end());
  auto at_end = scenario(Stage::EndOfData, all, s.content);
  co_await hold(at_end);
  if (out.disconnect) co_return out;
  if (at_end && at_end->reply) co_return refused(*at_end->reply, "scenario:" + at_end->name);

  auto msg = std::make_shared<store::Message>();
  msg->envelope_from = sender;
  msg->envelope_to = s.recipients;
  msg->notify.assign(s.recipients.size(), "");
  msg->orcpt.assign(s.recipients.size(), "");
  msg->content = std::move(s.content);
  auto result = tx.finish(msg, msg->content);
  out.accepted = result.accepted;
  out.message_id = result.message_id;
  out.rule = result.rule;
  if (!result.accepted) out.refusal = result.reply;
  co_return out;
}

}  // namespace relaymock::relay
