#include "smtp/session.hpp"

#include <atomic>
#include <cstring>

#include "smtp/message_id.hpp"
#include "smtp/sasl.hpp"
#include "util/base64.hpp"
#include "util/strings.hpp"

#include "util/random.hpp"

namespace relaymock::smtp {

namespace {

// HELO/EHLO argument: letters, digits, '.', '-' or an address literal (Exim's check_helo).
bool valid_helo(std::string_view arg) {
  auto sp = arg.find_first_of(" \t");
  auto name = arg.substr(0, sp);
  if (name.empty()) return false;
  if (name.front() == '[') return name.size() > 2 && name.back() == ']' && valid_domain(name);
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '-'))
      return false;
  }
  return true;
}

// "GET /path HTTP/1.1" and the like.
bool looks_like_http(std::string_view line) {
  for (auto m : {"GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "CONNECT ", "PATCH ", "TRACE "}) {
    std::string_view method(m);
    if (line.substr(0, method.size()) == method) {
      auto sp = line.rfind(' ');
      auto version = line.substr(sp + 1);
      return sp > method.size() && version.substr(0, 5) == "HTTP/";
    }
  }
  return false;
}

}  // namespace

Session::Session(const Settings& settings, Handler& handler, ClientInfo client)
    : settings_(settings), handler_(handler), client_(std::move(client)) {
  tls_ = client_.tls;
}

Session::~Session() = default;

bool Settings::offers(std::string_view keyword) const {
  for (const auto& k : ehlo)
    if (std::string_view(k).substr(0, k.find(' ')) == keyword) return true;
  return false;
}

bool Settings::offers_auth(std::string_view mechanism) const {
  for (const auto& k : ehlo)
    if (k.rfind("AUTH ", 0) == 0 && contains_word(std::string_view(k).substr(5), mechanism)) return true;
  return false;
}

std::string Handler::new_message_id() { return make_message_id(std::chrono::system_clock::now()); }

SessionView Session::view() const { return SessionView{client_, helo_, auth_user_, tls_}; }

bool Session::scripted(const ScriptFacts& facts) {
  auto s = handler_.script(view(), facts);
  if (!s) return false;
  delay_ += s->delay;
  if (s->reply) say(*s->reply);
  if (s->disconnect) closing_ = true;
  return s->reply.has_value() || s->disconnect;
}

void Session::greet(std::string_view date) {
  auto mark = out_.size();
  if (scripted({Stage::Connect})) {
    // A refusal in place of the greeting ends the session (RFC 5321 3.1).
    if (!out_.empty() && out_[mark] != '2') closing_ = true;
    note_sent(mark);
    return;
  }
  std::string text;
  if (!settings_.greeting.empty()) {
    text = fill_placeholders(settings_.greeting, {{"host", settings_.hostname}, {"version", settings_.version}});
  } else {
    text = settings_.hostname + (settings_.provider_banner ? " ESMTP Exim 4.97.1-S2G"
                                                           : " ESMTP relaymock " + settings_.version);
    if (!date.empty()) text += " " + std::string(date);
  }
  // RFC 2034: the greeting carries no enhanced code.
  emit(Reply{220, "", text}, nullptr, false);
  note_sent(mark);
}

void Session::note_sent(std::size_t from) {
  while (from < out_.size()) {
    auto end = out_.find("\r\n", from);
    if (end == std::string::npos) end = out_.size();
    handler_.transcript('S', std::string_view(out_).substr(from, end - from));
    from = end + 2;
  }
}

void Session::note_client(std::string_view line) {
  constexpr std::size_t kMaxNoted = 1000;
  if (mode_ == Mode::AuthResponse) {
    handler_.transcript('C', line == "*" ? line : "***");  // credentials never leave the session
    return;
  }
  auto cmd = split_command(line);
  if (cmd.verb == Verb::Auth) {
    auto sp = cmd.arg.find(' ');
    if (sp != std::string_view::npos) {
      auto keep = static_cast<std::size_t>(cmd.arg.data() - line.data()) + sp;
      handler_.transcript('C', std::string(line.substr(0, keep)) + " ***");
      return;
    }
  }
  if (line.size() > kMaxNoted)
    handler_.transcript('C', std::string(line.substr(0, kMaxNoted)) + "... (" + std::to_string(line.size()) + " bytes)");
  else
    handler_.transcript('C', line);
}

