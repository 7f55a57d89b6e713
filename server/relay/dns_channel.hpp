// One c-ares channel driven by an Asio io_context: its sockets are watched
// with stream_descriptor waits and its timeouts with a steady_timer, so any
// number of questions are in flight at once on one thread, none blocking it.
// Every member runs on that io_context's thread (c-ares 1.18 channels are not
// thread-safe).
#pragma once
#include <ares.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"

namespace relaymock::relay {

// One question's outcome: records of the asked type, or why there are none.
struct DnsAnswer {
  enum class Status { Records, NoData, NoDomain, TempFail } status = Status::NoData;
  std::vector<std::string> records;  // "10 mx.example.net", "192.0.2.1", ...
  std::string error;                 // TempFail: what went wrong
};

class DnsChannel : public std::enable_shared_from_this<DnsChannel> {
 public:
  // Throws std::runtime_error when c-ares cannot start (no memory, bad servers).
  static std::shared_ptr<DnsChannel> open(boost::asio::io_context& ioc, const config::SenderVerification& settings);
  ~DnsChannel();
  DnsChannel(const DnsChannel&) = delete;
  DnsChannel& operator=(const DnsChannel&) = delete;

  // One question (ns_t_mx, ns_t_a, ns_t_aaaa) for the name as given.
  boost::asio::awaitable<DnsAnswer> ask(std::string name, int type);
  // Ends every question in flight at once (as TempFail "cancelled").
  void cancel();

 private:
  struct Watch;
  struct Op;
  explicit DnsChannel(boost::asio::io_context& ioc);
  static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable);
  static void on_answer(void* arg, int status, int timeouts, unsigned char* abuf, int alen);
  void arm(const std::shared_ptr<Watch>& w);
  void arm_timer();

  boost::asio::io_context& ioc_;
  ares_channel channel_ = nullptr;
  boost::asio::steady_timer timer_;
  std::unordered_map<ares_socket_t, std::shared_ptr<Watch>> watches_;
};

}  // namespace relaymock::relay
