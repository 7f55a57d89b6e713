// The transaction service: the one path every submission takes, whichever
// door it came in by (an SMTP session, an API v3 send or mime, and later the
// compatible APIs). It fires scenarios, authenticates, identifies, reserves
// and releases recipients, asks DNS through one cache, applies the content
// rule, captures, counts, and records every outcome once: the event, the log
// line, the metric and the bus. Nothing else decides, captures or records.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "policy/engine.hpp"
#include "policy/scenarios.hpp"
#include "relay/bus.hpp"
#include "relay/metrics.hpp"
#include "relay/outcome_rules.hpp"
#include "relay/outcome_scheduler.hpp"
#include "relay/suppressions.hpp"
#include "relay/webhook_sender.hpp"
#include "relay/resolver.hpp"
#include "store/event_log.hpp"
#include "store/mail_store.hpp"
#include "store/spool.hpp"
#include "util/clock.hpp"
#include "util/reply.hpp"

namespace relaymock::relay {

// Where a submission comes from: one SMTP session or one API request.
struct Origin {
  std::string session_id;  // "<boot>-<n>", or "api-<request id>"
  std::string client_ip;
  std::uint16_t port = 0;  // the listener's
  bool tls = false;
  // Whose face answers (config/profiles.hpp, a static entry); null: smtp2go.
  const config::Profile* profile = nullptr;
};

// What an outcome is, for its log line: the event is the same for all.
enum class RecordKind { Decision, Protocol, Scenario, Account };

// The envelope an event names, as far as its transaction had come.
struct EventEnvelope {
  std::string sender;
  std::vector<std::string> recipients;
};

struct Deps {
  policy::Engine& engine;
  policy::Scenarios& scenarios;
  store::MailStore& mail;
  store::EventLog& events;
  store::Transcripts& transcripts;
  Resolver& resolver;
  Metrics& metrics;
  Bus& bus;
  const Clock& clock;
  // Plays what happens after the 250 (null: nothing does).
  OutcomeScheduler* outcomes = nullptr;
  // Fed by hard bounces, complaints and unsubscribes; read by the plan (null: none).
  Suppressions* suppressions = nullptr;
  // Posts the events to the account's webhooks (null: nothing does).
  WebhookSender* webhooks = nullptr;
  // Outcome rules added through the control API, before the config's (null: none).
  OutcomeRules* outcome_rules = nullptr;
};

// The recipients one transaction holds against its identities' limits. It
// ends in commit() or release(), and the destructor releases whatever is
// still held, so no path (refusal, RSET, QUIT, disconnect, store failure,
// shutdown) can leak a reservation. Held per identity: a reload that changes
// which ip_auth entry matches mid-transaction releases each to its own.
class Reservation {
 public:
  explicit Reservation(const policy::Engine& engine) : engine_(engine) {}
  Reservation(const Reservation&) = delete;
  Reservation& operator=(const Reservation&) = delete;
  ~Reservation() { release(); }

  // The engine reserved one recipient for `id` (check_rcpt accepted).
  void add(const policy::Identity& id);
  // Gives back one recipient held for `id` (PRDR refused it after the data).
  void release_one(const policy::Identity& id);
  void commit();
  void release();
  std::uint64_t count() const;
  // The counters' history rows a durable commit writes.
  std::vector<store::UsageRow> usage(TimePoint at) const;

 private:
  const policy::Engine& engine_;
  std::vector<std::pair<policy::Identity, std::uint64_t>> held_;
};

class Service;

// One transaction: from MAIL to the end of its data (SMTP), or one /v3/ send.
class Transaction {
 public:
  Transaction(Service& svc, Origin origin);

  // The sender domain whose DNS answer the next check_rcpt needs (mode
  // system) and that no cache holds yet; nullopt: ready.
  std::optional<std::string> needs_lookup(const Mailbox& sender);
  // Asks DNS (off the event loop) for what needs_lookup named.
  boost::asio::awaitable<void> lookup(std::string domain);

  // RCPT: the account rules for one recipient; on acceptance it is reserved.
  // A refusal is recorded (with `recipient` in the detail when given).
  policy::Decision check_rcpt(const policy::Identity& id, const Mailbox& sender, std::string_view recipient = {});

  // The end of the data: the content rule, then capture. `m` carries the
  // envelope (and, for the API, a planned id); the service fills in the id,
  // time, origin, identity and sandbox flag. `head` is the header section
  // the rule reads. With a spool, the content is the spool's. The reply is
  // what the client gets: 250 with the id, the rule's refusal, or 451 when
  // it cannot be kept; reservations are committed or released accordingly.
  struct Result {
    Reply reply;
    bool accepted = false;
    std::string message_id;
    std::string rule;
    std::string detail;  // why, when it could not be kept
  };
  Result finish(std::shared_ptr<store::Message> m, std::string_view head, std::shared_ptr<const store::Spool> spool = {});
  // The same in two halves, for a caller that must not block its thread on
  // a durable commit: begin_finish answers at once (a refusal) or hands the
  // message to the store, which calls `stored` when it is kept (durable: on
  // the store's writer thread; memory: before begin_finish returns). The
  // caller then calls end_finish, on its own thread, for the reply.
  std::optional<Result> begin_finish(std::shared_ptr<store::Message> m, std::string_view head,
                                     std::shared_ptr<const store::Spool> spool,
                                     store::Durable::Done stored);
  Result end_finish(const store::Durable::Failure& failure);
  // The message could not be received whole (spooling failed): 451.
  Result store_failed(const std::string& why);

