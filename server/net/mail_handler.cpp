#include "net/mail_handler.hpp"

#include "util/log.hpp"
#include "smtp/message_id.hpp"
#include "util/duration.hpp"

namespace relaymock::net {

namespace {
std::vector<std::string> reply_lines(const Reply& r) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (true) {
    auto nl = r.text.find('\n', start);
    lines.push_back(r.text.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return lines;
}

std::string identity_text(const policy::Identity& id) {
  return id.kind == policy::Identity::Kind::None ? std::string("none")
                                                 : std::string(id.kind_name()) + ":" + id.name;
}
}  // namespace

std::string reply_log_text(const Reply& r) {
  std::string out, code = std::to_string(r.code);
  for (const auto& l : reply_lines(r)) out += (out.empty() ? "" : " / ") + code + " " + l;
  return out;
}

void MailHandler::record(const smtp::SessionView& v, const char* stage, const std::string& rule,
                         const policy::Identity& id, const Reply& reply, const std::string& detail,
                         const std::string& message_id) {
  bool accepted = reply.code < 400;
  // Field holds views: every value must outlive the call.
  std::string port = std::to_string(v.client.local_port);
  std::string identity = identity_text(id);
  std::string reply_text = reply_log_text(reply);
  std::vector<LogField> fields{{"session", session_id_}, {"client", v.client.ip}, {"port", port},   {"stage", stage},
                            {"rule", rule},           {"identity", identity},    {"reply", reply_text}};
  if (!message_id.empty()) fields.emplace_back("id", message_id);
  fields.emplace_back("detail", detail);
  logger().info(accepted ? (rule == "accepted_sandbox" ? "accepted (sandbox)" : "accepted") : "rejected", fields);

  add_event(v, stage, rule, id.kind_name(), id.name, &reply, detail, message_id);
}

void MailHandler::add_event(const smtp::SessionView& v, std::string_view stage, std::string_view rule,
                            std::string_view identity_kind, std::string_view identity_name, const Reply* reply,
                            std::string detail, std::string message_id) {
  store::Event e;
  e.time = svc_.engine.clock().now();
  e.session_id = session_id_;
  e.client_ip = v.client.ip;
  e.port = v.client.local_port;
  e.stage = stage;
  e.rule = rule;
  e.identity_kind = identity_kind;
  e.identity_name = identity_name;
  if (reply) e.reply = reply_spec(*reply);
  e.detail = std::move(detail);
  e.message_id = std::move(message_id);
  try {
    svc_.events.append(std::move(e));
  } catch (const std::exception& ex) {
    logger().error("event not stored", {{"session", session_id_}, {"error", ex.what()}});
  }
  if (reply) svc_.metrics.count_reply(reply->code, std::string(rule));
}

std::optional<smtp::Scripted> MailHandler::script(const smtp::SessionView& v, const smtp::ScriptFacts& f) {
  if (svc_.scenarios.empty()) return std::nullopt;
  using P = smtp::ScriptPoint;
  using S = config::ScenarioStage;
  static constexpr S stages[] = {S::Connect, S::Ehlo, S::Auth, S::Mail, S::Rcpt, S::Data, S::EndOfData};
  policy::StageFacts facts;
  facts.stage = stages[static_cast<int>(f.point)];
  facts.client_ip = v.client.ip;
  facts.port = v.client.local_port;
  facts.user = f.point == P::Auth ? f.user : v.auth_user ? std::string_view(*v.auth_user) : std::string_view();
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
  // A spooled message keeps its header section in the spool's head.
  facts.content = spool_ && f.point == P::EndOfData ? std::string_view(spool_->head()) : f.content;
  auto fired = svc_.scenarios.fire(facts);
  if (!fired) return std::nullopt;

  smtp::Scripted out;
  if (fired->delay) out.delay = *fired->delay;
  out.reply = fired->reply;
  out.disconnect = fired->disconnect;
  std::string what = fired->reply ? reply_log_text(*fired->reply) : std::string();
  std::string detail = "scenario " + fired->name + " (" + fired->detail + ")";
  if (fired->delay) detail += "; delay " + format_duration(*fired->delay);
  if (fired->disconnect) detail += "; disconnect";
  std::string rule = "scenario:" + fired->name;
  logger().info("scenario", {{"session", session_id_}, {"client", v.client.ip}, {"stage", config::scenario_stage_name(facts.stage)},
                             {"rule", rule}, {"reply", what}, {"detail", detail}});
  add_event(v, config::scenario_stage_name(facts.stage), rule, v.auth_user ? "user" : "none",
            v.auth_user ? *v.auth_user : "", fired->reply ? &*fired->reply : nullptr, detail);
  return out;
}

std::optional<Reply> MailHandler::authenticate(const smtp::SessionView& v, const smtp::AuthAttempt& attempt) {
  auto d = svc_.engine.authenticate(attempt);
  // The username is logged; the password or digest never is.
  if (!d.accept) {
    record(v, "auth", d.rule, d.identity, d.reply, d.detail);
    return d.reply;
  }
  logger().debug("authenticated", {{"session", session_id_}, {"user", attempt.user}, {"mechanism", attempt.mechanism}});
  return std::nullopt;
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

std::optional<Reply> MailHandler::check_rcpt(const smtp::SessionView& v, const smtp::Envelope& env,
                                                   const smtp::Recipient&) {
  auto id = svc_.engine.identify(v.auth_user, v.client.ip);
  // rcpt_ready() set route_ for this transaction's sender when DNS matters.
  auto d = svc_.engine.check_rcpt(id, env.from, route_ ? &route_->second : nullptr);
  if (!d.accept) {
    record(v, "rcpt", d.rule, d.identity, d.reply, d.detail);
    return d.reply;
  }
  identity_ = id;
  ++reserved_;
  return std::nullopt;
}

void MailHandler::end_transaction() {
  reserved_ = 0;
  route_.reset();
  spool_.reset();
  spool_error_.clear();
}

// Exim's answer when it cannot keep a message: the client may retry.
Reply MailHandler::store_failed(const smtp::SessionView& v, const std::string& why) {
  svc_.engine.release(identity_, reserved_);
  Reply r{451, "4.3.0", "Temporary local problem - please try later"};
  record(v, "data", "store_failed", identity_, r, why);
  end_transaction();
  return r;
}

bool MailHandler::spool(const std::string& chunk) {
  if (!spool_error_.empty()) return true;  // already failed: drop the rest, answer 451 at the end
  if (!spool_) {
    auto dir = svc_.mail.spool_dir();
    if (!dir) return false;  // no spool directory: the message stays in memory
    try {
      spool_ = std::make_unique<store::Spool>(*dir);
      logger().debug("spooling a large message", {{"session", session_id_}, {"directory", *dir}});
    } catch (const std::exception& e) {
      logger().warning("cannot spool a large message; keeping it in memory", {{"session", session_id_}, {"error", e.what()}});
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

Reply MailHandler::deliver(const smtp::SessionView& v, const smtp::Envelope& env, std::string& content) {
  if (spool_ && spool_error_.empty()) {
    try {
      spool_->append(content);  // the tail after the last spooled chunk
      std::string().swap(content);
    } catch (const std::exception& e) {
      spool_error_ = e.what();
    }
  }
  if (!spool_error_.empty()) return store_failed(v, "the message could not be spooled: " + spool_error_);
  // The From header rule reads the header section: from memory, or the spool's head.
  auto d = svc_.engine.check_content(identity_, spool_ ? std::string_view(spool_->head()) : std::string_view(content));
  if (!d.accept) {
    svc_.engine.release(identity_, reserved_);
    end_transaction();
    record(v, "data", d.rule, d.identity, d.reply, d.detail);
    return d.reply;
  }
  auto now = svc_.engine.clock().now();
  auto msg = std::make_shared<store::Message>();
  msg->id = smtp::make_message_id(now);
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
  std::string id = msg->id;
  std::uint64_t rcpts = msg->envelope_to.size();
  std::uint64_t size = spool_ ? spool_->size() : msg->content.size();
  // In durable mode the 250 goes out only once the message (and the counters'
  // history) is committed.
  std::vector<store::UsageRow> usage{
      {identity_.key(), std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count(),
       reserved_}};
  try {
    svc_.mail.add(std::move(msg), usage, std::shared_ptr<const store::Spool>(std::move(spool_)));
  } catch (const std::exception& ex) {
    return store_failed(v, std::string("the message could not be stored: ") + ex.what());
  }
  svc_.engine.commit(identity_, reserved_);
  end_transaction();
  svc_.metrics.messages_accepted_total++;
  svc_.metrics.recipients_accepted_total += rcpts;
  Reply reply{250, "2.0.0", "OK id=" + id};
  record(v, "data", d.rule, identity_, reply,
         d.detail + "; " + std::to_string(rcpts) + " recipient(s), " + std::to_string(size) + " bytes", id);
  return reply;
}

void MailHandler::abandon(const smtp::SessionView&, const smtp::Envelope&) {
  svc_.engine.release(identity_, reserved_);
  end_transaction();
}

void MailHandler::protocol_reply(const smtp::SessionView& v, smtp::Stage stage, std::string_view rule,
                                 const Reply& r) {
  // Limits that end a transaction are outcomes worth a line at info; plain syntax errors are not.
  bool outcome = rule == "size_exceeded" || rule == "too_many_recipients" || rule == "timeout";
  std::string rule_s(rule);
  logger().log(outcome ? LogLevel::Info : LogLevel::Debug, "protocol reply",
               {{"session", session_id_}, {"client", v.client.ip}, {"stage", smtp::stage_name(stage)},
                {"rule", rule_s}, {"reply", reply_log_text(r)}});
  add_event(v, smtp::stage_name(stage), rule, v.auth_user ? "user" : "none", v.auth_user ? *v.auth_user : "", &r,
            "protocol: " + rule_s);
}

void MailHandler::transcript(char dir, std::string_view line) {
  svc_.transcripts.add(session_id_, svc_.engine.clock().now(), dir, std::string(line));
}

}  // namespace relaymock::net