void Session::emit(Reply r, const Cause* cause, bool enhanced) {
  if (cause) {
    auto effect = cause->effect;
    if (effect == Effect::Unknown) {
      // Exim's unknown-command counter: the 4th unrecognized line closes the session.
      if (++unknown_commands_ > settings_.limits.max_unknown_commands) {
        r = Reply{500, "5.5.1", "Too many unrecognized commands"};
        effect = Effect::Closes;
      } else {
        effect = Effect::Counted;
      }
    }
    if (effect == Effect::Counted && ++synprot_errors_ > settings_.limits.max_synprot_errors) {
      // Exim's synprot_error: the 4th ends the session.
      r.text += "\nToo many syntax or protocol errors";
      effect = Effect::Closes;
    }
    if (effect == Effect::Closes) closing_ = true;
  }
  // RFC 3463 classes are 2, 4 and 5: a 334 challenge or the 354 go-ahead carries none.
  append_reply(out_, r, enhanced && settings_.enhanced_codes && r.code / 100 != 3);
  if (r.code >= 400) {
    ++errors_;
    if (cause) handler_.protocol_reply(view(), cause->stage, cause->rule, r);
  }
}

void Session::feed(std::string_view bytes) {
  if (closing_ || wants_tls_) return;  // plaintext after STARTTLS is discarded
  if (paused()) {
    inbuf_.append(bytes);
    return;
  }
  auto mark = out_.size();
  if (inbuf_.empty()) {
    auto used = process(bytes);
    if (!closing_ && !wants_tls_ && used < bytes.size()) inbuf_.assign(bytes.substr(used));
  } else {
    inbuf_.append(bytes);
    auto used = process(inbuf_);
    inbuf_.erase(0, used);
  }
  if (closing_ || wants_tls_) inbuf_.clear();
  note_sent(mark);
}

void Session::resume() {
  if (!paused()) return;
  auto mark = out_.size();
  if (delivering_) {
    delivering_ = false;
    end_delivery(handler_.delivered(view()), delivering_bdat_);
  } else {
    std::string arg = std::move(*paused_);
    paused_.reset();
    if (closing_) return;
    rcpt(arg, true);
  }
  if (!paused() && !closing_ && !wants_tls_ && !inbuf_.empty()) {
    auto used = process(inbuf_);
    inbuf_.erase(0, used);
  }
  if (closing_ || wants_tls_) inbuf_.clear();
  note_sent(mark);
}

// With SIZE declared, room for the whole message up front: growing by
// doubling would briefly hold 1.5x the message. Pages never written (a
// spooled message, a lying client) cost address space, not memory.
void Session::reserve_declared() {
  if (tx_->env.params.size && *tx_->env.params.size > tx_->content.capacity())
    tx_->content.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(*tx_->env.params.size, settings_.limits.max_message_size)) + 2);
}

// A large message need not stay in memory: past kSpoolChunk the handler may
// take what has arrived (to disk) so memory stays bounded by the chunk.
void Session::offer_spool() {
  if (tx_ && tx_->content.size() >= kSpoolChunk && handler_.spool(tx_->content)) tx_->content.clear();
}

std::size_t Session::process(std::string_view in) {
  std::size_t pos = 0;
  while (pos < in.size() && !closing_ && !wants_tls_ && !paused()) {
    auto rest = in.substr(pos);
    if (mode_ == Mode::Data) {
      pos += tx_->dot.feed(rest, tx_->content, settings_.limits.max_message_size);
      offer_spool();
      if (tx_->dot.done()) finish_data();
      continue;
    }
    if (mode_ == Mode::BdatChunk) {
      auto take = static_cast<std::size_t>(std::min<std::uint64_t>(bdat_remaining_, rest.size()));
      if (!bdat_discard_) {
        auto kept = tx_->bdat_total;  // the content may have been spooled away
        if (kept < settings_.limits.max_message_size)
          tx_->content.append(rest.data(), std::min<std::size_t>(take, settings_.limits.max_message_size - kept));
      }
      if (!bdat_discard_) tx_->bdat_total += take;
      offer_spool();
      bdat_remaining_ -= take;
      pos += take;
      if (bdat_remaining_ == 0) finish_bdat_chunk();
      continue;
    }
    const void* nl = std::memchr(rest.data(), '\n', rest.size());
    if (!nl) {
      // No complete line yet. Bound what we buffer: beyond the longest line we
      // could accept there is nothing to wait for.
      if (rest.size() > settings_.limits.max_auth_line + 64) {
        say(Reply{500, "5.5.6", "Command line too long - closing connection"},
            {Stage::Session, "line_too_long", Effect::Closes});
      }
      break;
    }
    auto len = static_cast<std::size_t>(static_cast<const char*>(nl) - rest.data());
    pos += len + 1;
    handle_line(rest.substr(0, len + 1), pos < in.size());
  }
  return pos;
}

