// DNS answers for sender verification (mode system): MX, then A/AAAA. The
// questions are asynchronous (c-ares on the resolver's own thread), so a
// silent DNS server holds no thread and no other session. Sessions asking
// about the same domain share one lookup; lookups in flight are bounded (the
// one past the bound gets a temporary failure at once); a waiter can leave
// (its deadline, a shutdown) without ending the lookup for the others.
// Answers are cached for cache_ttl; temporary failures are not cached.
#pragma once
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "policy/sender_route.hpp"

namespace relaymock::relay {

class DnsChannel;

class Resolver {
 public:
  // The question, run on the resolver's thread: DNS by default; tests give
  // their own (by value: it is a coroutine).
  using Query = std::function<boost::asio::awaitable<policy::SenderRoute>(std::string, config::SenderVerification)>;

  explicit Resolver(const config::SenderVerification& settings, Query query = {});
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // SIGHUP: new nameservers, timeout, TTL and bound; the cache is dropped.
  // Lookups in flight finish with the settings they started with.
  void configure(const config::SenderVerification& settings);

  // A cached answer, if one is fresh.
  std::optional<policy::SenderRoute> cached(const std::string& domain);
  // The answer for a domain; the caller resumes on its own executor. A
  // cancelled wait (cancellation slot: a deadline, a shutdown) ends at once
  // with a temporary failure; the lookup goes on for the other waiters.
  boost::asio::awaitable<policy::SenderRoute> lookup(std::string domain);
  // The detail of a wait that ended before DNS answered.
  static constexpr const char* kWaitEnded = "the wait for DNS ended before an answer came";

  // The DNS question itself (MX, then A, then AAAA), on the resolver's thread.
  boost::asio::awaitable<policy::SenderRoute> ask_dns(std::string domain, config::SenderVerification settings);

  struct Stats {
    std::uint64_t lookups = 0;    // started (one per domain at a time)
    std::uint64_t coalesced = 0;  // waits that joined a lookup in flight
    std::uint64_t refused = 0;    // answered "busy": max_lookups_in_flight reached
    std::uint64_t abandoned = 0;  // waits cancelled before their answer
    std::uint64_t in_flight = 0;  // lookups now
    std::uint64_t waiting = 0;    // waits now
  };
  Stats stats();

 private:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    policy::SenderRoute route;
    Clock::time_point expires;
  };
  struct Waiter {
    std::uint64_t id;
    boost::asio::any_completion_handler<void(policy::SenderRoute)> handler;
    boost::asio::any_io_executor executor;  // the caller's, work tracked
    boost::asio::cancellation_slot slot;
  };
  static constexpr std::size_t kMaxEntries = 10000;

  void start(std::string domain, config::SenderVerification settings, std::uint64_t generation);
  boost::asio::awaitable<void> run(std::string domain, config::SenderVerification settings, std::uint64_t generation);
  void leave(const std::string& domain, std::uint64_t id);
  static void complete(Waiter w, policy::SenderRoute route);

  Query query_;
  std::mutex mutex_;
  config::SenderVerification settings_;
  std::uint64_t generation_ = 0;  // settings_'s; the cache takes answers of the current one only
  std::unordered_map<std::string, Entry> cache_;
  std::unordered_map<std::string, std::vector<Waiter>> pending_;  // domain -> its waits, one lookup each
  std::uint64_t next_id_ = 0;
  bool stopping_ = false;
  Stats stats_;

  // The resolver's thread and what only it touches.
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::shared_ptr<DnsChannel> channel_;  // asks the servers in settings_of_channel_
  config::SenderVerification settings_of_channel_;
  std::vector<std::weak_ptr<DnsChannel>> channels_;  // every channel with questions, for the stop
  std::thread thread_;
};

}  // namespace relaymock::relay
