#include "net/mail_handler.hpp"

#include "net/log.hpp"
#include "smtp/message_id.hpp"

namespace relaymock::net {

std::string reply_log_text(const smtp::Reply& r) {
  std::string out;
  std::string code = std::to_string(r.code);
  std::size_t start = 0;
  while (true) {
    auto nl = r.text.find('\n', start);
    if (!out.empty()) out += " / ";
    out += code + " " + r.text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

void MailHandler::log_decision(const smtp::SessionView& v, const char* stage, const policy::Decision& d,
                               const std::string& reply_text) {
  std::string port = std::to_string(v.client.local_port);
  std::string identity = d.identity.kind == policy::Identity::Kind::None
                             ? std::string("none")
                             : std::string(d.identity.kind_name()) + ":" + d.identity.name;
  logger().info(d.accept ? "accepted" : "rejected",
                {{"session", session_id_}, {"client", v.client.ip}, {"port", port}, {"stage", stage},
                 {"rule", d.rule}, {"identity", identity}, {"reply", reply_text}, {"detail", d.detail}});
}

bool MailHandler::authenticate(const smtp::SessionView& v, const smtp::AuthAttempt& attempt) {
  auto d = svc_.engine.authenticate(attempt);
  // The username is logged; the password or digest never is.
  if (!d.accept) log_decision(v, "auth", d, reply_log_text(d.reply));
  else logger().debug("authenticated", {{"session", session_id_}, {"user", attempt.user}, {"mechanism", attempt.mechanism}});
  return d.accept;
}

bool MailHandler::rcpt_ready(const smtp::SessionView&, const smtp::Envelope& env) {
  auto domain = svc_.engine.route_domain(env.from);
  if (!domain || (route_ && route_->first == *domain)) return true;
  if (auto hit = svc_.resolver.cached(*domain)) {
    route_.emplace(*domain, *hit);
    return true;
  }
  pending_domain_ = *domain;
  return false;
}

boost::asio::awaitable<void> MailHandler::complete_lookup() {
  if (pending_domain_.empty()) co_return;
  std::string domain = std::move(pending_domain_);
  pending_domain_.clear();
  auto route = co_await svc_.resolver.lookup(domain);
  logger().debug("sender domain looked up", {{"session", session_id_}, {"domain", domain},
                                             {"result", policy::route_kind_name(route.kind)}, {"detail", route.detail}});
  route_.emplace(domain, std::move(route));
}

std::optional<smtp::Reply> MailHandler::check_rcpt(const smtp::SessionView& v, const smtp::Envelope& env,
                                                   const smtp::Recipient&) {
  auto id = svc_.engine.identify(v.auth_user, v.client.ip);
  auto domain = svc_.engine.route_domain(env.from);
  const policy::SenderRoute* route = domain && route_ && route_->first == *domain ? &route_->second : nullptr;
  auto d = svc_.engine.check_rcpt(id, env.from, route);
  if (!d.accept) {
    log_decision(v, "rcpt", d, reply_log_text(d.reply));
    return d.reply;
  }
  identity_ = id;
  ++reserved_;
  return std::nullopt;
}

smtp::Reply MailHandler::deliver(const smtp::SessionView& v, const smtp::Envelope& env, std::string& content) {
  auto d = svc_.engine.check_content(identity_, content);
  if (!d.accept) {
    svc_.engine.release(identity_, reserved_);
    reserved_ = 0;
    route_.reset();
    log_decision(v, "data", d, reply_log_text(d.reply));
    return d.reply;
  }
  auto now = svc_.engine.clock().now();
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  auto msg = std::make_shared<store::Message>();
  msg->id = smtp::make_message_id(micros / 1'000'000, static_cast<std::uint32_t>(micros % 1'000'000));
  msg->received_at = now;
  msg->session_id = session_id_;
  msg->client_ip = v.client.ip;
  msg->port = v.client.local_port;
  msg->tls = v.tls;
  msg->identity_kind = identity_.kind_name();
  msg->identity_name = identity_.name;
  msg->sandbox = d.rule == "accepted_sandbox";
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
  msg->content = std::move(content);
  smtp::Reply reply{250, "2.0.0", "OK id=" + msg->id};
  svc_.engine.commit(identity_, reserved_);
  reserved_ = 0;
  route_.reset();
  std::string size = std::to_string(msg->content.size());
  std::string rcpts = std::to_string(msg->envelope_to.size());
  svc_.mail.add(msg);
  logger().info(d.rule == "accepted_sandbox" ? "accepted (sandbox)" : "accepted",
                {{"session", session_id_}, {"client", v.client.ip}, {"port", std::to_string(v.client.local_port)},
                 {"stage", "data"}, {"rule", d.rule},
                 {"identity", std::string(identity_.kind_name()) + ":" + identity_.name}, {"id", msg->id},
                 {"from", msg->envelope_from}, {"recipients", rcpts}, {"size", size}, {"detail", d.detail}});
  return reply;
}

void MailHandler::abandon(const smtp::SessionView&, const smtp::Envelope&) {
  svc_.engine.release(identity_, reserved_);
  reserved_ = 0;
  route_.reset();
}

void MailHandler::protocol_reply(const smtp::SessionView& v, smtp::Stage stage, std::string_view rule,
                                 const smtp::Reply& r) {
  // Limits that end a transaction are outcomes worth a line at info; plain syntax errors are not.
  bool outcome = rule == "size_exceeded" || rule == "too_many_recipients" || rule == "timeout";
  logger().log(outcome ? config::LogLevel::Info : config::LogLevel::Debug, "protocol reply", {{"session", session_id_}, {"client", v.client.ip},
                                    {"stage", smtp::stage_name(stage)}, {"rule", rule}, {"reply", reply_log_text(r)}});
}

}  // namespace relaymock::net
