#include "net/connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "util/log.hpp"

namespace relaymock::net {

using namespace std::chrono_literals;
using asio::redirect_error;
using asio::use_awaitable;

namespace {
// Plain and TLS sockets read into this per-thread buffer right after a
// readiness wait, so an idle connection holds no read buffer at all.
constexpr std::size_t kReadBuffer = 64 * 1024;
thread_local char t_read_buffer[kReadBuffer];
}  // namespace

Connection::Connection(std::unique_ptr<Transport> transport, ConnectionSetup setup, relay::Service& services,
                       std::string session_id, std::string client_ip)
    : io_(std::move(transport)),
      setup_(std::move(setup)),
      services_(services),
      handler_(services, std::move(session_id)),
      client_ip_(std::move(client_ip)),
      deadline_(io_->executor()) {}

Connection::~Connection() = default;

void Connection::set_deadline(std::chrono::milliseconds d) { deadline_.expires_after(d); }

asio::awaitable<void> Connection::watchdog() {
  auto self = shared_from_this();
  while (!done_) {
    boost::system::error_code ec;
    co_await deadline_.async_wait(redirect_error(use_awaitable, ec));
    if (done_) break;
    if (deadline_.expiry() > asio::steady_timer::clock_type::now()) continue;  // moved on
    if (!expired_) {
      // First expiry: stop the pending read or write so the session can answer 421.
      expired_ = true;
      io_->cancel();
      stop_dns_wait_.emit(asio::cancellation_type::terminal);
      deadline_.expires_after(setup_.final_write);
    } else {
      // The client would not even take the 421: drop it.
      io_->close();
      break;
    }
  }
}

void Connection::shutdown(std::chrono::milliseconds grace) {
  asio::post(io_->executor(), [self = shared_from_this(), grace] {
    if (self->done_ || self->shutting_) return;
    self->shutting_ = true;
    if (self->session_ && self->session_->in_content()) {
      // Let the message in flight finish within the grace period.
      self->set_deadline(grace);
    } else {
      self->io_->cancel();
      self->stop_dns_wait_.emit(asio::cancellation_type::terminal);
    }
  });
}

asio::awaitable<void> Connection::wait_for_dns() {
  // Its own coroutine, so the cancellation reaches only this wait (the
  // resolver's lookup goes on for other sessions asking the same domain).
  auto executor = co_await asio::this_coro::executor;
  auto [failed] = co_await asio::co_spawn(executor, handler_.complete_lookup(),
                                          asio::bind_cancellation_slot(stop_dns_wait_.slot(),
                                                                       asio::as_tuple(use_awaitable)));
  stop_dns_wait_.slot().clear();
  // A cancelled wait left the answer "temporary failure" (Transaction::lookup).
  if (failed) logger().debug("DNS wait ended early", {{"session", handler_.session_id()}});
}

asio::awaitable<void> Connection::pause(std::chrono::milliseconds d) {
  if (d.count() <= 0) co_return;
  asio::steady_timer t(deadline_.get_executor());
  t.expires_after(d);
  boost::system::error_code ec;
  co_await t.async_wait(redirect_error(use_awaitable, ec));
}

// Under a throttle fault: bytes moved per step, ten steps a second.
std::size_t Connection::throttle_chunk() const {
  if (setup_.fault.kind != config::Fault::Kind::Throttle) return kReadBuffer;
  return static_cast<std::size_t>(std::clamp<std::uint64_t>(setup_.fault.bytes_per_second / 10, 1, kReadBuffer));
}

// tls_handshake_fail: take the ClientHello, answer with a fatal
// handshake_failure alert (what a server with no shared cipher sends), close.
asio::awaitable<void> Connection::fail_tls_handshake() {
  set_deadline(setup_.timeouts.tls_handshake);
  boost::system::error_code ec;
  co_await io_->read(t_read_buffer, kReadBuffer, ec);
  static const char alert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28};
  co_await io_->write(std::string_view(alert, sizeof alert), ec);
  logger().info("TLS handshake failed on purpose", {{"session", handler_.session_id()}, {"client", client_ip_},
                                                    {"fault", "tls_handshake_fail"}});
}

// blackhole: accepted, never answered; whatever comes is read and dropped
// until the client gives up (or the command timeout passes).
asio::awaitable<void> Connection::swallow_until_closed() {
  set_deadline(setup_.timeouts.command);
  boost::system::error_code ec;
  while (!expired_ && !shutting_) {
    auto n = co_await io_->read(t_read_buffer, kReadBuffer, ec);
    if (ec || n == 0) break;
  }
}

asio::awaitable<std::size_t> Connection::read_some(boost::system::error_code& ec) {
  // Into the buffer of the thread that resumed: the transport reads right
  // after its readiness wait.
  co_return co_await io_->read(t_read_buffer, throttle_chunk(), ec);
}

asio::awaitable<bool> Connection::flush() {
  auto& out = session_->output();
  if (out.empty()) co_return true;
  boost::system::error_code ec;
  const std::size_t step = throttle_chunk();
  for (std::size_t off = 0; off < out.size() && !ec; off += step) {
    std::string_view piece = std::string_view(out).substr(off, step);
    co_await io_->write(piece, ec);
    if (setup_.fault.kind == config::Fault::Kind::Throttle && off + step < out.size())
      co_await pause(std::chrono::milliseconds(piece.size() * 1000 / setup_.fault.bytes_per_second));
  }
  out.clear();
  if (out.capacity() > 4096) std::string().swap(out);
  co_return !ec;
}

