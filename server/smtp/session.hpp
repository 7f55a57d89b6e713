// The SMTP protocol as a pure state machine: bytes in, reply bytes and
// decisions out, no sockets. The net layer feeds what it reads, writes what
// output() holds, and acts on wants_tls() / closing().
//
// Shape after OpenSMTPD's smtp_session.c: a session (greeting, EHLO, AUTH,
// TLS) holds at most one transaction (MAIL, RCPTs, content); each command is
// checked against the state before it proceeds.
#pragma once
#include <chrono>
#include <cstdint>
#include <utility>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/command.hpp"
#include "smtp/dot_decoder.hpp"
#include "smtp/reply.hpp"
#include "util/success_replies.hpp"
#include "util/stage.hpp"

namespace relaymock::smtp {

// Protocol limits, named in one place (as Postfix does).
struct Limits {
  std::uint64_t max_message_size = 52428800;
  std::size_t max_recipients = 1000;
  std::size_t max_command_line = 512;     // octets including CRLF (RFC 5321 4.5.3.1.4)
  std::size_t max_auth_line = 12288;      // SASL responses (RFC 4954 4)
  int max_unknown_commands = 3;           // Exim's smtp_max_unknown_commands
  int max_synprot_errors = 3;             // Exim's smtp_max_synprot_errors
  int auth_failures_before_delay = 2;     // then each failed AUTH is answered later...
  int max_auth_failures = 5;              // ...and the next one closes the session
};

struct Settings {
  std::string hostname = "relaymock.local";
  std::string version = "0";
  Limits limits;
  bool starttls_offered = false;  // a STARTTLS listener
  bool enhanced_codes = false;
  // The greeting names the provider's mail server (Exim 4.97.1-S2G), byte for
  // byte, instead of relaymock and its version.
  bool provider_banner = false;
  SuccessReplies replies;
  // Another provider's face (config/profiles.hpp): its greeting (empty:
  // relaymock's or, with provider_banner, Exim's, with the date), the EHLO
  // reply's first line ({host} {helo} {ip}) and keywords in order. SIZE gets
  // the size; STARTTLS and ENHANCEDSTATUSCODES appear where they apply. A
  // command or parameter whose keyword is not listed (PIPECONNECT, PRDR,
  // CHUNKING, an AUTH mechanism) is answered as by a server without it.
  std::string greeting;
  std::string ehlo_first = "{host} Hello {helo} [{ip}]";
  std::vector<std::string> ehlo = {"SIZE", "8BITMIME", "DSN", "PIPELINING", "PIPECONNECT",
                                   "AUTH CRAM-MD5 PLAIN LOGIN", "CHUNKING", "ENHANCEDSTATUSCODES",
                                   "STARTTLS", "PRDR", "SMTPUTF8", "HELP"};
  Reply size_exceeded{552, "5.3.4", "Message size exceeds maximum permitted"};
  Reply too_many_recipients{452, "4.5.3", "too many recipients"};

