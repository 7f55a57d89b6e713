#include "relay/service.hpp"

#include <algorithm>
#include <future>

#include "config/config.hpp"
#include "mime/mime.hpp"
#include "smtp/message_id.hpp"
#include "util/duration.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"
#include "relay/tags.hpp"

namespace relaymock::relay {

namespace {

// Bounds on what an event echoes (the log cuts its values at 2 KiB too).
constexpr std::size_t kMaxEchoedName = 256;
constexpr std::size_t kMaxEchoedReply = 4096;
constexpr std::size_t kMaxEchoedDetail = 1024;
constexpr std::size_t kMaxEchoedRecipients = 100;

// What a client chose (a 9 KB username, an address, a reply it provoked) is
// echoed into an event cut short: 100,000 failed AUTHs must not cost
// 100,000 x 9 KB. A thousand recipients are named by the first hundred.
store::Event clip_echoes(store::Event e) {
  auto cut = [](std::string& s, std::size_t max) {
    if (s.size() > max) s = clip(s, max);
  };
  cut(e.identity_name, kMaxEchoedName);
  cut(e.reply, kMaxEchoedReply);
  cut(e.detail, kMaxEchoedDetail);
  cut(e.sender, kMaxEchoedName);
  if (e.recipients.size() > kMaxEchoedRecipients) e.recipients.resize(kMaxEchoedRecipients);
  for (auto& r : e.recipients) cut(r, kMaxEchoedName);
  for (auto& c : e.checks) {
    cut(c.compared, kMaxEchoedDetail);
    cut(c.fix, kMaxEchoedDetail);
  }
  return e;
}

std::string identity_text(const policy::Identity& id) {
  return id.kind == policy::Identity::Kind::None ? std::string("none") : std::string(id.kind_name()) + ":" + id.name;
}

// Limits that end a transaction are outcomes worth a line at info; plain
// syntax errors are not.
bool protocol_outcome(std::string_view rule) {
  return rule == "size_exceeded" || rule == "too_many_recipients" || rule == "timeout";
}

}  // namespace

std::string reply_log_text(const Reply& r) {
  std::string out, code = std::to_string(r.code);
  for (auto l : reply_lines(r.text)) {
    if (!out.empty()) out += " / ";
    out += code;
    out += ' ';
    out.append(l);
  }
  return out;
}

// ---- Reservation ------------------------------------------------------------

void Reservation::add(const policy::Identity& id) {
  for (auto& [held, n] : held_)
    if (held.key() == id.key()) {
      ++n;
      return;
    }
  held_.emplace_back(id, 1);
}

void Reservation::release_one(const policy::Identity& id) {
  for (auto& [held, n] : held_)
    if (held.key() == id.key() && n > 0) {
      engine_.release(held, 1);
      --n;
      return;
    }
}

void Reservation::commit() {
  for (const auto& [id, n] : held_) engine_.commit(id, n);
  held_.clear();
}

void Reservation::release() {
  for (const auto& [id, n] : held_) engine_.release(id, n);
  held_.clear();
}

std::uint64_t Reservation::count() const {
  std::uint64_t total = 0;
  for (const auto& h : held_) total += h.second;
  return total;
}

std::vector<store::UsageRow> Reservation::usage(TimePoint at) const {
  std::vector<store::UsageRow> rows;
  const auto ms = ms_since_epoch(at);
  for (const auto& [id, n] : held_) rows.push_back({id.key(), ms, n});
  return rows;
}

// ---- Transaction ------------------------------------------------------------

Transaction::Transaction(Service& svc, Origin origin)
    : svc_(svc), origin_(std::move(origin)), reserved_(svc.d_.engine) {}

std::optional<std::string> Transaction::needs_lookup(const Mailbox& sender) {
  auto domain = svc_.d_.engine.route_domain(sender, origin_.profile);
  if (!domain || (route_ && route_->first == *domain)) return std::nullopt;
  if (auto hit = svc_.d_.resolver.cached(*domain)) {
    route_.emplace(*domain, *hit);
    return std::nullopt;
  }
  return domain;
}

boost::asio::awaitable<void> Transaction::lookup(std::string domain) {
  // Until DNS answers, a temporary failure: what a wait cut short leaves.
  route_.emplace(domain, policy::SenderRoute{policy::SenderRoute::Kind::TempFail, Resolver::kWaitEnded});
  auto route = co_await svc_.d_.resolver.lookup(domain);
  logger().debug("sender domain looked up", {{"session", origin_.session_id}, {"domain", domain},
                                             {"result", policy::route_kind_name(route.kind)}, {"detail", route.detail}});
  route_->second = std::move(route);
}

policy::Decision Transaction::check_rcpt(const policy::Identity& id, const Mailbox& sender,
                                         std::string_view recipient) {
  // needs_lookup() set route_ for this sender when DNS matters.
  // Checks written out for the first recipient only (the data's event shows
  // those); a later refusal asks again, reserving nothing, for its event.
  const policy::SenderRoute* route = route_ ? &route_->second : nullptr;
  const bool describe = rcpt_checks_.empty();
  auto d = svc_.d_.engine.check_rcpt(id, sender, route, origin_.profile, describe);
  if (!d.accept && !describe) d.checks = svc_.d_.engine.try_rcpt(id, sender, route, origin_.profile, 0).checks;
  envelope_.sender = sender.str();
  if (d.accept) {
    reserved_.add(id);
    identity_ = id;
    if (describe) rcpt_checks_ = std::move(d.checks);
    if (!recipient.empty()) envelope_.recipients.emplace_back(recipient);
  } else {
    std::string detail = d.detail;
    if (!recipient.empty()) detail += "; recipient " + std::string(recipient);
    EventEnvelope asked{envelope_.sender, {}};
    if (!recipient.empty()) asked.recipients.emplace_back(recipient);
    svc_.record(RecordKind::Decision, origin_, "rcpt", d.rule, d.identity, &d.reply, std::move(detail), {}, &asked,
                &d.checks);
  }
  return d;
}

std::vector<policy::Check> Transaction::with_rcpt_checks(const std::vector<policy::Check>& content) const {
  auto all = rcpt_checks_;
  // A message from a door without RCPT checks (none today) still names its content check.
  for (const auto& c : content)
    if (std::none_of(all.begin(), all.end(), [&](const policy::Check& a) { return a.name == c.name; }))
      all.push_back(c);
  return all;
}

void Transaction::drop_recipient(std::string_view recipient) {
  reserved_.release_one(identity_);
  auto& r = envelope_.recipients;
  if (auto it = std::find(r.begin(), r.end(), recipient); it != r.end()) r.erase(it);
}

Transaction::Result Transaction::store_failed(const std::string& why) {
  reserved_.release();
  // Exim's answer when it cannot keep a message: the client may retry.
  Result r{{451, "4.3.0", "Temporary local problem - please try later"}, false, {}, "store_failed", why};
  svc_.record(RecordKind::Decision, origin_, "data", r.rule, identity_, &r.reply, why, {}, &envelope_);
  return r;
}

std::optional<Transaction::Result> Transaction::begin_finish(std::shared_ptr<store::Message> m, std::string_view head,
                                                            std::shared_ptr<const store::Spool> spool,
                                                            store::Durable::Done stored) {
  // One read of the header section serves the From rule and the store, so
  // what the API shows is what was checked.
  auto summary = mime::summarize(head);
  auto sender = parse_plain_address(m->envelope_from);
  auto d = svc_.d_.engine.check_content(identity_, summary.from, origin_.profile, sender ? &*sender : nullptr);
  envelope_ = EventEnvelope{m->envelope_from, m->envelope_to};
  rcpt_checks_ = with_rcpt_checks(d.checks);
  if (!d.accept) {
    reserved_.release();
    svc_.record(RecordKind::Decision, origin_, "data", d.rule, d.identity, &d.reply, d.detail, {}, &envelope_,
                &rcpt_checks_);
    return Result{d.reply, false, {}, d.rule};
  }
  auto now = svc_.d_.clock.now();
  if (m->id.empty()) m->id = smtp::make_message_id(now);
  m->received_at = now;
  m->session_id = origin_.session_id;
  m->client_ip = origin_.client_ip;
  m->port = origin_.port;
  m->tls = origin_.tls;
  m->identity_kind = identity_.kind_name();
  m->identity_name = identity_.name;
  m->sandbox = d.rule == "accepted_sandbox";
  m->from = std::move(summary.from.text);
  m->to = std::move(summary.to);
  m->cc = std::move(summary.cc);
  m->subject = std::move(summary.subject);
  // Tags as Mailpit gives them: X-Tags fields and plus-addressed recipients.
  std::vector<std::string> rcpts = m->to;
  rcpts.insert(rcpts.end(), m->cc.begin(), m->cc.end());
  rcpts.insert(rcpts.end(), summary.bcc.begin(), summary.bcc.end());
  rcpts.insert(rcpts.end(), m->envelope_to.begin(), m->envelope_to.end());
  auto tags = capture_tags(summary.x_tags, rcpts);
  pending_ = Pending{m->id, m->envelope_to.size(), spool ? spool->size() : m->content.size(), d.rule, d.detail, {}};
  if (svc_.d_.outcomes) pending_->outcomes = plan(*m, head, pending_->size);
  // In durable mode the 250 goes out only once the message (and the
  // counters' history) is committed: `stored` says when.
  svc_.d_.mail.add(std::move(m), reserved_.usage(now), std::move(spool), std::move(stored), std::move(tags));
  return std::nullopt;
}

Transaction::Result Transaction::end_finish(const store::Durable::Failure& failure) {
  auto p = std::move(*pending_);
  pending_.reset();
  if (failure) return store_failed("the message could not be stored: " + *failure);
  reserved_.commit();
  svc_.d_.metrics.messages_accepted_total++;
  svc_.d_.metrics.recipients_accepted_total += p.rcpts;
  svc_.d_.metrics.accepted_bytes_total += p.size;
  Reply ok = config::success_reply(*svc_.d_.engine.config(), origin_.profile, "message_accepted");
  ok.text = fill_placeholders(ok.text, {{"id", p.id}});
  Result r{ok, true, p.id, p.rule};
  svc_.record(RecordKind::Decision, origin_, "data", p.rule, identity_, &r.reply,
              p.detail + "; " + std::to_string(p.rcpts) + " recipient(s), " + std::to_string(p.size) + " bytes", p.id,
              &envelope_, &rcpt_checks_);
  svc_.d_.bus.publish({Outcome::Kind::MessageCaptured, origin_.session_id, p.id, 0});
  if (svc_.d_.outcomes) svc_.d_.outcomes->add(std::move(p.outcomes));
  return r;
}

std::vector<ScheduledEvent> Transaction::plan(const store::Message& m, std::string_view head, std::uint64_t size) const {
  policy::MessageFacts f;
  f.accepted_at = m.received_at;
  f.message_id = m.id;
  f.client_ip = m.client_ip;
  f.port = m.port;
  if (identity_.kind == policy::Identity::Kind::User) f.user = identity_.name;
  if (identity_.kind == policy::Identity::Kind::ApiKey) f.api_key = identity_.name;
  f.sender = m.envelope_from;
  f.recipients = m.envelope_to;
  f.head = head;
  f.content = m.content;  // a spooled message's link is not looked for
  f.size = size;
  f.sandbox = m.sandbox;
  if (auto* list = svc_.d_.suppressions)
    f.suppressed = [list](const std::string& rcpt) -> std::optional<std::string> {
      auto s = list->find(rcpt);
      return s ? std::optional<std::string>(s->type) : std::nullopt;
    };
  const auto cfg = svc_.d_.engine.config();
  OutcomeMessage facts{m.id,          m.session_id,    m.client_ip, m.port, m.envelope_from, m.envelope_to,
                       m.identity_kind, m.identity_name, m.subject};
  facts.accepted_at = m.received_at;  // a hook added later still gets the message's sendtime
  facts.from_address = m.from;
  if (!cfg->webhooks.hooks.empty()) {
    // The header fields a payload names, read once here, and only for an account with webhooks.
    const auto fields = mime::parse_headers(head);
    facts.from = mime::header_value(fields, "From");
    facts.message_id_header = mime::header_value(fields, "Message-ID");
    for (const auto& hook : cfg->webhooks.hooks)
      for (const auto& name : hook.headers) {
        auto seen = std::find_if(facts.headers.begin(), facts.headers.end(),
                                 [&](const auto& h) { return iequals(h.first, name); });
        auto value = mime::header_value(fields, name);
        if (seen == facts.headers.end() && !value.empty()) facts.headers.emplace_back(name, std::move(value));
      }
  }
  auto message = std::make_shared<const OutcomeMessage>(std::move(facts));
  std::vector<ScheduledEvent> out;
  const auto added = svc_.d_.outcome_rules ? svc_.d_.outcome_rules->snapshot() : nullptr;
  for (auto& planned : policy::plan_outcomes(cfg->outcomes, f, added && !added->empty() ? added.get() : nullptr))
    out.push_back({std::move(planned), message});
  return out;
}

Transaction::Result Transaction::finish(std::shared_ptr<store::Message> m, std::string_view head,
                                        std::shared_ptr<const store::Spool> spool) {
  std::promise<store::Durable::Failure> stored;
  auto result = stored.get_future();
  if (auto now = begin_finish(std::move(m), head, std::move(spool),
                              [&stored](const store::Durable::Failure& f) { stored.set_value(f); }))
    return *now;
  return end_finish(result.get());
}

// ---- Service ----------------------------------------------------------------

void Service::record(RecordKind kind, const Origin& o, std::string_view stage, std::string_view rule,
                     const policy::Identity& id, const Reply* reply, std::string detail, std::string message_id,
                     const EventEnvelope* envelope, const std::vector<policy::Check>* checks) {
  // LogField holds views: every value must outlive the call.
  const std::string port = std::to_string(o.port);
  const std::string identity = identity_text(id);
  const std::string reply_text = reply ? reply_log_text(*reply) : std::string();
  std::vector<LogField> fields{{"session", o.session_id}, {"client", o.client_ip}, {"port", port},
                               {"stage", stage},          {"rule", rule},          {"identity", identity},
                               {"reply", reply_text}};
  if (!message_id.empty()) fields.emplace_back("id", message_id);
  fields.emplace_back("detail", detail);
  switch (kind) {
    case RecordKind::Decision:
      logger().log(LogLevel::Info,
                   !reply || reply->code >= 400 ? "rejected"
                   : rule == "accepted_sandbox" ? "accepted (sandbox)"
                                                : "accepted",
                   fields);
      break;
    case RecordKind::Protocol:
      logger().log(protocol_outcome(rule) ? LogLevel::Info : LogLevel::Debug, "protocol reply", fields);
      break;
    case RecordKind::Scenario: logger().log(LogLevel::Info, "scenario", fields); break;
    case RecordKind::Account: logger().log(LogLevel::Info, "account changed", fields); break;
  }

  store::Event e;
  e.time = d_.clock.now();
  e.session_id = o.session_id;
  e.client_ip = o.client_ip;
  e.port = o.port;
  e.stage = stage;
  e.rule = rule;
  e.identity_kind = id.kind_name();
  e.identity_name = id.name;
  if (reply) e.reply = reply_spec(*reply);
  e.detail = std::move(detail);
  e.message_id = std::move(message_id);
  if (envelope) {
    e.sender = envelope->sender;
    e.recipients = envelope->recipients;
  }
  if (checks)
    for (const auto& c : *checks) e.checks.push_back({c.name, policy::check_result_name(c.result), c.compared, c.fix});
  const std::uint64_t seq = d_.events.append(clip_echoes(std::move(e)));
  if (reply) d_.metrics.count_reply(reply->code, std::string(rule));
  if (reply && reply->code >= 400 && kind != RecordKind::Protocol) d_.metrics.decisions_refused_total++;
  d_.bus.publish({Outcome::Kind::Decision, o.session_id, {}, seq});
}

policy::Decision Service::check_mail(const Origin& o, const policy::Identity& id, const Mailbox& sender) {
  auto d = d_.engine.check_mail(id, o.profile);
  if (!d.accept) {
    EventEnvelope asked{sender.str(), {}};
    record(RecordKind::Decision, o, "mail", d.rule, d.identity, &d.reply, d.detail, {}, &asked, &d.checks);
  }
  return d;
}

std::optional<Reply> Service::authenticate(const Origin& o, const smtp::AuthAttempt& attempt) {
  auto d = d_.engine.authenticate(attempt, o.profile);
  // The username is logged; the password or digest never is.
  if (!d.accept) {
    // Without checks: its detail says it all (a near miss included), and a
    // storm of failed AUTHs must stay small.
    record(RecordKind::Decision, o, "auth", d.rule, d.identity, &d.reply, d.detail);
    return d.reply;
  }
  logger().debug("authenticated", {{"session", o.session_id}, {"user", attempt.user}, {"mechanism", attempt.mechanism}});
  return std::nullopt;
}

std::optional<policy::Firing> Service::scenario(const Origin& o, const policy::StageFacts& facts,
                                                const policy::Identity& id) {
  if (d_.scenarios.empty()) return std::nullopt;
  auto fired = d_.scenarios.fire(facts);
  if (!fired) return std::nullopt;
  std::string detail = "scenario " + fired->name + " (" + fired->detail + ")";
  if (fired->delay) detail += "; delay " + format_duration(*fired->delay);
  if (fired->disconnect) detail += "; disconnect";
  EventEnvelope env{std::string(facts.sender), {}};
  for (auto r : facts.recipients) env.recipients.emplace_back(r);
  record(RecordKind::Scenario, o, stage_name(facts.stage), "scenario:" + fired->name, id,
         fired->reply ? &*fired->reply : nullptr, std::move(detail), {}, env.sender.empty() && env.recipients.empty() ? nullptr : &env);
  return fired;
}

void Service::session_opened(const Origin& o) {
  d_.metrics.connections_total++;
  d_.metrics.sessions_open++;
  logger().debug("session open", {{"session", o.session_id}, {"client", o.client_ip}, {"port", std::to_string(o.port)}});
  d_.bus.publish({Outcome::Kind::SessionOpened, o.session_id, {}, 0});
}

void Service::session_closed(const Origin& o) {
  d_.metrics.sessions_open--;
  logger().debug("session closed", {{"session", o.session_id}, {"client", o.client_ip}});
  d_.bus.publish({Outcome::Kind::SessionClosed, o.session_id, {}, 0});
}

void Service::transcript(const std::string& session, char dir, std::string_view line) {
  d_.transcripts.add(session, d_.clock.now(), dir, std::string(line));
}

bool Service::remove_message(const std::string& id) {
  if (!d_.mail.remove(id)) return false;
  d_.metrics.messages_deleted_total++;
  d_.bus.publish({Outcome::Kind::MessageDeleted, {}, id, 0});
  return true;
}

std::size_t Service::clear_messages() {
  auto n = d_.mail.size();
  d_.mail.clear();
  d_.metrics.messages_deleted_total += n;
  d_.bus.publish({Outcome::Kind::MessagesCleared, {}, {}, 0});
  return n;
}

void Service::clear_events() {
  d_.events.clear();
  d_.transcripts.clear();
  d_.bus.publish({Outcome::Kind::EventsCleared, {}, {}, 0});
}

// Many at once are one outcome, so that marking 100,000 messages read is
// not 100,000 wake-ups for every live view.
void Service::publish_updated(const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  if (ids.size() > kMaxUpdatesOneByOne) {
    d_.bus.publish({Outcome::Kind::MessagesUpdated, {}, {}, 0});
    return;
  }
  for (const auto& id : ids) d_.bus.publish({Outcome::Kind::MessageUpdated, {}, id, 0});
}

std::vector<std::string> Service::mark_read(const std::vector<std::string>& ids, bool read) {
  auto changed = d_.mail.set_read(ids, read);
  publish_updated(changed);
  return changed;
}

std::vector<std::string> Service::mark_all_read(bool read) {
  auto changed = d_.mail.set_read_all(read);
  publish_updated(changed);
  return changed;
}

bool Service::set_tags(const std::string& id, const std::vector<std::string>& tags) {
  if (!d_.mail.set_tags(id, unique_tags(tags))) return false;
  d_.bus.publish({Outcome::Kind::MessageUpdated, {}, id, 0});
  return true;
}

std::vector<std::string> Service::rename_tag(const std::string& from, const std::string& to) {
  auto changed = d_.mail.rename_tag(from, to);
  if (!changed.empty()) d_.bus.publish({Outcome::Kind::MessagesUpdated, {}, {}, 0});
  return changed;
}

void Service::fault_changed() { d_.bus.publish({Outcome::Kind::FaultChanged, {}, {}, 0}); }
void Service::counters_reset() { d_.bus.publish({Outcome::Kind::CountersReset, {}, {}, 0}); }
void Service::scenarios_changed() { d_.bus.publish({Outcome::Kind::ScenariosChanged, {}, {}, 0}); }

void Service::config_reloaded() { d_.bus.publish({Outcome::Kind::ConfigReloaded, {}, {}, 0}); }
void Service::clock_moved() {
  d_.bus.publish({Outcome::Kind::ClockMoved, {}, {}, 0});
  if (d_.outcomes) d_.outcomes->wake();
  if (d_.webhooks) d_.webhooks->wake();
}

void Service::record_outcome(const ScheduledEvent& ev) {
  const auto& p = ev.planned;
  const auto& s = *ev.message;
  auto recipients = ev.recipients();
  const char* name = policy::delivery_event_name(p.event);
  std::string detail;
  auto part = [&detail](std::string_view k, std::string_view v) {
    if (v.empty()) return;
    if (!detail.empty()) detail += "; ";
    detail += k;
    detail += ' ';
    detail += v;
  };
  part("host", p.host);
  part("context", p.context);
  part("url", p.url);
  if (p.attempt) part("attempt", std::to_string(p.attempt));
  part("by", p.why);
  const std::string rcpts = recipients.size() == 1 ? recipients[0] : std::to_string(recipients.size());
  logger().log(LogLevel::Info, "delivery",
               {{"session", s.session_id}, {"id", s.message_id}, {"outcome", name}, {"rcpt", rcpts},
                {"reply", p.reply}, {"detail", detail}});
  store::Event e;
  e.time = p.due;
  e.session_id = s.session_id;
  e.client_ip = s.client_ip;
  e.port = s.port;
  e.stage = "delivery";
  e.rule = name;
  e.identity_kind = s.identity_kind;
  e.identity_name = s.identity_name;
  e.reply = p.reply;
  e.detail = std::move(detail);
  e.message_id = s.message_id;
  e.sender = s.sender;
  e.recipients = std::move(recipients);
  const std::uint64_t seq = d_.events.append(clip_echoes(std::move(e)));
  d_.metrics.count_outcome(name);
  // The provider suppresses an address that bounced hard, complained or unsubscribed.
  if (d_.suppressions && !p.recipient.empty() &&
      (p.event == policy::DeliveryEvent::HardBounce || p.event == policy::DeliveryEvent::Spam ||
       p.event == policy::DeliveryEvent::Unsubscribe)) {
    const char* type = p.event == policy::DeliveryEvent::HardBounce ? "bounce"
                       : p.event == policy::DeliveryEvent::Spam     ? "spam"
                                                                    : "unsubscribe";
    auto added =
        d_.suppressions->add({p.recipient, type, p.event == policy::DeliveryEvent::HardBounce ? p.reply : type, p.due});
    if (added == Suppressions::Added::Full)
      logger().warning("suppression list full", {{"rcpt", p.recipient}, {"limit", "100000"}});
  }
  d_.bus.publish({Outcome::Kind::Decision, s.session_id, s.message_id, seq});
  if (d_.webhooks) d_.webhooks->event(ev);
}

}  // namespace relaymock::relay