void Session::handle_line(std::string_view raw, bool pending) {
  // raw ends with '\n'. Only CRLF ends a command: a bare LF (or a CR inside
  // the line) would let one line be read as two, so it ends the session, as
  // Postfix's smtpd_forbid_bare_newline does.
  std::string_view line = raw.substr(0, raw.size() - 1);
  if (line.empty() || line.back() != '\r' ||
      line.substr(0, line.size() - 1).find('\r') != std::string_view::npos) {
    handler_.transcript('C', "<line with a bare CR or LF, " + std::to_string(raw.size()) + " bytes>");
    say(Reply{554, "5.5.2", "Bare CR or LF in SMTP command - closing connection"},
        {Stage::Session, "bare_line_ending", Effect::Closes});
    return;
  }
  line.remove_suffix(1);
  ++commands_;
  note_client(line);
  if (mode_ == Mode::AuthResponse) {
    if (line.size() > settings_.limits.max_auth_line) {
      auth_step_ = AuthStep::None;
      mode_ = Mode::Command;
      protocol_error(Stage::Auth, "line_too_long", 500, "5.5.6", "Authentication response too long");
      return;
    }
    handle_auth_response(line);
    return;
  }
  handle_command(line, pending);
}

// What each verb is, in one place (after Postfix's smtpd command table).
namespace {
enum : unsigned {
  // Must be the last command of a pipelined group (RFC 2920 3.1, as Exim
  // enforces it): always, or only without PIPELINING (before EHLO, after HELO).
  kLast = 1u << 0,
  kLastPlain = 1u << 1,
  kInBdat = 1u << 2,      // allowed between the chunks of a BDAT transaction
  kAfterBadBdat = 1u << 3,  // allowed once a non-BDAT command broke one
  kLongLine = 1u << 4,    // may carry a SASL initial response (RFC 4954 4)
  kStays = 1u << 5,       // leaves the client at the stage it was at
  kBack = 1u << 6,        // moves the client back to `stage`, never forward
};
}  // namespace

struct Session::VerbRow {
  Verb verb;
  void (Session::*run)(const Command&);
  Stage stage;                  // where the command puts the client (a timeout after it names it)
  std::optional<Stage> script;  // the scenario point asked before it proceeds
  unsigned flags;
};

const Session::VerbRow& Session::row(Verb v) {
  static const VerbRow rows[] = {
      {Verb::Helo, &Session::cmd_helo, Stage::Ehlo, Stage::Ehlo, kLast | kLastPlain},
      {Verb::Ehlo, &Session::cmd_helo, Stage::Ehlo, Stage::Ehlo, kLast | kLastPlain},
      {Verb::Mail, &Session::cmd_mail, Stage::Mail, Stage::Mail, kLastPlain},
      {Verb::Rcpt, &Session::cmd_rcpt, Stage::Rcpt, Stage::Rcpt, kLastPlain},
      {Verb::Data, &Session::cmd_data, Stage::Data, Stage::Data, kLast | kLastPlain},
      // BDAT is followed by its chunk by design; its scenario point is the
      // end of data (BDAT LAST), asked when the last chunk is in.
      {Verb::Bdat, &Session::cmd_bdat, Stage::Data, std::nullopt, kInBdat},
      {Verb::Rset, &Session::cmd_rset, Stage::Ehlo, std::nullopt, kLastPlain | kInBdat | kAfterBadBdat | kBack},
      {Verb::Noop, &Session::cmd_noop, Stage::Session, std::nullopt, kLastPlain | kStays},
      {Verb::Quit, &Session::cmd_quit, Stage::Session, std::nullopt, kInBdat | kAfterBadBdat | kStays},
      {Verb::Vrfy, &Session::cmd_vrfy, Stage::Session, std::nullopt, kLast | kLastPlain | kStays},
      {Verb::Expn, &Session::cmd_expn, Stage::Session, std::nullopt, kLast | kLastPlain | kStays},
      {Verb::Help, &Session::cmd_help, Stage::Session, std::nullopt, kLastPlain | kStays},
      // Plaintext pipelined after STARTTLS is dropped at the switch, not refused.
      {Verb::StartTls, &Session::cmd_starttls, Stage::Ehlo, std::nullopt, 0},
      // AUTH's scenario point is asked once the credentials are complete.
      {Verb::Auth, &Session::cmd_auth, Stage::Auth, Stage::Auth, kLastPlain | kLongLine},
      {Verb::Unknown, &Session::cmd_unknown, Stage::Session, std::nullopt, kStays},
  };
  static_assert(std::size(rows) == static_cast<std::size_t>(Verb::Unknown) + 1);
  return rows[static_cast<std::size_t>(v)];
}

bool Session::must_be_last(const VerbRow& r) const {
  return (r.flags & kLast) || (!ehlo_ && (r.flags & kLastPlain));
}

