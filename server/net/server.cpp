#include "net/server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <ctime>

#include "util/dates.hpp"
#include "util/random.hpp"
#include "util/log.hpp"
#include "smtp/message_id.hpp"

namespace relaymock::net {

using namespace std::chrono_literals;
using asio::redirect_error;
using asio::use_awaitable;

Server::Server(std::vector<asio::io_context*> contexts, std::shared_ptr<const config::Config> cfg, relay::Service& services,
               const Clock& clock, TlsSetup tls)
    : ioc_(*contexts.at(0)), contexts_(std::move(contexts)), services_(services), clock_(clock), tls_(std::move(tls)) {
  reload(std::move(cfg));
}

namespace {

// A session's settings on a listener of `mode` under profile `p`.
std::shared_ptr<const smtp::Settings> make_settings(const config::Config& cfg, config::TlsMode mode,
                                                    const config::Profile& p) {
  auto s = std::make_shared<smtp::Settings>();
  s->hostname = cfg.server.hostname;
  s->version = RELAYMOCK_VERSION;
  s->limits.max_message_size = cfg.server.max_message_size;
  s->limits.max_recipients = cfg.server.max_recipients;
  s->starttls_offered = mode == config::TlsMode::StartTls;
  s->enhanced_codes = p.enhanced_codes.value_or(cfg.server.enhanced_status_codes);
  s->provider_banner = cfg.server.provider_banner;
  s->replies = config::success_replies(cfg, &p);
  if (p.name != "smtp2go") {
    const config::Profile& generic = *config::find_profile("generic");
    if (cfg.server.provider_banner) s->greeting = std::string(p.greeting.empty() ? generic.greeting : p.greeting);
    s->ehlo_first = std::string(p.ehlo_first.empty() ? generic.ehlo_first : p.ehlo_first);
    const auto& keywords = p.ehlo.empty() ? generic.ehlo : p.ehlo;
    s->ehlo.assign(keywords.begin(), keywords.end());
    if (auto r = config::profile_reply(p, "size_exceeded")) s->size_exceeded = r->reply;
    if (auto r = config::profile_reply(p, "too_many_recipients")) s->too_many_recipients = r->reply;
  }
  return s;
}

}  // namespace

void Server::reload(std::shared_ptr<const config::Config> cfg) {
  std::lock_guard lock(mutex_);
  settings_.clear();
  for (const auto& p : config::profiles())
    for (auto mode : {config::TlsMode::None, config::TlsMode::StartTls, config::TlsMode::Implicit})
      settings_[{mode, std::string(p.name)}] = make_settings(*cfg, mode, p);
  cfg_ = std::move(cfg);
}

void Server::bind() {
  std::shared_ptr<const config::Config> cfg;
  {
    std::lock_guard lock(mutex_);
    cfg = cfg_;
  }
  for (const auto& l : cfg->server.listeners) {
    // stop() closes the acceptor from another thread: a strand.
    auto& added = listeners_.emplace_back(Listener{l, tcp::acceptor(asio::make_strand(ioc_))});
    std::string error;
    if (!open_acceptor(added, error)) throw StartupError(error);
    // refuse: the port was free (checked above) and is closed until the fault changes.
    if (l.fault.kind == config::Fault::Kind::Refuse) {
      boost::system::error_code ec;
      added.acceptor.close(ec);
    }
  }
}

bool Server::open_acceptor(Listener& li, std::string& error) {
  const auto& l = li.cfg;
  auto& acc = li.acceptor;
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(l.address, ec);
  if (ec) {
    error = "listener " + l.address + ":" + std::to_string(l.port) + ": bad address";
    return false;
  }
  tcp::endpoint ep(addr, l.port);
  std::string where = "cannot listen on " + l.address + ":" + std::to_string(l.port) + " (" +
                      config::tls_mode_name(l.tls) + "): ";
  acc.open(ep.protocol(), ec);
  if (!ec) acc.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec && addr.is_v6()) acc.set_option(asio::ip::v6_only(false), ec);
  if (!ec) acc.bind(ep, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) return true;
  boost::system::error_code ignored;
  acc.close(ignored);
  if (ec == asio::error::address_in_use) error = where + "the port is already in use";
  else if (ec == asio::error::access_denied)
    error = where + (l.port < 1024 ? "ports below 1024 need root or CAP_NET_BIND_SERVICE" : "permission denied");
  else if (ec == boost::system::errc::address_not_available) error = where + "no such local address";
  else error = where + ec.message();
  return false;
}

