// The effective configuration: every key of the YAML file, with its default.
// A file replaces the embedded default as a whole: a scalar it leaves out
// takes the default below, a list it leaves out is empty.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/success_replies.hpp"
#include "util/log.hpp"
#include "util/reply.hpp"
#include "util/stage.hpp"
#include "util/cidr.hpp"
#include "util/dates.hpp"
#include "util/duration.hpp"
#include "util/pattern.hpp"

namespace relaymock::config {

enum class TlsMode { None, StartTls, Implicit };
const char* tls_mode_name(TlsMode m);

// A listener's deliberate failure, to reproduce what clients see when the
// network or the provider misbehaves. Changeable at runtime over the API.
struct Fault {
  enum class Kind { None, Refuse, Reset, Blackhole, CloseAfterGreeting, TlsHandshakeFail, SlowGreeting, Throttle };
  Kind kind = Kind::None;
  Millis delay{0};                  // slow_greeting
  std::uint64_t bytes_per_second = 0;  // throttle
  // throttle: each connection gets a rate drawn from bytes_per_second..up_to
  // (0: exactly bytes_per_second), and only with this chance (MailHog's Jim
  // affects a link's speed so); the others run at full speed.
  std::uint64_t up_to = 0;
  double chance = 1.0;
  bool operator==(const Fault&) const = default;
};
const char* fault_kind_name(Fault::Kind k);
std::string fault_text(const Fault& f);  // "none", "refuse", "slow_greeting: 5s", "throttle: 100"

struct Listener {
  std::string address = "0.0.0.0";
  std::uint16_t port = 0;
  TlsMode tls = TlsMode::StartTls;
  Fault fault;
  std::string profile;  // another provider's face (config/profiles.hpp); empty: server.profile
  int line = 0;  // where it was written, for startup errors
};

struct Timeouts {
  Millis command{300'000};
  Millis data{600'000};
  Millis tls_handshake{30'000};
};

struct Server {
  std::string hostname;  // empty in the file: the machine's name
  std::vector<Listener> listeners;
  std::uint64_t max_message_size = 52428800;
  std::uint32_t max_recipients = 1000;
  std::uint32_t max_connections = 1000;
  std::uint32_t max_connections_per_ip = 200;
  // I/O threads; 0: half the cores (at least one), leaving the rest to the
  // clients that load it, which usually share the machine (tests, staging apps).
  std::uint32_t threads = 0;
  Timeouts timeouts;
  bool enhanced_status_codes = false;
  bool provider_banner = false;  // server.banner: provider (the profile's greeting) | relaymock
  std::string profile = "smtp2go";  // whose face the SMTP listeners show (config/profiles.hpp)
  std::string region = "us-east-1";  // {region} in the ses profile's replies
};

struct Tls {
  std::string certificate;  // both empty: self-signed at startup
  std::string private_key;
  std::string directory;    // may hold server.crt + server.key; used when both exist
};

enum class Status { Allowed, Blocked, Sandbox };
const char* status_name(Status s);

struct RateLimit {
  std::uint64_t count = 0;
  Millis per{0};
};

struct SmtpUser {
  std::string username;
  std::string password;
  std::string description;  // the provider's; shown by users/smtp/view
  Status status = Status::Allowed;
  std::optional<RateLimit> rate_limit;
};

// The provider's HTTP API v3 keys: "api-" + 32 of [A-Za-z0-9].
struct ApiKey {
  std::string key;
  std::string name;  // shown as the identity in messages and events
  Status status = Status::Allowed;
  std::optional<RateLimit> rate_limit;
  // The provider's permissions: the endpoints the key may call ("/email/send",
  // "/users/smtp/add", ...); empty: all of them.
  std::vector<std::string> endpoints;
};

struct IpAuth {
  std::string text;  // as written
  std::string description;  // the provider's; shown by ip_auth/view
  Cidr cidr;
  Status status = Status::Allowed;
  std::optional<RateLimit> rate_limit;
};

enum class RestrictMode { Disabled, Allowlist, Blocklist };
const char* restrict_mode_name(RestrictMode m);

struct Account {
  bool closed = false;
  std::vector<std::string> verified_domains;  // lower-cased
  // Added (domain/add) but not verified yet (domain/verify): the From rule
  // treats them as any other unverified domain.
  std::vector<std::string> unverified_domains;  // lower-cased
  std::vector<std::string> verified_senders;  // local@domain, domain lower-cased
  bool allow_blank_sender = false;
  RestrictMode restrict_mode = RestrictMode::Disabled;
  std::vector<std::string> restrict_entries;  // addresses (domain lower-cased) or domains (lower-cased)
  std::optional<std::uint64_t> monthly_quota;
  int cycle_day = 1;
  // Recipients the account had already sent in one cycle before relaymock
  // (relaymock import copies the provider's cycle_used): counted in the
  // cycle that starts on `quota_used_cycle` (a cycle_day), in no other.
  std::uint64_t quota_used = 0;
  std::optional<CivilDate> quota_used_cycle;
};

enum class VerifyMode { Static, System, Off };
const char* verify_mode_name(VerifyMode m);

// A DNS server for mode system, instead of those in /etc/resolv.conf.
struct Nameserver {
  std::string address;  // IPv4 address
  std::uint16_t port = 53;
};

struct SenderVerification {
  VerifyMode mode = VerifyMode::Static;
  std::vector<std::string> unroutable_domains;  // lower-cased
  std::vector<std::string> unknown_addresses;   // domain lower-cased
  std::vector<Nameserver> nameservers;          // empty: the system's resolv.conf
  Millis dns_timeout{5'000};                    // per query, whole seconds
  Millis cache_ttl{300'000};                    // answers are reused this long
  std::uint64_t max_lookups_in_flight = 256;    // distinct domains asked at once; more: 451 at once
};

// The control and inspection HTTP API.
struct Http {
  std::string listen = "127.0.0.1:8080";  // host:port ("[::1]:8080"); "off" disables it
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  bool enabled = true;
  std::string admin_token;  // non-empty: /api/* needs "Authorization: Bearer <token>"
  // Open HTTP connections, in total and from one client address (never more
  // than a quarter of the descriptor limit: the rest stays for SMTP).
  std::uint32_t max_connections = 512;
  std::uint32_t max_connections_per_ip = 256;
  // Request bodies being read at once, in bytes (a /v3/ body may be 72 MiB).
  std::uint64_t max_body_bytes_in_flight = 268435456;
};

// An HTTP listener's address: "host:port" ("[::1]:8025"), or "off".
struct ListenAddress {
  std::string text = "off";
  std::string host;
  std::uint16_t port = 0;
  bool enabled = false;
};

// Where a compatible API's release relays a message (Mailpit's
// --smtp-relay-config): an SMTP server, through libcurl.
struct Relay {
  std::string host;  // empty: release is off
  std::uint16_t port = 25;
  bool starttls = false;  // require STARTTLS
  bool tls = false;       // implicit TLS (smtps)
  bool allow_insecure = false;  // do not verify the server's certificate
  std::string username, password;
  std::optional<Pattern> allowed_recipients;  // RE2; absent: any
  std::optional<Pattern> blocked_recipients;  // RE2; absent: none
  std::string override_from;   // the envelope sender released mail goes out as
  std::string return_path;     // sets Return-Path on released mail
};

// Mailpit's API v1 on a listener of its own.
struct MailpitCompat {
  ListenAddress listen;
  std::string ui_auth_file;  // htpasswd (bcrypt), as --ui-auth-file
  std::vector<std::pair<std::string, std::string>> ui_auth;  // user, password (MP_UI_AUTH)
  std::string send_as;       // POST /api/v1/send submits as this SMTP user; empty: the client's ip_auth entry
  bool chaos = false;        // --enable-chaos: /api/v1/chaos answers
  std::string spamassassin;  // host:port of spamd; empty: /sa-check answers as Mailpit without it
  Relay relay;
  std::string label;         // --label, shown by /api/v1/webui
  // --allow-internal-http-requests: /link-check may ask loopback and
  // private addresses (off: they are refused, as in Mailpit).
  bool allow_internal_http_requests = false;
};

// MailHog's API on a listener of its own.
struct MailhogCompat {
  ListenAddress listen;
  std::string auth_file;  // -auth-file: user:bcrypt lines
  std::string hostname = "mailhog.example";  // -hostname: the part after @ in MailHog's ids
  bool jim = false;       // -invite-jim: Jim starts enabled
};

struct Compat {
  MailpitCompat mailpit;
  MailhogCompat mailhog;
};

// A scripted outcome: at a stage, for what it matches, reply, delay or
// disconnect instead of (before) the normal answer. Runs before the rules.

struct ScenarioMatch {
  std::optional<Cidr> ip;
  std::string ip_text;
  std::optional<std::uint16_t> port;
  std::string user;       // SMTP username, exactly
  std::string api_key;    // API key name, exactly
  std::string sender;     // glob (* and ?), without case
  std::string recipient;  // glob; at data and end_of_data: any recipient
  std::vector<std::pair<std::string, Pattern>> headers;  // name, RE2 pattern (end_of_data)
};

struct Scenario {
  std::string name;
  Stage stage = Stage::Mail;
  ScenarioMatch match;
  std::optional<std::uint64_t> times;  // fire on the first n matches, then retire
  std::optional<std::uint64_t> every;  // fire on every n-th match
  std::optional<double> probability;   // fire with this chance, drawn from `seed`
  std::uint64_t seed = 0;
  std::optional<Reply> reply;
  std::optional<Millis> delay;
  bool disconnect = false;
};

// What happens to an accepted recipient after the 250 (`outcomes:`): the
// first rule that matches decides, then the magic local parts, else
// delivered. Played on the controllable clock (relay/outcome_scheduler).
enum class OutcomeKind { Delivered, HardBounce, SoftBounce, Spam, Open, Click, Unsubscribe };

const char* outcome_kind_name(OutcomeKind k);  // as the config writes it: "hard_bounce"

struct OutcomeRule {
  std::string name;
  ScenarioMatch match;  // as a scenario's at end_of_data, for one recipient
  OutcomeKind outcome = OutcomeKind::Delivered;
  std::optional<Reply> reply;  // the remote server's; a default per outcome
  std::string host;            // the remote server; default mx.<recipient's domain> [192.0.2.10]
  // Before the outcome (delivered, hard_bounce, the first deferral), or for
  // spam, open, click and unsubscribe before that event (after delivery).
  std::optional<Millis> after;
  std::uint32_t retries = 3;                   // soft_bounce: deferrals before the last attempt
  Millis retry_every{900'000};                 // soft_bounce: between attempts
  OutcomeKind then = OutcomeKind::Delivered;   // soft_bounce: the last attempt (delivered or hard_bounce)
};

struct Outcomes {
  bool magic_addresses = true;  // bounce@, softbounce@, complaint@, ... in any domain
  std::vector<OutcomeRule> rules;
};

// One webhook (`webhooks.hooks`, or the API's /webhook/add): where the
// provider would POST the events of the account's mail.
struct Webhook {
  std::uint64_t id = 0;                // /webhook/edit and /remove name it
  std::string url;                     // http:// or https://
  std::vector<std::string> events;     // processed, delivered, bounce, spam, unsubscribe, reject, click, open
  std::vector<std::string> usernames;  // SMTP users, API keys' names, ip_auth addresses; empty: all
  std::vector<std::string> headers;    // the message's headers copied into each payload
  bool json = false;                   // output_format json; else form
  std::string auth_header_type;        // "", "bearer" or "basic"
  std::string auth_header_value;
};

struct Webhooks {
  std::string ca_file;           // HTTPS receivers' CA (PEM); empty: the system's
  bool library_names = false;    // event names opened, clicked, unsubscribed, spam_complaint
  Millis timeout{10'000};        // the provider's
  std::vector<Webhook> hooks;
};

// Captured mail, events, counters' history and the clock offset.
struct Storage {
  std::string path;  // empty: in memory; a directory: durable (SQLite)
  std::uint64_t max_messages = 10000;
  std::uint64_t max_bytes = 1073741824;
  std::uint64_t max_events = 100000;
  std::uint64_t max_event_bytes = 67108864;       // 64 MiB
  std::uint64_t max_transcript_bytes = 33554432;  // 32 MiB
};

struct Log {
  LogLevel level = LogLevel::Info;
  LogFormat format = LogFormat::Text;
};

struct Config {
  Server server;
  Tls tls;
  Account account;
  std::vector<SmtpUser> smtp_users;
  std::vector<IpAuth> ip_auth;
  std::vector<ApiKey> api_keys;
  SenderVerification sender_verification;
  std::map<std::string, Reply> replies;  // overrides by rule id (and success reply id)
  SuccessReplies success;          // the success replies, overrides applied
  Http http;
  Storage storage;
  Log log;
  std::vector<Scenario> scenarios;
  Outcomes outcomes;
  Webhooks webhooks;
  Compat compat;
  std::string source;  // file name, or "<default>"
  std::string source_text;  // the YAML it was read from (written back out with the account API's changes)
};

// The provider's unprivileged ports, used when a file has no listeners key.
std::vector<Listener> default_listeners();

}  // namespace relaymock::config