void Session::handle_command(std::string_view line, bool pending) {
  auto cmd = split_command(line);
  const VerbRow& r = row(cmd.verb);
  if (r.verb != cmd.verb) std::abort();  // the table is indexed by Verb
  if (pending && must_be_last(r)) {
    // Exim's answer to a pipelining violation: no more commands from this client.
    say(Reply{554, "5.5.0", "SMTP synchronization error"}, {Stage::Session, "sync_error", Effect::Closes});
    return;
  }
  follows_rcpt_ = last_verb_ == Verb::Rcpt;
  last_verb_ = Verb::Unknown;  // a refused line is not "the command before" DATA

  std::size_t limit = (r.flags & kLongLine) ? settings_.limits.max_auth_line + 64
                                            : settings_.limits.max_command_line - 2;
  if (line.size() > limit) {
    say(Reply{500, "5.5.2", "Command line too long"}, {Stage::Session, "line_too_long", Effect::Unknown});
    return;
  }
  if (line.find('\0') != std::string_view::npos) {
    protocol_error(Stage::Session, "syntax_error", 501, "5.5.2", "NUL characters are not allowed in SMTP commands");
    return;
  }
  if (tx_ && tx_->bdat_broken && !(r.flags & kAfterBadBdat)) {
    protocol_error(Stage::Data, "order_error", 503, "5.5.1", "only RSET accepted now");
    return;
  }
  if (tx_ && tx_->bdat_started && !(r.flags & kInBdat)) {
    tx_->bdat_broken = true;
    protocol_error(Stage::Data, "order_error", 503, "5.5.1", "only BDAT permissible after non-LAST BDAT");
    return;
  }

  if (r.flags & kBack) stage_ = std::min(stage_, r.stage);
  else if (!(r.flags & kStays)) stage_ = r.stage;
  last_verb_ = cmd.verb;
  (this->*r.run)(Command{r, cmd.arg, line});
}

void Session::cmd_noop(const Command&) { say(250, "2.0.0", "OK"); }

void Session::say_success(const Reply& r, std::string_view addr, std::optional<Cause> c) {
  Reply out = r;
  out.text = fill_placeholders(r.text, {{"addr", addr}, {"host", settings_.hostname}});
  if (c) say(std::move(out), *c);
  else say(std::move(out));
}
void Session::cmd_vrfy(const Command&) { say(252, "2.5.2", "Administrative prohibition"); }
void Session::cmd_expn(const Command&) {
  say(Reply{550, "5.7.1", "Administrative prohibition"}, {Stage::Session, "expn_prohibited"});
}

void Session::cmd_unknown(const Command& c) {
  if (looks_like_http(c.line)) {
    // A browser or HTTP client on an SMTP port: no point in three more tries.
    say(Reply{554, "5.7.0", "HTTP request on an SMTP port - closing connection"},
        {Stage::Session, "http_request", Effect::Closes});
    return;
  }
  say(Reply{500, "5.5.1", "unrecognized command"}, {Stage::Session, "unknown_command", Effect::Unknown});
}

void Session::cmd_helo(const Command& c) {
  std::string_view arg = c.arg;
  bool extended = c.row.verb == Verb::Ehlo;
  if (!valid_helo(arg)) {
    protocol_error(Stage::Ehlo, "syntax_error", 501, "5.5.2",
                   extended ? "Syntactically invalid EHLO argument(s)"
                            : "Syntactically invalid HELO argument(s)");
    return;
  }
  if (scripted({*c.row.script})) return;
  // HELO/EHLO ends any transaction (RFC 5321 4.1.4).
  reset_transaction(true);
  helo_ = std::string(arg);
  greeted_ = true;
  ehlo_ = extended;
  std::string first =
      fill_placeholders(settings_.ehlo_first, {{"host", settings_.hostname}, {"helo", helo_}, {"ip", client_.ip}});
  if (!extended) {
    emit(Reply{250, "", first}, nullptr, false);
    return;
  }
  // The profile's order (smtp2go: Exim's, as in the provider's 2024 transcript).
  std::string text = first;
  for (const auto& k : settings_.ehlo) {
    if (k == "SIZE") text += "\nSIZE " + std::to_string(settings_.limits.max_message_size);
    else if (k == "ENHANCEDSTATUSCODES") { if (settings_.enhanced_codes) text += "\n" + k; }
    else if (k == "STARTTLS") { if (settings_.starttls_offered && !tls_) text += "\n" + k; }
    else text += "\n" + k;
  }
  // RFC 2034: EHLO lines carry no enhanced code.
  emit(Reply{250, "", text}, nullptr, false);
}

void Session::cmd_mail(const Command& c) {
  std::string_view arg = c.arg;
  if (!greeted_) {
    protocol_error(Stage::Mail, "order_error", 503, "5.5.1", "HELO or EHLO required");
    return;
  }
  if (tx_) {
    protocol_error(Stage::Mail, "order_error", 503, "5.5.1", "sender already given");
    return;
  }
  if (arg.empty()) {
    protocol_error(Stage::Mail, "syntax_error", 501, "5.5.2", "MAIL must have an address operand");
    return;
  }
  MailParams params;
  auto parsed = parse_mail_arg(arg, params);
  if (!parsed.mailbox) {
    protocol_error(Stage::Mail, "syntax_error", 501, "5.1.7", parsed.error);
    return;
  }
  if (params.prdr && !settings_.offers("PRDR")) {
    // A server without PRDR (Postfix's words for an option it does not know).
    protocol_error(Stage::Mail, "syntax_error", 555, "5.5.4", "Unsupported option: PRDR");
    return;
  }
  if (params.size && *params.size > settings_.limits.max_message_size) {
    say(settings_.size_exceeded, {Stage::Mail, "size_exceeded"});
    return;
  }
  Envelope env;
  env.from = std::move(*parsed.mailbox);
  env.params = std::move(params);
  if (scripted({*c.row.script, &env})) return;
  if (auto rejection = handler_.check_mail(view(), env)) {
    say(*rejection);
    return;
  }
  tx_.emplace();
  tx_->env = std::move(env);
  say_success(settings_.replies.mail, tx_->env.from.str());
}