std::vector<config::Listener> Server::listeners() const {
  std::lock_guard lock(mutex_);
  std::vector<config::Listener> out;
  for (const auto& l : listeners_) out.push_back(l.cfg);
  return out;
}

std::optional<config::Listener> Server::set_fault(std::uint16_t port, const config::Fault& fault, std::string& error) {
  auto it = std::find_if(listeners_.begin(), listeners_.end(), [&](const Listener& l) { return l.cfg.port == port; });
  if (it == listeners_.end()) {
    error = "no listener on port " + std::to_string(port);
    return std::nullopt;
  }
  config::Fault before;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      error = "shutting down";
      return std::nullopt;
    }
    before = it->cfg.fault;
  }
  using K = config::Fault::Kind;
  if (fault.kind == K::Refuse && before.kind != K::Refuse) {
    boost::system::error_code ec;
    it->acceptor.close(ec);  // its accept loop ends with operation_aborted
  } else if (fault.kind != K::Refuse && before.kind == K::Refuse) {
    if (!open_acceptor(*it, error)) return std::nullopt;
    asio::co_spawn(it->acceptor.get_executor(), accept_loop(*it), asio::detached);
  }
  std::lock_guard lock(mutex_);
  it->cfg.fault = fault;
  logger().info("listener fault", {{"port", std::to_string(port)}, {"fault", config::fault_text(fault)},
                                   {"was", config::fault_text(before)}});
  return it->cfg;
}

std::vector<std::uint16_t> Server::bound_ports() const {
  std::vector<std::uint16_t> out;
  for (const auto& l : listeners_) {
    boost::system::error_code ec;
    out.push_back(l.acceptor.local_endpoint(ec).port());
  }
  return out;
}

void Server::start() {
  for (auto& l : listeners_) {
    bool refused = l.cfg.fault.kind == config::Fault::Kind::Refuse;
    logger().info(refused ? "listener closed (fault refuse)" : "listening",
                  {{"address", l.cfg.address}, {"port", std::to_string(l.cfg.port)},
                   {"tls", config::tls_mode_name(l.cfg.tls)}, {"fault", config::fault_text(l.cfg.fault)}});
    if (!refused) asio::co_spawn(l.acceptor.get_executor(), accept_loop(l), asio::detached);
  }
}

ConnectionSetup Server::setup_for(const config::Listener& l) {
  std::lock_guard lock(mutex_);
  ConnectionSetup s;
  // The profile as the current config says (a reload may change it; the
  // listener itself stays as bound).
  std::string profile = l.profile;
  for (const auto& now : cfg_->server.listeners)
    if (now.port == l.port) profile = now.profile;
  if (profile.empty()) profile = cfg_->server.profile;
  s.profile = config::find_profile(profile);
  if (!s.profile) s.profile = &config::default_profile();
  s.settings = settings_[{l.tls, std::string(s.profile->name)}];
  s.tls = tls_.context;
  s.mode = l.tls;
  s.timeouts = cfg_->server.timeouts;
  s.fault = l.fault;
  if (s.fault.kind == config::Fault::Kind::Throttle && (s.fault.chance < 1.0 || s.fault.up_to > s.fault.bytes_per_second)) {
    // This connection's draw: throttled or not, and at what rate.
    const double u = static_cast<double>(random_u64() >> 11) * 0x1.0p-53;
    if (u >= s.fault.chance) {
      s.fault = config::Fault{};
    } else if (s.fault.up_to > s.fault.bytes_per_second) {
      s.fault.bytes_per_second += random_u64() % (s.fault.up_to - s.fault.bytes_per_second + 1);
    }
  }
  s.date = [&clock = clock_] { return rfc5322_date(clock.now()); };
  return s;
}

std::string Server::make_session_prefix() {
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out;
  for (auto v = static_cast<std::uint64_t>(secs); v; v /= 36) out.insert(out.begin(), digits[v % 36]);
  // Four random digits: two starts in the same second (a quick restart,
  // kill -9 and start again) never share a prefix.
  auto r = random_u64();
  for (int i = 0; i < 4; ++i, r /= 36) out += digits[r % 36];
  return out + "-";
}