  bool offers(std::string_view keyword) const;
  bool offers_auth(std::string_view mechanism) const;  // upper case
};

struct ClientInfo {
  std::string ip;
  std::uint16_t local_port = 0;
  bool tls = false;  // implicit TLS: already encrypted when the session starts
};

struct Recipient {
  Mailbox mailbox;
  RcptParams params;
};

// One mail transaction (MAIL to end of data).
struct Envelope {
  Mailbox from;
  MailParams params;
  std::vector<Recipient> rcpts;  // accepted recipients only
  bool bdat = false;             // content arrives by BDAT rather than DATA
  // The id the message will carry, when the session needs it before the
  // delivery (PRDR names it in its final reply); empty: the store picks one.
  std::string planned_id;
};

// What the handler sees of the session when it decides.
struct SessionView {
  const ClientInfo& client;
  const std::string& helo;
  const std::optional<std::string>& auth_user;
  bool tls;
};


struct AuthAttempt {
  std::string mechanism;   // PLAIN | LOGIN | CRAM-MD5
  std::string user;
  std::string password;    // PLAIN and LOGIN
  std::string challenge;   // CRAM-MD5
  std::string digest;      // CRAM-MD5, lower-case hex
};


struct ScriptFacts {
  Stage point = Stage::Connect;
  const Envelope* env = nullptr;    // mail and later (mail: the one being opened)
  const Recipient* rcpt = nullptr;  // rcpt: the one asked
  std::string_view content;         // end_of_data: what is held here (see Handler::spool)
  std::string_view user;            // auth: the username tried
  // end_of_data under PRDR: asked once per recipient (`rcpt` set), then for
  // the whole message (`rcpt` null, `env` holding the recipients kept).
  bool prdr = false;
};

// What the script does: wait, then answer instead of the command and/or close.
struct Scripted {
  std::chrono::milliseconds delay{0};
  std::optional<Reply> reply;
  bool disconnect = false;
};

// Decisions the protocol asks of the layer above (policy, store, logs).
class Handler {
 public:
  virtual ~Handler() = default;
  // nullopt: authenticated. A reply: refused with it (535 by default; the
  // text may be configured).
  virtual std::optional<Reply> authenticate(const SessionView&, const AuthAttempt&) = 0;
  // Asked first at each point: nullopt lets the command take its course.
  virtual std::optional<Scripted> script(const SessionView&, const ScriptFacts&) { return std::nullopt; }
  // nullopt: accept. A reply: reject with it.
  virtual std::optional<Reply> check_mail(const SessionView&, const Envelope&) { return std::nullopt; }
  // False: the answer needs a lookup (DNS). The session pauses before this
  // RCPT; the caller waits for the lookup and calls Session::resume().
  virtual bool rcpt_ready(const SessionView&, const Envelope&) { return true; }
  virtual std::optional<Reply> check_rcpt(const SessionView&, const Envelope&, const Recipient&) = 0;
  // The content is complete and within limits; returns the final reply
  // ("250 OK id=..." or a rejection), or nullopt when it comes later (a
  // durable commit): the session pauses, the caller waits for it and calls
  // Session::resume(), which asks delivered() for the reply.
  virtual std::optional<Reply> deliver(const SessionView&, const Envelope&, std::string& content) = 0;
  // A new message id (PRDR's final reply names it before the delivery).
  virtual std::string new_message_id();
  // PRDR refused one recipient of the message (with `r`): it will not be
  // delivered to, and what was reserved for it is released.
  virtual void refuse_recipient(const SessionView&, const Envelope&, const Recipient&, const Reply& /*r*/) {}
  virtual Reply delivered(const SessionView&) { return Reply{451, "4.3.0", "Temporary local problem - please try later"}; }
  // Content is arriving and `chunk` (the content since the last call) has
  // reached Session::kSpoolChunk bytes: the handler may keep it elsewhere and
  // return true, and deliver() then gets only the rest. False: keep it here.
  virtual bool spool(const std::string& /*chunk*/) { return false; }
  // The transaction ended without delivery (RSET, QUIT, STARTTLS, size, close):
  // anything reserved for it is released.
  virtual void abandon(const SessionView&, const Envelope&) {}
  // A reply the protocol made by itself (errors, limits), for events and logs.
  virtual void protocol_reply(const SessionView&, Stage, std::string_view /*rule*/, const Reply&) {}
  // The transcript: each line received ('C') or sent ('S'), without CRLF.
  // AUTH payloads arrive masked, message content as its size.
  virtual void transcript(char /*dir*/, std::string_view /*line*/) {}
};

// The open transaction, from an accepted MAIL to the end of its data (or
// RSET, QUIT, a refusal, a disconnect): what it holds goes with it. At
// namespace scope: clang cannot take std::optional of a nested class whose
// members have initializers.
struct Transaction {
  Envelope env;
  std::string content;
  DotDecoder dot;
  std::uint64_t bdat_total = 0;
  bool bdat_started = false;  // a non-LAST BDAT was accepted
  bool bdat_broken = false;   // a non-BDAT command came after it: only RSET now
  // For Exim's "All RCPT commands were rejected" answer to DATA.
  std::optional<std::string> rcpt_rejection;  // text of the last refused RCPT
  bool rcpt_rejections_same = true;
  std::uint64_t rcpt_rejections = 0;
  // PRDR ran: the final 250 says whether every recipient was kept.
  enum class Prdr { Off, AllKept, SomeKept } prdr = Prdr::Off;
};

class Session {
 public:
  static constexpr std::size_t kSpoolChunk = 1 << 20;

