// A Session driven with no sockets: a scripted handler and helpers to feed
// input in one piece or split at any byte.
#pragma once
#include <set>
#include <string>
#include <vector>

#include "smtp/sasl.hpp"
#include "smtp/session.hpp"

namespace relaymock::test {

struct FakeHandler : smtp::Handler {
  std::set<std::string> refused_rcpts;     // addresses whose RCPT is refused
  std::string refusal = "550 Relay access denied - please authenticate";
  std::string user = "app", password = "secret";
  std::vector<std::string> delivered;      // contents
  std::vector<smtp::Envelope> envelopes;
  int abandoned = 0;
  std::vector<std::string> rules;          // protocol_reply rules seen
  bool spooling = false;                   // take large content away (durable mode)
  std::string spooled;
  bool spool(const std::string& chunk) override {
    if (!spooling) return false;
    spooled += chunk;
    return true;
  }
  bool pause_rcpts = false;                // each RCPT waits once (a lookup)
  bool looked_up = false;

  bool rcpt_ready(const smtp::SessionView&, const smtp::Envelope&) override {
    if (!pause_rcpts || looked_up) {
      looked_up = false;
      return true;
    }
    looked_up = true;
    return false;
  }

  std::optional<Reply> authenticate(const smtp::SessionView&, const smtp::AuthAttempt& a) override {
    bool ok = a.user == user && (a.mechanism == "CRAM-MD5" ? a.digest == smtp::cram_md5_digest(password, a.challenge)
                                                           : a.password == password);
    if (ok) return std::nullopt;
    return Reply{535, "5.7.8", "Incorrect authentication data"};
  }
  std::optional<Reply> check_rcpt(const smtp::SessionView&, const smtp::Envelope&,
                                        const smtp::Recipient& r) override {
    if (refused_rcpts.count(r.mailbox.str())) {
      Reply rep;
      parse_reply_text(refusal, rep);
      return rep;
    }
    return std::nullopt;
  }
  std::optional<Reply> deliver(const smtp::SessionView&, const smtp::Envelope& e, std::string& content) override {
    delivered.push_back(content);
    envelopes.push_back(e);
    return Reply{250, "", "OK id=1wvlsG-7tiG0Lhs7a5-fDer"};
  }
  void abandon(const smtp::SessionView&, const smtp::Envelope&) override { ++abandoned; }
  // A scripted outcome at one point (scenarios), and the points asked.
  std::optional<Stage> script_at;
  smtp::Scripted scripted_outcome;
  std::vector<Stage> script_points;
  // PRDR: recipients a per-recipient question refuses, and what was asked.
  std::set<std::string> prdr_refuse;
  std::vector<std::string> prdr_asked;    // per recipient, then "*" for the message
  std::vector<std::string> prdr_refused;  // refuse_recipient() calls
  std::optional<smtp::Scripted> script(const smtp::SessionView&, const smtp::ScriptFacts& f) override {
    script_points.push_back(f.point);
    if (f.prdr) {
      prdr_asked.push_back(f.rcpt ? f.rcpt->mailbox.str() : "*");
      if (f.rcpt && prdr_refuse.count(f.rcpt->mailbox.str()))
        return smtp::Scripted{{}, Reply{550, "", "mailbox full"}, false};
      if (f.rcpt) return std::nullopt;
    }
    if (script_at && *script_at == f.point) return scripted_outcome;
    return std::nullopt;
  }
  std::string new_message_id() override { return "1wvlsG-7tiG0Lhs7a5-PRDR"; }
  void refuse_recipient(const smtp::SessionView&, const smtp::Envelope&, const smtp::Recipient& r,
                        const Reply&) override {
    prdr_refused.push_back(r.mailbox.str());
  }
  std::vector<Stage> stages;               // and the stage of each
  void protocol_reply(const smtp::SessionView&, Stage stage, std::string_view rule, const Reply&) override {
    rules.emplace_back(rule);
    stages.push_back(stage);
  }
};

inline smtp::Settings test_settings() {
  smtp::Settings s;
  s.hostname = "mx.test";
  s.version = "1.0";
  s.limits.max_message_size = 1000;
  s.limits.max_recipients = 3;
  s.starttls_offered = true;
  return s;
}

struct Harness {
  smtp::Settings settings = test_settings();
  FakeHandler handler;
  smtp::Session session{settings, handler, smtp::ClientInfo{"192.0.2.1", 2525, false}};

  // A polite client: feeds `input` a line at a time (as if it waited for
  // each reply) and returns everything written since the last call.
  std::string send(std::string_view input) {
    if (input.empty()) session.feed(input);
    while (!input.empty()) {
      auto nl = input.find('\n');
      auto n = nl == std::string_view::npos ? input.size() : nl + 1;
      session.feed(input.substr(0, n));
      input.remove_prefix(n);
    }
    return take();
  }
  // A pipelining client: `input` arrives in one read.
  std::string send_packet(std::string_view input) {
    session.feed(input);
    return take();
  }
  std::string take() {
    std::string out = std::move(session.output());
    session.output().clear();
    return out;
  }
  std::string greet() {
    session.greet("");
    return send("");
  }
};

}  // namespace relaymock::test