void Session::cmd_rcpt(const Command& c) { rcpt(c.arg, false); }

// `scripted_already`: resumed after a pause, its scenario point was asked before it.
void Session::rcpt(std::string_view arg, bool scripted_already) {
  if (!tx_) {
    protocol_error(Stage::Rcpt, "order_error", 503, "5.5.1", "sender not yet given");
    return;
  }
  if (arg.empty()) {
    protocol_error(Stage::Rcpt, "syntax_error", 501, "5.5.2", "RCPT must have an address operand");
    return;
  }
  Recipient rcpt;
  auto parsed = parse_rcpt_arg(arg, rcpt.params);
  if (!parsed.mailbox) {
    protocol_error(Stage::Rcpt, "syntax_error", 501, "5.1.3", parsed.error);
    return;
  }
  rcpt.mailbox = std::move(*parsed.mailbox);
  if (tx_->env.rcpts.size() >= settings_.limits.max_recipients) {
    say(settings_.too_many_recipients, {Stage::Rcpt, "too_many_recipients"});
    return;
  }
  if (!scripted_already && scripted({*row(Verb::Rcpt).script, &tx_->env, &rcpt})) return;
  if (!handler_.rcpt_ready(view(), tx_->env)) {
    paused_ = std::string(arg);
    return;
  }
  if (auto rejection = handler_.check_rcpt(view(), tx_->env, rcpt)) {
    // Remembered for Exim's "All RCPT commands were rejected" answer to DATA.
    if (tx_->rcpt_rejection && *tx_->rcpt_rejection != rejection->text) tx_->rcpt_rejections_same = false;
    tx_->rcpt_rejection = rejection->text;
    ++tx_->rcpt_rejections;
    say(*rejection);
    return;
  }
  say_success(settings_.replies.rcpt, rcpt.mailbox.str());
  tx_->env.rcpts.push_back(std::move(rcpt));
}

// Exim's answer to DATA/BDAT with no accepted recipient. Returns true when it answered.
bool Session::no_valid_rcpt(const char* verb) {
  if (tx_ && !tx_->env.rcpts.empty()) return false;
  std::string text;
  if (tx_ && tx_->rcpt_rejections > 0 && tx_->rcpt_rejections_same && tx_->rcpt_rejection) {
    text = "All RCPT commands were rejected with this error:\n" + *tx_->rcpt_rejection + "\n";
  }
  if (ehlo_ && follows_rcpt_) {
    // Pipelined DATA after refused RCPTs: a reply, not a protocol error.
    Reply r{503, "5.5.1", text + "Valid RCPT command must precede " + verb};
    say(r, {Stage::Data, "no_valid_recipients"});
  } else {
    protocol_error(Stage::Data, "no_valid_recipients", 503, "5.5.1",
                   text + "valid RCPT command must precede " + verb);
  }
  return true;
}

void Session::cmd_data(const Command& c) {
  std::string_view arg = c.arg;
  if (!arg.empty()) {
    protocol_error(Stage::Data, "syntax_error", 501, "5.5.4", "unexpected argument data");
    return;
  }
  if (no_valid_rcpt("DATA")) return;
  if (scripted({*c.row.script, &tx_->env})) return;
  tx_->content.clear();
  reserve_declared();
  tx_->dot.reset();
  tx_->env.bdat = false;
  mode_ = Mode::Data;
  say_success(settings_.replies.data);
}

void Session::finish_data() {
  mode_ = Mode::Command;
  handler_.transcript('C', "<message content, " + std::to_string(tx_->dot.size()) + " bytes, then .>");
  if (tx_->dot.size() > settings_.limits.max_message_size) {
    say(settings_.size_exceeded, {Stage::Data, "size_exceeded"});
    reset_transaction(true);
    return;
  }
  if (!prdr_recipients()) return;
  if (scripted({Stage::EndOfData, &tx_->env, nullptr, tx_->content, {}, tx_->prdr != Transaction::Prdr::Off})) {
    reset_transaction(true);
    return;
  }
  start_delivery(false);
}