bool Server::admit(const std::string& ip, std::string& refusal) {
  std::lock_guard lock(mutex_);
  if (stopping_) {
    refusal = "421 " + cfg_->server.hostname + ": Service not available - closing connection\r\n";
    return false;
  }
  if (active_ >= cfg_->server.max_connections) {
    refusal = "421 Too many concurrent SMTP connections; please try again later.\r\n";
    return false;
  }
  auto& n = per_ip_[ip];
  if (n >= cfg_->server.max_connections_per_ip) {
    if (n == 0) per_ip_.erase(ip);
    refusal = "421 Too many concurrent SMTP connections from this IP address; please try again later.\r\n";
    return false;
  }
  ++n;
  ++active_;
  return true;
}

void Server::release(const std::string& ip, std::uint64_t session) {
  std::function<void()> drained;
  {
    std::lock_guard lock(mutex_);
    --active_;
    auto it = per_ip_.find(ip);
    if (it != per_ip_.end() && --it->second == 0) per_ip_.erase(it);
    connections_.erase(session);
    if (stopping_ && active_ == 0) drained = std::move(drained_);
  }
  if (drained) drained();
}

asio::awaitable<void> Server::refuse(tcp::socket socket, std::string reply) {
  // Best effort and bounded: the reply fits the socket buffer, the socket is non-blocking.
  boost::system::error_code ec;
  socket.non_blocking(true, ec);
  asio::write(socket, asio::buffer(reply), ec);
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
  co_return;
}

asio::awaitable<void> Server::accept_loop(Listener& l) {
  asio::steady_timer backoff(ioc_);
  while (true) {
    boost::system::error_code ec;
    // The connection's context runs on one thread: its executor needs no strand.
    auto& home = *contexts_[next_context_++ % contexts_.size()];
    tcp::socket socket = co_await l.acceptor.async_accept(home, redirect_error(use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !l.acceptor.is_open()) co_return;
    if (ec) {
      // Out of descriptors or memory: wait instead of spinning; service resumes when they free up.
      logger().warning("accept failed", {{"port", std::to_string(l.cfg.port)}, {"error", ec.message()}});
      backoff.expires_after(100ms);
      co_await backoff.async_wait(redirect_error(use_awaitable, ec));
      continue;
    }
    auto remote = socket.remote_endpoint(ec);
    if (ec) continue;
    auto addr = remote.address();
    if (addr.is_v6() && addr.to_v6().is_v4_mapped()) addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
    std::string ip = addr.to_string();
    std::string refusal;
    if (!admit(ip, refusal)) {
      services_.metrics().connections_refused_total++;
      logger().info("connection refused", {{"client", ip}, {"port", std::to_string(l.cfg.port)}, {"reply", refusal.substr(0, refusal.size() - 2)}});
      auto exec = socket.get_executor();
      asio::co_spawn(exec, refuse(std::move(socket), std::move(refusal)), asio::detached);
      continue;
    }
    std::uint64_t number;
    {
      std::lock_guard lock(mutex_);
      number = ++next_session_;
    }
    auto exec = socket.get_executor();
    auto conn = std::make_shared<Connection>(std::make_unique<SocketTransport>(std::move(socket)), setup_for(l.cfg), services_,
                                             session_prefix_ + std::to_string(number), ip);
    {
      std::lock_guard lock(mutex_);
      connections_.emplace(number, conn);
    }
    // The completion handler holds `conn` until run() has finished: the
    // coroutine itself only has `this`.
    asio::co_spawn(exec, conn->run(), [this, ip, number, conn](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          logger().error("connection failed", {{"client", ip}, {"error", ex.what()}});
        }
      }
      release(ip, number);
    });
  }
}

void Server::stop(std::chrono::milliseconds grace, std::function<void()> drained) {
  std::vector<std::weak_ptr<Connection>> conns;
  bool idle;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (const auto& [n, w] : connections_) conns.push_back(w);
    idle = active_ == 0;
    if (!idle) drained_ = std::move(drained);
  }
  if (idle && drained) drained();
  for (auto& l : listeners_) {
    asio::post(l.acceptor.get_executor(), [&l] {
      boost::system::error_code ec;
      l.acceptor.close(ec);
    });
  }
  for (auto& w : conns)
    if (auto c = w.lock()) c->shutdown(grace);
}

}  // namespace relaymock::net
