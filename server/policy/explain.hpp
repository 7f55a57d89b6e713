// `relaymock explain` and POST /api/v1/explain: every check a send would meet,
// in order, for each recipient, without sending, capturing or counting
// anything; the reply the client would get, its stage, and what is left of
// each limit. The same engine decides as for a real send (try_rcpt reserves
// nothing), so an explanation cannot drift from what a session gets.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policy/engine.hpp"

namespace relaymock::policy {

struct ExplainRequest {
  std::string ip = "127.0.0.1";      // the client's address (ip_auth)
  std::optional<std::uint16_t> port;  // a listener's: its profile answers; else server.profile
  std::optional<std::string> user;    // AUTH as this smtp_users entry (the password is not checked)
  std::optional<std::string> api_key;  // send through API v3 with the api_keys entry of this name
  std::string from;                   // the envelope sender ("" : MAIL FROM:<>)
  std::optional<std::string> header_from;  // the From: header; absent: the envelope sender
  std::vector<std::string> to;
};

// What is wrong with a request, in one line; nullopt: it can be explained.
std::optional<std::string> explain_problem(const config::Config& cfg, const ExplainRequest& r);

struct Explanation {
  const config::Profile* profile = nullptr;
  std::string door;  // smtp | api
  Identity identity;
  std::optional<Decision> auth;  // a user not in smtp_users: AUTH fails
  std::optional<Decision> mail;  // the profile refuses before any recipient
  struct Recipient {
    std::string address;
    Decision decision;
    std::string reply;  // as the client gets it
  };
  std::vector<Recipient> recipients;
  std::optional<Decision> content;  // reached when a recipient was accepted
  // The end: the stage that answered last, its rule and reply (the whole
  // wire text, lines joined by '\n'); the API door's wording when it differs.
  std::string stage, rule, reply;
  std::optional<std::string> api_reply;
  bool accepted = false;
  std::uint64_t accepted_recipients = 0;
  // The limits after this send, when it would be accepted.
  struct Limit {
    std::string name;  // quota | rate_limit
    std::uint64_t limit = 0, used = 0, in_open_transactions = 0, this_send = 0, left = 0;
    std::string per;       // rate_limit: "1h"
    TimePoint frees_at{};  // quota: the cycle's end; rate_limit: when the oldest counted recipient leaves
    bool reached = false;  // this send would use (or did hit) the last one
  };
  std::vector<Limit> limits;
};

// `route`: the DNS answer for the sender's domain when route_domain named
// one (mode system); without it the DNS step is not asked.
Explanation explain(const Engine& engine, const ExplainRequest& r, const SenderRoute* route = nullptr);

// The profile whose face answers on `port` (a listener's, else server.profile).
const config::Profile& profile_for(const config::Config& cfg, std::optional<std::uint16_t> port);

}  // namespace relaymock::policy