// Exim's PRDR (receive.c), asked for at MAIL and used when two or more
// recipients were accepted: 353, then one reply per recipient in RCPT order
// (a scenario matching that recipient may refuse it: "mailbox full" for one
// of them), then the message's own checks and one final reply for those kept.
bool Session::prdr_recipients() {
  auto& env = tx_->env;
  if (!env.params.prdr || env.rcpts.size() < 2) return true;
  env.planned_id = handler_.new_message_id();
  say_success(settings_.replies.prdr_start);
  std::vector<Recipient> kept;
  for (const auto& r : env.rcpts) {
    auto s = handler_.script(view(), {Stage::EndOfData, &env, &r, tx_->content, {}, true});
    if (s) delay_ += s->delay;
    if (s && s->reply && !s->reply->positive()) {
      say(*s->reply);
      handler_.refuse_recipient(view(), env, r, *s->reply);
    } else if (s && s->reply) {
      say(*s->reply);
      kept.push_back(r);
    } else if (!s || !s->disconnect) {
      say_success(settings_.replies.prdr_rcpt, r.mailbox.str());
      kept.push_back(r);
    }
    if (s && s->disconnect) {
      closing_ = true;
      reset_transaction(true);
      return false;
    }
  }
  if (kept.empty()) {
    say(Reply{550, "5.0.0", "id=" + env.planned_id + " message rejected for all recipients"},
        {Stage::Data, "prdr_refused"});
    reset_transaction(true);
    return false;
  }
  tx_->prdr = kept.size() == env.rcpts.size() ? Transaction::Prdr::AllKept : Transaction::Prdr::SomeKept;
  env.rcpts = std::move(kept);
  return true;
}

void Session::start_delivery(bool bdat) {
  auto r = handler_.deliver(view(), tx_->env, tx_->content);
  if (!r) {
    delivering_ = true;
    delivering_bdat_ = bdat;
    return;
  }
  end_delivery(std::move(*r), bdat);
}

void Session::end_delivery(Reply r, bool bdat) {
  if (tx_->prdr != Transaction::Prdr::Off && r.positive()) {
    // Exim's final PRDR reply stands alone: no BDAT chunk line before it.
    const Reply& tmpl = tx_->prdr == Transaction::Prdr::AllKept ? settings_.replies.prdr_message
                                                                  : settings_.replies.prdr_message_some;
    r = tmpl;
    r.text = fill_placeholders(tmpl.text, {{"id", tx_->env.planned_id}, {"host", settings_.hostname}});
  } else if (bdat && r.positive()) {
    r.text = " " + std::to_string(bdat_chunk_size_) + " byte chunk, total " + std::to_string(tx_->bdat_total) +
             "\n" + r.text;
  }
  say(r);
  reset_transaction(false);
}

void Session::cmd_bdat(const Command& c) {
  if (!settings_.offers("CHUNKING")) {
    cmd_unknown(c);  // as a server without CHUNKING: the chunk's bytes follow as commands
    return;
  }
  std::string_view arg = c.arg;
  auto parsed = parse_bdat_arg(arg);
  if (!parsed.ok) {
    protocol_error(Stage::Data, "syntax_error", 501, "5.5.4", "missing size for BDAT command");
    return;
  }
  if (parsed.size == 0 && !parsed.last) {
    protocol_error(Stage::Data, "syntax_error", 504, "5.5.4", "zero size for BDAT command");
    return;
  }
  bdat_remaining_ = parsed.size;
  bdat_chunk_size_ = parsed.size;
  bdat_last_ = parsed.last;
  bdat_discard_ = false;
  if (!tx_ || !tx_->bdat_started) {
    if (no_valid_rcpt("BDAT")) {
      // The chunk still follows on the wire (RFC 3030 2): read and drop it.
      bdat_discard_ = true;
      if (bdat_remaining_ > 0) mode_ = Mode::BdatChunk;
      return;
    }
    tx_->content.clear();
    reserve_declared();
    tx_->bdat_total = 0;
    tx_->env.bdat = true;
  }
  mode_ = Mode::BdatChunk;
  if (bdat_remaining_ == 0) finish_bdat_chunk();
}

void Session::finish_bdat_chunk() {
  mode_ = Mode::Command;
  handler_.transcript('C', "<BDAT chunk, " + std::to_string(bdat_chunk_size_) + " bytes>");
  if (bdat_discard_) {
    bdat_discard_ = false;
    return;
  }
  if (!bdat_last_) {
    tx_->bdat_started = true;
    say(250, "2.0.0", std::to_string(bdat_chunk_size_) + " byte chunk received");
    return;
  }
  tx_->bdat_started = false;
  if (tx_->bdat_total > settings_.limits.max_message_size) {
    say(settings_.size_exceeded, {Stage::Data, "size_exceeded"});
    reset_transaction(true);
    return;
  }
  if (!prdr_recipients()) return;
  if (scripted({Stage::EndOfData, &tx_->env, nullptr, tx_->content, {}, tx_->prdr != Transaction::Prdr::Off})) {
    reset_transaction(true);
    return;
  }
  start_delivery(true);
}

