// One captured message: the envelope and session facts at acceptance, the
// header fields the API filters on, and (in memory mode) the bytes.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace relaymock::store {

class Spool;

using TimePoint = std::chrono::system_clock::time_point;

struct Message {
  std::string id;  // the one in "250 OK id=..."
  TimePoint received_at;
  std::string session_id;
  std::string client_ip;
  std::uint16_t port = 0;
  bool tls = false;
  std::string identity_kind;  // user | ip
  std::string identity_name;
  bool sandbox = false;
  std::string helo;
  std::string envelope_from;
  std::vector<std::string> envelope_to;
  std::string body_param, ret_param, envid_param;  // MAIL parameters as given
  bool smtputf8 = false;
  std::vector<std::string> notify, orcpt;  // per recipient, as given
  // From the header section at capture time (RFC 2047 decoded).
  std::string from;
  std::vector<std::string> to, cc;
  std::string subject;
  std::uint64_t size = 0;  // bytes of content
  // Exactly the bytes received after dot-unstuffing. Empty in durable mode,
  // where the store holds them, and for a spooled message in memory mode.
  std::string content;
  std::shared_ptr<const Spool> spooled;  // memory mode, past the spool threshold
};

}  // namespace relaymock::store
