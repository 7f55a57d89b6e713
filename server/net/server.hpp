// Listeners and the connections they accept: limits, graceful shutdown,
// config reload.
#pragma once
#include <atomic>
#include <functional>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "net/connection.hpp"
#include "net/tls.hpp"
#include "util/clock.hpp"
#include "util/errors.hpp"

namespace relaymock::net {

using tcp = boost::asio::ip::tcp;

class Server {
 public:
  // Listeners run on contexts[0]; connections are dealt round-robin over all
  // of them, each context being run by one thread.
  Server(std::vector<asio::io_context*> contexts, std::shared_ptr<const config::Config> cfg, relay::Service& services,
         const Clock& clock, TlsSetup tls);

  // Binds every listener or throws StartupError naming the one that failed.
  void bind();
  void start();
  // Stops accepting; idle sessions get 421 at once, DATA in flight gets `grace`.
  // `drained` runs (on some thread) once the last connection has ended.
  void stop(std::chrono::milliseconds grace, std::function<void()> drained);
  // Applies a reloaded config to new sessions (listeners stay as they are).
  void reload(std::shared_ptr<const config::Config> cfg);

  std::vector<std::uint16_t> bound_ports() const;

  // The listeners as configured, each with its current fault.
  std::vector<config::Listener> listeners() const;
  // A new fault for the listener on `port`, from now on (connections already
  // open keep theirs). Call on contexts[0]'s thread (the HTTP API's): the
  // acceptors live there. nullopt with `error` for an unknown port or a
  // listener that cannot reopen after `refuse`.
  std::optional<config::Listener> set_fault(std::uint16_t port, const config::Fault& fault, std::string& error);

 private:
  struct Listener {
    config::Listener cfg;  // cfg.fault is guarded by mutex_
    tcp::acceptor acceptor;
  };
  // Opens, binds and listens; a StartupError-worthy message in `error`.
  bool open_acceptor(Listener& l, std::string& error);
  asio::awaitable<void> accept_loop(Listener& l);
  asio::awaitable<void> refuse(tcp::socket socket, std::string reply);
  ConnectionSetup setup_for(const config::Listener& l);
  bool admit(const std::string& ip, std::string& refusal);
  void release(const std::string& ip, std::uint64_t session);

  asio::io_context& ioc_;  // contexts_[0]
  std::vector<asio::io_context*> contexts_;
  std::atomic<std::size_t> next_context_{0};
  relay::Service& services_;
  // Session ids are "<boot>-<n>": unique across restarts, so a durable store's
  // events never mix two runs' sessions.
  std::string session_prefix_ = make_session_prefix();
  static std::string make_session_prefix();
  const Clock& clock_;
  TlsSetup tls_;
  std::list<Listener> listeners_;

  mutable std::mutex mutex_;  // guards everything below
  std::shared_ptr<const config::Config> cfg_;
  // By listener mode and profile name.
  std::map<std::pair<config::TlsMode, std::string>, std::shared_ptr<const smtp::Settings>> settings_;
  std::map<std::string, std::uint32_t> per_ip_;
  std::uint32_t active_ = 0;
  std::map<std::uint64_t, std::weak_ptr<Connection>> connections_;  // by session number
  bool stopping_ = false;
  std::function<void()> drained_;
  std::uint64_t next_session_ = 0;
};

}  // namespace relaymock::net