  // PRDR refused an accepted recipient after the data: its reservation goes
  // back and the events of the message no longer name it.
  void drop_recipient(std::string_view recipient);

  // Ends the transaction without a message (RSET, refusal, disconnect).
  void abandon() { reserved_.release(); }
  std::uint64_t reserved() const { return reserved_.count(); }
  const policy::Identity& identity() const { return identity_; }

 private:
  Service& svc_;
  Origin origin_;
  Reservation reserved_;
  policy::Identity identity_;  // of the last accepted recipient
  // Between begin_finish and end_finish: what the reply and the event need.
  struct Pending {
    std::string id;
    std::uint64_t rcpts = 0, size = 0;
    std::string rule, detail;
    std::vector<ScheduledEvent> outcomes;  // handed to the scheduler once the message is kept
  };
  std::optional<Pending> pending_;
  // The outcomes the message will have (outcomes: rules, magic addresses).
  std::vector<ScheduledEvent> plan(const store::Message& m, std::string_view head, std::uint64_t size) const;
  // The sender domain's DNS answer (mode system), kept for the transaction.
  std::optional<std::pair<std::string, policy::SenderRoute>> route_;
  // The sender and the recipients accepted so far, for the events.
  EventEnvelope envelope_;
  // The checks of the last accepted recipient; the data's event adds the
  // content check to them.
  std::vector<policy::Check> rcpt_checks_;
  // Both, for an event at the end of the data.
  std::vector<policy::Check> with_rcpt_checks(const std::vector<policy::Check>& content) const;
};

class Service {
 public:
  explicit Service(Deps deps) : d_(deps) {}

  // An SMTP user, else the most specific ip_auth entry, else none.
  policy::Identity identify(const std::optional<std::string>& auth_user, std::string_view client_ip,
                            const config::Profile* profile = nullptr) const {
    return d_.engine.identify(auth_user, client_ip, profile);
  }
  std::optional<policy::Identity> identify_api_key(std::string_view key) const {
    return d_.engine.identify_api_key(key);
  }

  // AUTH: nullopt to accept, else the reply (recorded).
  std::optional<Reply> authenticate(const Origin& o, const smtp::AuthAttempt& attempt);
  // MAIL: a refusal the origin's profile sends before any recipient (recorded).
  policy::Decision check_mail(const Origin& o, const policy::Identity& id, const Mailbox& sender);

  // The first scenario that fires for these facts, recorded as its event
  // under `id`.
  std::optional<policy::Firing> scenario(const Origin& o, const policy::StageFacts& facts, const policy::Identity& id);

  // One outcome: the event, the log line, the reply metric and the bus.
  void record(RecordKind kind, const Origin& o, std::string_view stage, std::string_view rule,
              const policy::Identity& id, const Reply* reply, std::string detail, std::string message_id = {},
              const EventEnvelope* envelope = nullptr, const std::vector<policy::Check>* checks = nullptr);

  // One planned outcome of an accepted message, as its due time came
  // (the scheduler's thread): the event (stage "delivery"), the log line, the bus,
  // the webhooks.
  void record_outcome(const ScheduledEvent& e);

  void session_opened(const Origin& o);
  void session_closed(const Origin& o);
  void transcript(const std::string& session, char dir, std::string_view line);

  // The API's changes to what is kept, published like any outcome.
  bool remove_message(const std::string& id);
  std::size_t clear_messages();
  void clear_events();
  void config_reloaded();
  void clock_moved();
  void fault_changed();
  void scenarios_changed();
  void counters_reset();

  // A message's state (read, tags), as the UI and the compatible APIs
  // change it; each change is published. Return what changed.
  std::vector<std::string> mark_read(const std::vector<std::string>& ids, bool read);
  std::vector<std::string> mark_all_read(bool read);
  bool set_tags(const std::string& id, const std::vector<std::string>& tags);
  // Renames a tag everywhere; an empty `to` removes it.
  std::vector<std::string> rename_tag(const std::string& from, const std::string& to);

  policy::Engine& engine() { return d_.engine; }
  store::MailStore& mail() { return d_.mail; }
  Metrics& metrics() { return d_.metrics; }
  Resolver& resolver() { return d_.resolver; }
  Bus& bus() { return d_.bus; }
  const Clock& clock() const { return d_.clock; }
  bool has_scenarios() const { return !d_.scenarios.empty(); }

 private:
  friend class Transaction;
  static constexpr std::size_t kMaxUpdatesOneByOne = 100;
  void publish_updated(const std::vector<std::string>& ids);
  Deps d_;
};

// The reply on one line for text logs: "550 a / 550 b".
std::string reply_log_text(const Reply& r);

}  // namespace relaymock::relay