  Session(const Settings& settings, Handler& handler, ClientInfo client);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // The 220 greeting; `date` in RFC 5322 form.
  void greet(std::string_view date);
  // Feeds received bytes; replies accumulate in output().
  void feed(std::string_view bytes);

  std::string& output() { return out_; }
  // Waiting for the handler (see Handler::rcpt_ready): feed nothing, flush
  // output(), wait, then resume() to answer the RCPT and go on with input
  // already buffered.
  bool paused() const { return paused_.has_value() || delivering_; }
  // Paused for a delivery's reply (not a lookup): resume() must follow
  // whatever else happens, so that the transaction ends as it was decided.
  bool delivering() const { return delivering_; }
  // How long to hold output() back before writing it (failed AUTH slowdown);
  // reading it resets it.
  std::chrono::milliseconds take_delay() { return std::exchange(delay_, std::chrono::milliseconds(0)); }
  void resume();
  bool closing() const { return closing_; }
  bool wants_tls() const { return wants_tls_; }
  // Call once the TLS handshake after "220 TLS go ahead" succeeded: the session
  // starts over (RFC 3207 4.2) and any plaintext pipelined after STARTTLS is gone.
  void tls_started();

  bool in_content() const { return mode_ == Mode::Data || mode_ == Mode::BdatChunk; }
  // From DATA's go-ahead or the first BDAT chunk to the message's end: a
  // BDAT sequence stays in it between chunks, so timeouts.data bounds the
  // whole of it (each BDAT is a command, and would restart that deadline).
  bool in_message() const { return in_content() || (tx_ && tx_->bdat_started); }
  std::uint64_t commands_seen() const { return commands_; }
  // Replies with a 4xx or 5xx code sent so far, whoever decided them.
  std::uint64_t errors_sent() const { return errors_; }
  std::size_t buffered() const { return inbuf_.size(); }

  // Deadline passed: 421 and close.
  void timeout();
  // Server shutting down: 421 and close.
  void shutdown();
  // The connection ended (reset, close): release the transaction.
  void disconnected();

  const std::optional<std::string>& auth_user() const { return auth_user_; }
  bool tls() const { return tls_; }

 private:
  enum class Mode { Command, AuthResponse, Data, BdatChunk };
  enum class AuthStep { None, PlainResponse, LoginUser, LoginPassword, CramResponse };

  // What a reply the protocol made itself does besides being sent.
  enum class Effect {
    None,
    Counted,  // a syntax or protocol error: Exim's synprot count, the 4th closes
    Unknown,  // an unrecognized command: counted as one, the 4th closes
    Closes,   // ends the session
  };
  // Why the protocol gave a reply: the stage and rule reported with it.
  struct Cause {
    Stage stage;
    std::string_view rule;
    Effect effect = Effect::None;
  };
  struct VerbRow;
  struct Command {
    const VerbRow& row;
    std::string_view arg;   // after the verb
    std::string_view line;  // the whole line, without CRLF
  };
  static const VerbRow& row(Verb v);

  std::size_t process(std::string_view in);
  // `pending`: more input already followed this line (a pipelining check).
  void handle_line(std::string_view line, bool pending);
  void handle_command(std::string_view line, bool pending);
  bool must_be_last(const VerbRow& r) const;
  void handle_auth_response(std::string_view line);