asio::awaitable<bool> Connection::handshake() {
  set_deadline(setup_.timeouts.tls_handshake);
  boost::system::error_code ec;
  try {
    co_await io_->start_tls(setup_.tls ? setup_.tls->native_handle() : nullptr, ec);
  } catch (const std::exception& e) {
    logger().error("TLS setup failed", {{"session", handler_.session_id()}, {"error", e.what()}});
    co_return false;
  }
  if (ec) {
    logger().info("TLS handshake failed", {{"session", handler_.session_id()}, {"client", client_ip_},
                                           {"error", expired_ ? std::string("timeout") : ec.message()}});
    co_return false;
  }
  services_.metrics().tls_sessions_total++;
  co_return true;
}

asio::awaitable<void> Connection::run() {
  auto self = shared_from_this();
  boost::system::error_code ec;
  auto local_port = io_->local_port();
  // The watchdog must never see the timer's default (past) expiry: that read
  // as a timeout during a slow greeting, and the first command got 421.
  set_deadline(setup_.timeouts.command);
  asio::co_spawn(io_->executor(), watchdog(), asio::detached);
  handler_.opened(client_ip_, local_port, setup_.mode == config::TlsMode::Implicit, setup_.profile);
  services_.session_opened(handler_.origin());

  bool implicit = setup_.mode == config::TlsMode::Implicit;
  using Fault = config::Fault::Kind;
  const auto fault = setup_.fault.kind;
  if (fault != Fault::None)
    logger().debug("listener fault", {{"session", handler_.session_id()}, {"fault", config::fault_text(setup_.fault)}});
  if (fault == Fault::Reset) {
    io_->reset();  // accepted, then a TCP reset
  } else if (fault == Fault::Blackhole) {
    co_await swallow_until_closed();
  } else if (fault == Fault::TlsHandshakeFail && implicit) {
    co_await fail_tls_handshake();
  } else if (!implicit || co_await handshake()) {
    // An implicit-TLS listener never speaks cleartext: no handshake, no greeting.
    smtp::Settings const& settings = *setup_.settings;
    session_.emplace(settings, handler_, smtp::ClientInfo{client_ip_, local_port, implicit});
    // Our own delays before the greeting are not the client's time.
    if (fault == Fault::SlowGreeting) {
      set_deadline(setup_.fault.delay + setup_.timeouts.command);
      co_await pause(setup_.fault.delay);
    }
    session_->greet(setup_.date());
    auto connect_delay = session_->take_delay();  // a connect scenario's
    set_deadline(connect_delay + setup_.timeouts.command);
    co_await pause(connect_delay);
    set_deadline(setup_.timeouts.command);
    std::uint64_t seen = 0;
    bool was_content = false;
    // PIPECONNECT (advertised, as Exim does): a client that sent its EHLO
    // before the greeting gets the greeting and the EHLO reply in one write,
    // so the greeting waits for the input already here. Only cleartext
    // counts, so the read below never waits for a client that waits for us.
    bool early = settings.offers("PIPECONNECT") && !implicit && fault != Fault::CloseAfterGreeting && !session_->closing() && io_->input_waiting();
    bool ok = early || co_await flush();
    if (fault == Fault::CloseAfterGreeting) ok = false;
    while (ok && !session_->closing()) {
      if (shutting_ && !session_->in_content()) {
        session_->shutdown();
        break;
      }
      std::size_t n = co_await read_some(ec);
      if (ec || n == 0) {
        if (shutting_) session_->shutdown();
        else if (expired_) session_->timeout();
        else session_->disconnected();
        break;
      }
      services_.metrics().bytes_received_total += n;
      session_->feed(std::string_view(t_read_buffer, n));
      if (fault == Fault::Throttle) co_await pause(std::chrono::milliseconds(n * 1000 / setup_.fault.bytes_per_second));
      // A RCPT waits for DNS (sender verification), a message for its
      // durable commit: nothing more is read meanwhile; the lookup and the
      // commit run off the event loop. A commit is always waited for and
      // answered, even past the deadline: the store has decided.
      while (session_->paused() && (!expired_ || session_->delivering())) {
        if (session_->delivering()) co_await handler_.complete_lookup();
        else co_await wait_for_dns();
        if (!expired_ || session_->delivering()) session_->resume();
      }
      if (expired_) {
        session_->timeout();
        co_await flush();
        break;
      }
      // Deadlines run per command (not per read) and for the whole of a
      // message: DATA's content, or every chunk of a BDAT sequence.
      if (session_->in_message()) {
        if (!was_content) set_deadline(setup_.timeouts.data);
      } else if (was_content || session_->commands_seen() != seen) {
        set_deadline(setup_.timeouts.command);
      }
      was_content = session_->in_message();
      seen = session_->commands_seen();
      co_await pause(session_->take_delay());  // AUTH slowdown, a scenario's delay
      ok = co_await flush();
      if (ok && session_->wants_tls()) {
        if (fault == Fault::TlsHandshakeFail) {
          co_await fail_tls_handshake();
          break;
        }
        if (!co_await handshake()) break;
        session_->tls_started();
        set_deadline(setup_.timeouts.command);
      }
    }
    if (ok) co_await flush();
    if (!session_->closing()) session_->disconnected();
  }
  done_ = true;
  services_.session_closed(handler_.origin());
  deadline_.cancel();
  io_->close();
}

}  // namespace relaymock::net
