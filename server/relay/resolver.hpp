// DNS answers for sender verification (mode system): MX, then A/AAAA, asked
// through glibc's libresolv on a small thread pool so a slow or silent DNS
// server never blocks the event loop. Answers are cached for cache_ttl;
// temporary failures are not cached.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "config/config.hpp"
#include "policy/sender_route.hpp"

namespace relaymock::relay {

class Resolver {
 public:
  // The question asked on the pool: DNS by default; tests give their own.
  using Query = std::function<policy::SenderRoute(const std::string&, const config::SenderVerification&)>;

  explicit Resolver(const config::SenderVerification& settings, std::size_t threads = 2, Query query = &Resolver::query);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // SIGHUP: new nameservers, timeout and TTL; the cache is dropped.
  void configure(const config::SenderVerification& settings);

  // A cached answer, if one is fresh.
  std::optional<policy::SenderRoute> cached(const std::string& domain);
  // Asks DNS on the pool; the caller resumes on its own executor.
  boost::asio::awaitable<policy::SenderRoute> lookup(std::string domain);

  // The blocking query itself, exposed for tests.
  static policy::SenderRoute query(const std::string& domain, const config::SenderVerification& settings);

 private:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    policy::SenderRoute route;
    Clock::time_point expires;
  };
  static constexpr std::size_t kMaxEntries = 10000;

  Query query_;
  boost::asio::thread_pool pool_;
  std::mutex mutex_;
  config::SenderVerification settings_;
  std::unordered_map<std::string, Entry> cache_;
};

}  // namespace relaymock::relay
