#include "relay/resolver.hpp"

#include <arpa/nameser.h>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "relay/dns_channel.hpp"
#include "util/thread_name.hpp"

namespace relaymock::relay {

namespace asio = boost::asio;
using policy::SenderRoute;

namespace {

bool null_mx(const std::string& record) {
  // RFC 7505: a single "MX 0 ." (the root prints as "" or ".").
  return record == "0 " || record == "0 .";
}

bool same_servers(const config::SenderVerification& a, const config::SenderVerification& b) {
  if (a.dns_timeout != b.dns_timeout || a.nameservers.size() != b.nameservers.size()) return false;
  for (std::size_t i = 0; i < a.nameservers.size(); ++i)
    if (a.nameservers[i].address != b.nameservers[i].address || a.nameservers[i].port != b.nameservers[i].port)
      return false;
  return true;
}

}  // namespace

Resolver::Resolver(const config::SenderVerification& settings, Query query)
    : query_(std::move(query)), settings_(settings), work_(ioc_.get_executor()), thread_([this] {
        name_this_thread("rm-dns");
        ioc_.run();
      }) {}

Resolver::~Resolver() {
  std::vector<Waiter> left;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (auto& [domain, waiters] : pending_)
      for (auto& w : waiters) left.push_back(std::move(w));
    for (auto& [domain, waiters] : pending_) waiters.clear();
  }
  for (auto& w : left) complete(std::move(w), {SenderRoute::Kind::TempFail, "relaymock is stopping"});
  // Questions in flight end at once; their lookups then finish and the
  // thread runs out of work.
  asio::post(ioc_, [this] {
    for (auto& c : channels_)
      if (auto live = c.lock()) live->cancel();
    channel_.reset();
  });
  work_.reset();
  thread_.join();
}

void Resolver::configure(const config::SenderVerification& settings) {
  std::lock_guard lock(mutex_);
  settings_ = settings;
  ++generation_;
  cache_.clear();
}

std::optional<SenderRoute> Resolver::cached(const std::string& domain) {
  std::lock_guard lock(mutex_);
  auto it = cache_.find(domain);
  if (it == cache_.end()) return std::nullopt;
  if (it->second.expires <= Clock::now()) {
    cache_.erase(it);
    return std::nullopt;
  }
  return it->second.route;
}

Resolver::Stats Resolver::stats() {
  std::lock_guard lock(mutex_);
  Stats s = stats_;
  s.in_flight = pending_.size();
  for (const auto& [domain, waiters] : pending_) s.waiting += waiters.size();
  return s;
}

void Resolver::complete(Waiter w, SenderRoute route) {
  // On the caller's executor: its cancellation slot is touched only there.
  asio::post(w.executor, [h = std::move(w.handler), slot = w.slot, r = std::move(route)]() mutable {
    if (slot.is_connected()) slot.clear();
    std::move(h)(std::move(r));
  });
}

asio::awaitable<SenderRoute> Resolver::lookup(std::string domain) {
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(SenderRoute)>(
      [this](auto handler, const std::string& d) {
        auto slot = asio::get_associated_cancellation_slot(handler);
        asio::any_io_executor executor =
            asio::prefer(asio::get_associated_executor(handler), asio::execution::outstanding_work.tracked);
        Waiter w{0, std::move(handler), std::move(executor), slot};
        std::unique_lock lock(mutex_);
        if (stopping_) {
          lock.unlock();
          complete(std::move(w), {SenderRoute::Kind::TempFail, "relaymock is stopping"});
          return;
        }
        auto it = pending_.find(d);
        bool first = it == pending_.end();
        if (first && pending_.size() >= settings_.max_lookups_in_flight) {
          ++stats_.refused;
          auto bound = settings_.max_lookups_in_flight;
          lock.unlock();
          complete(std::move(w), {SenderRoute::Kind::TempFail,
                                  "resolver busy: " + std::to_string(bound) +
                                      " lookups in flight (sender_verification.max_lookups_in_flight)"});
          return;
        }
        if (first) {
          it = pending_.emplace(d, std::vector<Waiter>{}).first;
          ++stats_.lookups;
        } else {
          ++stats_.coalesced;
        }
        w.id = ++next_id_;
        if (slot.is_connected()) slot.assign([this, d, id = w.id](asio::cancellation_type) { leave(d, id); });
        it->second.push_back(std::move(w));
        if (first) {
          asio::post(ioc_, [this, d, settings = settings_, generation = generation_] {
            start(d, settings, generation);
          });
        }
      },
      asio::use_awaitable, domain);
}

