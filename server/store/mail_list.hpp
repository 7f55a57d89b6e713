// Captured mail, kept in memory and bounded by count and bytes: the oldest
// message is dropped first. Thread-safe.
#pragma once
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace relaymock::store {

struct Message {
  std::string id;
  std::chrono::system_clock::time_point received_at;
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
  std::string content;  // exactly the bytes received after dot-unstuffing
};

class MailList {
 public:
  MailList(std::size_t max_messages, std::size_t max_bytes) : max_messages_(max_messages), max_bytes_(max_bytes) {}

  void add(std::shared_ptr<const Message> m);
  std::vector<std::shared_ptr<const Message>> newest(std::size_t limit) const;
  std::shared_ptr<const Message> find(const std::string& id) const;
  std::size_t size() const;
  std::size_t bytes() const;

 private:
  mutable std::mutex mutex_;
  std::deque<std::shared_ptr<const Message>> messages_;
  std::size_t bytes_ = 0;
  std::size_t max_messages_, max_bytes_;
};

}  // namespace relaymock::store