void Session::cmd_rset(const Command& c) {
  std::string_view arg = c.arg;
  if (!arg.empty()) {
    protocol_error(Stage::Session, "syntax_error", 501, "5.5.4", "unexpected argument data");
    return;
  }
  reset_transaction(true);
  say(250, "2.0.0", "Reset OK");
}

void Session::cmd_quit(const Command& c) {
  std::string_view arg = c.arg;
  if (!arg.empty()) {
    protocol_error(Stage::Session, "syntax_error", 501, "5.5.4", "unexpected argument data");
    return;
  }
  reset_transaction(true);
  say_success(settings_.replies.quit, {}, Cause{Stage::Session, "quit", Effect::Closes});
}

void Session::cmd_help(const Command&) {
  std::string list = "AUTH ";
  if (settings_.starttls_offered && !tls_) list += "STARTTLS ";
  list += "HELO EHLO MAIL RCPT DATA BDAT NOOP QUIT RSET HELP";
  say(214, "2.0.0", "Commands supported:\n" + list);
}

void Session::cmd_starttls(const Command& c) {
  std::string_view arg = c.arg;
  if (!arg.empty()) {
    protocol_error(Stage::Ehlo, "syntax_error", 501, "5.5.4", "unexpected argument data");
    return;
  }
  if (tls_) {
    protocol_error(Stage::Ehlo, "order_error", 554, "5.5.1", "Already in TLS");
    return;
  }
  if (!settings_.starttls_offered || !ehlo_) {
    protocol_error(Stage::Ehlo, "order_error", 503, "5.5.1", "STARTTLS command used when not advertised");
    return;
  }
  say_success(settings_.replies.starttls);
  wants_tls_ = true;
}

void Session::tls_started() {
  wants_tls_ = false;
  tls_ = true;
  inbuf_.clear();
  reset_session();
}

void Session::cmd_auth(const Command& c) {
  std::string_view arg = c.arg;
  if (!ehlo_) {
    protocol_error(Stage::Auth, "order_error", 503, "5.5.1", "AUTH command used when not advertised");
    return;
  }
  if (auth_user_) {
    protocol_error(Stage::Auth, "order_error", 503, "5.5.1", "already authenticated");
    return;
  }
  if (tx_) {
    protocol_error(Stage::Auth, "order_error", 503, "5.5.1", "not permitted in mail transaction");
    return;
  }
  auto sp = arg.find_first_of(" \t");
  auto mech = arg.substr(0, sp);
  std::string_view initial;
  bool has_initial = false;
  if (sp != std::string_view::npos) {
    initial = arg.substr(sp + 1);
    while (!initial.empty() && (initial.front() == ' ' || initial.front() == '\t')) initial.remove_prefix(1);
    has_initial = !initial.empty();
  }
  if (mech.empty()) {
    protocol_error(Stage::Auth, "syntax_error", 501, "5.5.2", "AUTH command must name a mechanism");
    return;
  }
  auth_mech_ = ascii_upper(mech);
  if (!settings_.offers_auth(auth_mech_)) {
    unsupported_mechanism(mech);
    return;
  }

  if (auth_mech_ == "PLAIN") {
    auth_step_ = AuthStep::PlainResponse;
    if (has_initial) {
      handle_auth_response(initial);
      return;
    }
    mode_ = Mode::AuthResponse;
    say(334, "", "");
    return;
  }
  if (auth_mech_ == "LOGIN") {
    auth_step_ = AuthStep::LoginUser;
    if (has_initial) {
      handle_auth_response(initial);
      return;
    }
    mode_ = Mode::AuthResponse;
    say(334, "", "VXNlcm5hbWU6");
    return;
  }
  if (auth_mech_ == "CRAM-MD5") {
    if (has_initial) {
      protocol_error(Stage::Auth, "syntax_error", 553, "5.7.0", "Initial data not expected");
      return;
    }
    // Like Exim's <pid.time@host>, but unpredictable: a replayed digest never matches.
    static std::atomic<std::uint64_t> seq{0};
    std::uint64_t nonce = 0;
    try {
      nonce = random_u64();
    } catch (const RandomError&) {
      // A predictable challenge would let a recorded digest be replayed.
      protocol_error(Stage::Auth, "auth_unavailable", 454, "4.7.0", "Temporary authentication failure");
      return;
    }
    auth_challenge_ = "<" + std::to_string(++seq) + "." + std::to_string(nonce) + "@" + settings_.hostname + ">";
    auth_step_ = AuthStep::CramResponse;
    mode_ = Mode::AuthResponse;
    say(334, "", base64_encode(auth_challenge_));
    return;
  }
  unsupported_mechanism(mech);
}

void Session::unsupported_mechanism(std::string_view mech) {
  protocol_error(Stage::Auth, "unsupported_mechanism", 504, "5.5.4",
                 std::string(mech) + " authentication mechanism not supported");
}