void Resolver::leave(const std::string& domain, std::uint64_t id) {
  std::optional<Waiter> gone;
  {
    std::lock_guard lock(mutex_);
    auto it = pending_.find(domain);
    if (it == pending_.end()) return;
    auto& waiters = it->second;
    for (auto w = waiters.begin(); w != waiters.end(); ++w)
      if (w->id == id) {
        gone.emplace(std::move(*w));
        waiters.erase(w);
        ++stats_.abandoned;
        break;
      }
  }
  if (gone) complete(std::move(*gone), {SenderRoute::Kind::TempFail, kWaitEnded});
}

void Resolver::start(std::string domain, config::SenderVerification settings, std::uint64_t generation) {
  asio::co_spawn(ioc_, run(std::move(domain), std::move(settings), generation), asio::detached);
}

asio::awaitable<void> Resolver::run(std::string domain, config::SenderVerification settings, std::uint64_t generation) {
  SenderRoute route;
  try {
    // (No co_await inside ?: : g++ 12 evaluates both arms.)
    if (query_) route = co_await query_(domain, settings);
    else route = co_await ask_dns(domain, settings);
  } catch (const std::exception& e) {
    route = {SenderRoute::Kind::TempFail, std::string("resolver error: ") + e.what()};
  }
  std::vector<Waiter> waiters;
  {
    std::lock_guard lock(mutex_);
    if (route.kind != SenderRoute::Kind::TempFail && settings.cache_ttl.count() > 0 && generation == generation_) {
      if (cache_.size() >= kMaxEntries) {
        auto now = Clock::now();
        std::erase_if(cache_, [now](const auto& kv) { return kv.second.expires <= now; });
        if (cache_.size() >= kMaxEntries) cache_.clear();
      }
      cache_[domain] = Entry{route, Clock::now() + settings.cache_ttl};
    }
    if (auto it = pending_.find(domain); it != pending_.end()) {
      waiters = std::move(it->second);
      pending_.erase(it);
    }
  }
  for (auto& w : waiters) complete(std::move(w), route);
}

asio::awaitable<SenderRoute> Resolver::ask_dns(std::string domain, config::SenderVerification settings) {
  // On the resolver's thread: channel_ is its alone.
  if (!channel_ || !same_servers(settings, settings_of_channel_)) {
    channel_ = DnsChannel::open(ioc_, settings);
    settings_of_channel_ = settings;
    std::erase_if(channels_, [](const auto& c) { return c.expired(); });
    channels_.push_back(channel_);
  }
  auto channel = channel_;
  auto done = [](SenderRoute::Kind k, std::string detail) { return SenderRoute{k, std::move(detail)}; };

  auto mx = co_await channel->ask(domain, ns_t_mx);
  using S = DnsAnswer::Status;
  if (mx.status == S::NoDomain) co_return done(SenderRoute::Kind::NoDomain, "NXDOMAIN (no such domain)");
  if (mx.status == S::TempFail) co_return done(SenderRoute::Kind::TempFail, "MX lookup: " + mx.error);
  if (mx.status == S::Records) {
    for (const auto& r : mx.records)
      if (!null_mx(r)) co_return done(SenderRoute::Kind::Routable, "MX " + r);
    co_return done(SenderRoute::Kind::NullMx, "null MX (RFC 7505): the domain accepts no mail");
  }
  // No MX: the domain itself is the mail host (RFC 5321 5.1) if it has an address.
  for (int type : {ns_t_a, ns_t_aaaa}) {
    auto a = co_await channel->ask(domain, type);
    const char* name = type == ns_t_a ? "A" : "AAAA";
    if (a.status == S::Records)
      co_return done(SenderRoute::Kind::Routable, std::string("no MX; ") + name + " " + a.records.front());
    if (a.status == S::NoDomain) co_return done(SenderRoute::Kind::NoDomain, "NXDOMAIN (no such domain)");
    if (a.status == S::TempFail) co_return done(SenderRoute::Kind::TempFail, std::string(name) + " lookup: " + a.error);
  }
  co_return done(SenderRoute::Kind::NoAddress, "no MX, A or AAAA record");
}

}  // namespace relaymock::relay