  void cmd_helo(const Command& c);
  void cmd_mail(const Command& c);
  void cmd_rcpt(const Command& c);
  void cmd_data(const Command& c);
  void cmd_bdat(const Command& c);
  void cmd_rset(const Command& c);
  void cmd_noop(const Command& c);
  void cmd_quit(const Command& c);
  void cmd_vrfy(const Command& c);
  void cmd_expn(const Command& c);
  void cmd_help(const Command& c);
  void cmd_starttls(const Command& c);
  void unsupported_mechanism(std::string_view mech);
  void cmd_auth(const Command& c);
  void cmd_unknown(const Command& c);
  void rcpt(std::string_view arg, bool scripted_already);

  void finish_data();
  void finish_bdat_chunk();
  void start_delivery(bool bdat);
  // Exim's PRDR after the data; false when the transaction ended in it.
  bool prdr_recipients();
  void end_delivery(Reply r, bool bdat);
  void auth_check(AuthAttempt attempt);

  bool no_valid_rcpt(const char* verb);

  // Every reply leaves through emit(): it applies the cause's effect (counts,
  // closes), writes the wire form, and reports every refusal the protocol
  // made itself to the handler. Replies the handler decided (policy,
  // scenarios) were recorded where they were decided.
  void emit(Reply r, const Cause* cause, bool enhanced = true);
  void say(Reply r) { emit(std::move(r), nullptr); }                  // positive, or the handler's
  // A success reply from settings_.replies, its {addr} and {host} filled.
  void say_success(const Reply& r, std::string_view addr = {}, std::optional<Cause> c = std::nullopt);
  void say(Reply r, Cause c) { emit(std::move(r), &c); }              // the protocol's own
  void say(int code, std::string_view enhanced, std::string_view text) {
    say(Reply{code, std::string(enhanced), std::string(text)});
  }
  // A syntax or protocol error: counted (see Effect::Counted).
  void protocol_error(Stage stage, std::string_view rule, int code, std::string_view enhanced,
                      std::string_view text) {
    say(Reply{code, std::string(enhanced), std::string(text)}, Cause{stage, rule, Effect::Counted});
  }

  // True when a script answered or closed instead of the command.
  bool scripted(const ScriptFacts& facts);
  void offer_spool();
  void reserve_declared();
  void note_client(std::string_view line);
  void note_sent(std::size_t from);  // transcript of out_ from this offset
  void end_with(Reply r, std::string_view rule);
  void reset_transaction(bool abandoned);
  void reset_session();
  SessionView view() const;

  const Settings& settings_;
  Handler& handler_;
  ClientInfo client_;

  std::string inbuf_;
  std::string out_;
  std::optional<std::string> paused_;  // the RCPT argument to answer on resume()
  bool delivering_ = false;            // waiting for Handler::delivered()
  bool delivering_bdat_ = false;       // ... of a BDAT LAST (its reply names the chunk)
  std::chrono::milliseconds delay_{0};
  int auth_failures_ = 0;
  Mode mode_ = Mode::Command;
  bool closing_ = false;
  Stage stage_ = Stage::Connect;  // where the last command put the client
  bool wants_tls_ = false;
  bool tls_ = false;
  std::uint64_t commands_ = 0;
  std::uint64_t errors_ = 0;

  // Session state.
  std::string helo_;
  bool ehlo_ = false;
  bool greeted_ = false;  // HELO or EHLO accepted
  std::optional<std::string> auth_user_;
  AuthStep auth_step_ = AuthStep::None;
  std::string auth_mech_;
  std::string auth_login_user_;
  std::string auth_challenge_;
  int unknown_commands_ = 0;
  int synprot_errors_ = 0;
  Verb last_verb_ = Verb::Unknown;  // the command before this one (Unknown: none counted)
  bool follows_rcpt_ = false;       // this command came right after a RCPT

  std::optional<Transaction> tx_;
  // The BDAT chunk being read: also one that is read only to be dropped,
  // outside any transaction.
  std::uint64_t bdat_remaining_ = 0;
  std::uint64_t bdat_chunk_size_ = 0;
  bool bdat_last_ = false;
  bool bdat_discard_ = false;   // chunk of a refused BDAT: read and dropped
};

}  // namespace relaymock::smtp