void Session::handle_auth_response(std::string_view line) {
  if (line == "*") {
    auth_step_ = AuthStep::None;
    mode_ = Mode::Command;
    protocol_error(Stage::Auth, "auth_cancelled", 501, "5.0.0", "Authentication cancelled");
    return;
  }
  std::optional<std::string> decoded = line == "=" ? std::optional<std::string>("") : base64_decode(line);
  if (!decoded) {
    auth_step_ = AuthStep::None;
    mode_ = Mode::Command;
    protocol_error(Stage::Auth, "syntax_error", 501, "5.5.2", "Invalid base64 data");
    return;
  }
  switch (auth_step_) {
    case AuthStep::PlainResponse: {
      AuthAttempt a{"PLAIN", "", "", "", ""};
      // An authzid other than the user itself is not ours to grant: such an attempt fails.
      auto creds = parse_plain(*decoded);
      if (creds && (creds->authzid.empty() || creds->authzid == creds->user)) {
        a.user = std::move(creds->user);
        a.password = std::move(creds->password);
      }
      auth_check(std::move(a));
      return;
    }
    case AuthStep::LoginUser:
      auth_login_user_ = std::move(*decoded);
      auth_step_ = AuthStep::LoginPassword;
      mode_ = Mode::AuthResponse;
      say(334, "", "UGFzc3dvcmQ6");
      return;
    case AuthStep::LoginPassword:
      auth_check(AuthAttempt{"LOGIN", std::move(auth_login_user_), std::move(*decoded), "", ""});
      return;
    case AuthStep::CramResponse: {
      // "user<SP>digest"; the user may itself contain spaces, the digest never.
      auto sp = decoded->rfind(' ');
      AuthAttempt a{"CRAM-MD5", "", "", auth_challenge_, ""};
      if (sp != std::string::npos) {
        a.user = decoded->substr(0, sp);
        a.digest = ascii_lower(decoded->substr(sp + 1));
      }
      auth_check(std::move(a));
      return;
    }
    case AuthStep::None:
      break;
  }
  mode_ = Mode::Command;
}

void Session::auth_check(AuthAttempt attempt) {
  auth_step_ = AuthStep::None;
  mode_ = Mode::Command;
  if (scripted({*row(Verb::Auth).script, nullptr, nullptr, {}, attempt.user})) return;
  // No username (a PLAIN response without one, or acting for another user):
  // refused here, and reported from here, since no account check ran.
  std::optional<Reply> refusal;
  bool malformed = attempt.user.empty();
  if (malformed) refusal = Reply{535, "5.7.8", "Incorrect authentication data"};
  else refusal = handler_.authenticate(view(), attempt);
  if (!refusal) {
    auth_user_ = attempt.user;
    say_success(settings_.replies.auth);
    return;
  }
  // Guessing gets slower (1 s, 2 s, 4 s, ... up to 8 s), then the session ends.
  ++auth_failures_;
  int over = auth_failures_ - settings_.limits.auth_failures_before_delay;
  if (over > 0) delay_ = std::chrono::milliseconds(1000 << std::min(over - 1, 3));
  if (auth_failures_ > settings_.limits.max_auth_failures) {
    say(Reply{421, "4.7.0", settings_.hostname + ": too many failed authentication attempts - closing connection"},
        {Stage::Auth, "auth_abuse", Effect::Closes});
    return;
  }
  if (malformed) say(*refusal, {Stage::Auth, "auth_malformed"});
  else say(*refusal);
}

void Session::reset_transaction(bool abandoned) {
  if (tx_ && abandoned) handler_.abandon(view(), tx_->env);
  tx_.reset();  // everything the transaction held, its memory included
}

void Session::reset_session() {
  reset_transaction(true);
  helo_.clear();
  ehlo_ = false;
  greeted_ = false;
  auth_user_.reset();
  auth_step_ = AuthStep::None;
  mode_ = Mode::Command;
  last_verb_ = Verb::Unknown;
}

void Session::timeout() {
  end_with(Reply{421, "4.4.2",
                 in_message() ? settings_.hostname + " SMTP incoming data timeout - closing connection."
                              : settings_.hostname + ": SMTP command timeout - closing connection"},
           "timeout");
}

void Session::shutdown() {
  end_with(Reply{421, "4.3.2",
                 in_content() ? settings_.hostname + " Service not available - SIGTERM or SIGINT received - closing connection."
                              : settings_.hostname + ": Service not available - closing connection"},
           "shutdown");
}

// A 421 from the server's side (deadline, shutdown), reported with the stage
// the client stopped at: the one its last command began.
void Session::end_with(Reply r, std::string_view rule) {
  if (closing_) return;
  auto mark = out_.size();
  say(std::move(r), {in_content() ? Stage::Data : stage_, rule, Effect::Closes});
  reset_transaction(true);
  note_sent(mark);
}

void Session::disconnected() {
  reset_transaction(true);
  closing_ = true;
}

}  // namespace relaymock::smtp
