#include "net/mail_handler.hpp"
#include <mutex>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/as_tuple.hpp>

#include "smtp/message_id.hpp"
#include "util/log.hpp"

namespace relaymock::net {

void MailHandler::opened(const std::string& client_ip, std::uint16_t port, bool tls, const config::Profile* profile) {
  origin_.profile = profile;
  origin_.client_ip = client_ip;
  origin_.port = port;
  origin_.tls = tls;
}

const relay::Origin& MailHandler::origin(const smtp::SessionView& v) {
  origin_.tls = v.tls;  // STARTTLS changes it mid-session
  return origin_;
}

relay::Transaction& MailHandler::tx(const smtp::SessionView& v) {
  if (!tx_) tx_.emplace(svc_, origin(v));
  return *tx_;
}

void MailHandler::end_transaction() {
  tx_.reset();  // releases whatever it still holds
  pending_domain_.clear();
  spool_.reset();
  spool_error_.clear();
}

std::optional<smtp::Scripted> MailHandler::script(const smtp::SessionView& v, const smtp::ScriptFacts& f) {
  if (!svc_.has_scenarios()) return std::nullopt;
  policy::StageFacts facts;
  facts.stage = f.point;
  facts.client_ip = v.client.ip;
  facts.port = v.client.local_port;
  facts.user = f.point == Stage::Auth ? f.user : v.auth_user ? std::string_view(*v.auth_user) : std::string_view();
  std::vector<std::string> rcpts;  // the views below point into these
  std::string sender;
  if (f.env) {
    sender = f.env->from.str();
    facts.sender = sender;
    if (f.rcpt) rcpts.push_back(f.rcpt->mailbox.str());
    else
      for (const auto& r : f.env->rcpts) rcpts.push_back(r.mailbox.str());
  }
  for (const auto& r : rcpts) facts.recipients.push_back(r);
  if (f.prdr) facts.prdr = f.rcpt ? policy::StageFacts::Prdr::EachRecipient : policy::StageFacts::Prdr::WholeMessage;
  // A spooled message keeps its header section in the spool's head.
  facts.content = spool_ && f.point == Stage::EndOfData ? std::string_view(spool_->head()) : f.content;
  auto fired = svc_.scenario(origin(v), facts, identity(v));
  if (!fired) return std::nullopt;
  smtp::Scripted out;
  if (fired->delay) out.delay = *fired->delay;
  out.reply = fired->reply;
  out.disconnect = fired->disconnect;
  return out;
}

std::optional<Reply> MailHandler::authenticate(const smtp::SessionView& v, const smtp::AuthAttempt& attempt) {
  return svc_.authenticate(origin(v), attempt);
}

std::optional<Reply> MailHandler::check_mail(const smtp::SessionView& v, const smtp::Envelope& env) {
  auto d = svc_.check_mail(origin(v), identity(v), env.from);
  if (d.accept) return std::nullopt;
  return d.reply;
}

bool MailHandler::rcpt_ready(const smtp::SessionView& v, const smtp::Envelope& env) {
  auto domain = tx(v).needs_lookup(env.from);
  if (!domain) return true;
  pending_domain_ = std::move(*domain);
  return false;
}

struct MailHandler::Commit {
  std::mutex mutex;
  bool done = false;
  store::Durable::Failure failure;
  // Set while the session's coroutine waits: where to wake it.
  std::optional<boost::asio::any_io_executor> waiter;
  std::shared_ptr<boost::asio::steady_timer> timer;
};

boost::asio::awaitable<void> MailHandler::complete_lookup() {
  if (auto c = commit_) {
    auto executor = co_await boost::asio::this_coro::executor;
    auto timer = std::make_shared<boost::asio::steady_timer>(executor, boost::asio::steady_timer::time_point::max());
    {
      std::lock_guard lock(c->mutex);
      if (c->done) co_return;
      c->waiter = executor;
      c->timer = timer;
    }
    // Woken by the callback's post (queued on this executor, so it runs only
    // once this wait has begun); nothing else cancels it.
    while (true) {
      co_await timer->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
      std::lock_guard lock(c->mutex);
      if (c->done) break;
    }
    co_return;
  }
  if (pending_domain_.empty() || !tx_) co_return;
  std::string domain = std::move(pending_domain_);
  pending_domain_.clear();
  co_await tx_->lookup(std::move(domain));
}

std::optional<Reply> MailHandler::check_rcpt(const smtp::SessionView& v, const smtp::Envelope& env,
                                             const smtp::Recipient& rcpt) {
  // The recipient goes into a refusal's event (events filter by recipient).
  auto d = tx(v).check_rcpt(identity(v), env.from, rcpt.mailbox.str());
  if (d.accept) return std::nullopt;
  return d.reply;
}

bool MailHandler::spool(const std::string& chunk) {
  if (!spool_error_.empty()) return true;  // already failed: drop the rest, answer 451 at the end
  if (!spool_) {
    auto dir = svc_.mail().spool_dir();
    if (!dir) return false;  // no spool directory: the message stays in memory
    try {
      spool_ = std::make_unique<store::Spool>(*dir);
      logger().debug("spooling a large message", {{"session", origin_.session_id}, {"directory", *dir}});
    } catch (const std::exception& e) {
      logger().warning("cannot spool a large message; keeping it in memory",
                       {{"session", origin_.session_id}, {"error", e.what()}});
      return false;
    }
  }
  try {
    spool_->append(chunk);
  } catch (const std::exception& e) {
    spool_error_ = e.what();
  }
  return true;
}

std::optional<Reply> MailHandler::deliver(const smtp::SessionView& v, const smtp::Envelope& env, std::string& content) {
  auto& t = tx(v);
  if (spool_ && spool_error_.empty()) {
    try {
      spool_->append(content);  // the tail after the last spooled chunk
      std::string().swap(content);
    } catch (const std::exception& e) {
      spool_error_ = e.what();
    }
  }
  if (!spool_error_.empty()) {
    auto r = t.store_failed("the message could not be spooled: " + spool_error_).reply;
    end_transaction();
    return r;
  }
  auto msg = std::make_shared<store::Message>();
  msg->id = env.planned_id;  // PRDR named it already; empty: the store's
  msg->helo = v.helo;
  msg->envelope_from = env.from.str();
  for (const auto& r : env.rcpts) {
    msg->envelope_to.push_back(r.mailbox.str());
    msg->notify.push_back(r.params.notify);
    msg->orcpt.push_back(r.params.orcpt);
  }
  msg->body_param = env.params.body;
  msg->ret_param = env.params.ret;
  msg->envid_param = env.params.envid;
  msg->smtputf8 = env.params.smtputf8;
  // The From header rule reads the header section: from memory, or the spool's head.
  msg->content = std::move(content);
  // (The spool lives on inside the shared_ptr passed along: the view stays valid.)
  std::string_view head = spool_ ? std::string_view(spool_->head()) : std::string_view(msg->content);
  auto c = std::make_shared<Commit>();
  auto now = t.begin_finish(msg, head, std::shared_ptr<const store::Spool>(std::move(spool_)),
                            [c](const store::Durable::Failure& f) {
                              std::lock_guard lock(c->mutex);
                              c->failure = f;
                              c->done = true;
                              if (c->waiter)
                                boost::asio::post(*c->waiter, [timer = c->timer] { timer->cancel(); });
                            });
  if (now) {
    end_transaction();
    return now->reply;
  }
  {
    std::lock_guard lock(c->mutex);
    if (c->done) {  // memory mode: kept already
      auto result = t.end_finish(c->failure);
      end_transaction();
      return result.reply;
    }
  }
  commit_ = std::move(c);
  return std::nullopt;
}

Reply MailHandler::delivered(const smtp::SessionView& v) {
  auto c = std::move(commit_);
  store::Durable::Failure failure;
  {
    std::lock_guard lock(c->mutex);
    failure = c->failure;
  }
  auto result = tx(v).end_finish(failure);
  end_transaction();
  return result.reply;
}

std::string MailHandler::new_message_id() { return smtp::make_message_id(svc_.clock().now()); }

void MailHandler::refuse_recipient(const smtp::SessionView& v, const smtp::Envelope&, const smtp::Recipient& r,
                                   const Reply&) {
  tx(v).drop_recipient(r.mailbox.str());
}

void MailHandler::abandon(const smtp::SessionView&, const smtp::Envelope&) { end_transaction(); }

void MailHandler::protocol_reply(const smtp::SessionView& v, Stage stage, std::string_view rule,
                                 const Reply& r) {
  svc_.record(relay::RecordKind::Protocol, origin(v), stage_name(stage), rule, identity(v), &r,
              "protocol: " + std::string(rule));
}

void MailHandler::transcript(char dir, std::string_view line) { svc_.transcript(origin_.session_id, dir, line); }

}  // namespace relaymock::net
