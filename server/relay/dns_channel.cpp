#include "relay/dns_channel.hpp"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <poll.h>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>
#include <mutex>
#include <stdexcept>

namespace relaymock::relay {

namespace asio = boost::asio;

struct DnsChannel::Watch {
  explicit Watch(asio::io_context& ioc) : d(ioc) {}
  asio::posix::stream_descriptor d;
  ares_socket_t fd = ARES_SOCKET_BAD;
  bool want_read = false, want_write = false;
  bool reading = false, writing = false;
  bool open = true;  // false once c-ares let the socket go
};

struct DnsChannel::Op {
  asio::any_completion_handler<void(DnsAnswer)> handler;
  std::shared_ptr<DnsChannel> self;
  int type;
};

namespace {

DnsAnswer parse(int status, const unsigned char* abuf, int alen, int type) {
  DnsAnswer a;
  switch (status) {
    case ARES_SUCCESS: break;
    case ARES_ENODATA: a.status = DnsAnswer::Status::NoData; return a;
    case ARES_ENOTFOUND: a.status = DnsAnswer::Status::NoDomain; return a;
    default:
      a.status = DnsAnswer::Status::TempFail;
      switch (status) {
        case ARES_ETIMEOUT: a.error = "no answer within dns_timeout"; break;
        case ARES_ESERVFAIL: a.error = "SERVFAIL from the DNS server"; break;
        case ARES_EREFUSED: a.error = "the DNS server refused the query"; break;
        case ARES_ECONNREFUSED: a.error = "the DNS server is unreachable (connection refused)"; break;
        case ARES_ECANCELLED:
        case ARES_EDESTRUCTION: a.error = "the lookup was cancelled"; break;
        default: a.error = std::string("query failed: ") + ares_strerror(status); break;
      }
      return a;
  }
  ns_msg msg;
  if (ns_initparse(abuf, alen, &msg) < 0) {
    a.status = DnsAnswer::Status::TempFail;
    a.error = "malformed answer";
    return a;
  }
  for (int i = 0; i < ns_msg_count(msg, ns_s_an); ++i) {
    ns_rr rr;
    if (ns_parserr(&msg, ns_s_an, i, &rr) < 0) break;
    if (ns_rr_type(rr) != type) continue;  // e.g. the CNAME a recursive server followed
    const unsigned char* rd = ns_rr_rdata(rr);
    char text[NS_MAXDNAME + 16];
    if (type == ns_t_mx && ns_rr_rdlen(rr) >= 3) {
      unsigned pref = ns_get16(rd);
      char name[NS_MAXDNAME];
      if (ns_name_uncompress(ns_msg_base(msg), ns_msg_end(msg), rd + 2, name, sizeof name) < 0) continue;
      std::snprintf(text, sizeof text, "%u %s", pref, name);
    } else if (type == ns_t_a && ns_rr_rdlen(rr) == 4) {
      inet_ntop(AF_INET, rd, text, sizeof text);
    } else if (type == ns_t_aaaa && ns_rr_rdlen(rr) == 16) {
      inet_ntop(AF_INET6, rd, text, sizeof text);
    } else {
      continue;
    }
    a.records.emplace_back(text);
  }
  a.status = a.records.empty() ? DnsAnswer::Status::NoData : DnsAnswer::Status::Records;
  return a;
}

bool readable_now(ares_socket_t fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLIN | POLLERR | POLLHUP));
}

}  // namespace

DnsChannel::DnsChannel(asio::io_context& ioc) : ioc_(ioc), timer_(ioc) {}

std::shared_ptr<DnsChannel> DnsChannel::open(asio::io_context& ioc, const config::SenderVerification& settings) {
  static std::once_flag library;
  std::call_once(library, [] { ares_library_init(ARES_LIB_INIT_ALL); });
  std::shared_ptr<DnsChannel> c(new DnsChannel(ioc));
  ares_options o{};
  o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;  // the domain as given, never a search suffix
  o.timeout = static_cast<int>(std::max<std::int64_t>(1000, settings.dns_timeout.count()));
  o.tries = 1;  // each server once, like the libresolv settings before it
  o.sock_state_cb = &DnsChannel::on_socket_state;
  o.sock_state_cb_data = c.get();
  int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB;
  if (int rc = ares_init_options(&c->channel_, &o, mask); rc != ARES_SUCCESS)
    throw std::runtime_error(std::string("DNS resolver could not start: ") + ares_strerror(rc));
  if (!settings.nameservers.empty()) {
    std::string csv;
    for (const auto& ns : settings.nameservers)
      csv += (csv.empty() ? "" : ",") + ns.address + ":" + std::to_string(ns.port);
    if (int rc = ares_set_servers_ports_csv(c->channel_, csv.c_str()); rc != ARES_SUCCESS)
      throw std::runtime_error("DNS servers " + csv + " not usable: " + ares_strerror(rc));
  }
  return c;
}

DnsChannel::~DnsChannel() {
  // Only when nothing refers to it: no question is in flight, no wait armed.
  if (channel_) ares_destroy(channel_);
}

void DnsChannel::on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
  auto* self = static_cast<DnsChannel*>(data);
  auto it = self->watches_.find(fd);
  if (!readable && !writable) {
    if (it == self->watches_.end()) return;
    // c-ares closes the socket next: hand it back to c-ares first (release
    // deregisters it and aborts the waits; they see open == false).
    it->second->open = false;
    it->second->d.release();
    self->watches_.erase(it);
    return;
  }
  if (it == self->watches_.end()) {
    auto w = std::make_shared<Watch>(self->ioc_);
    boost::system::error_code ec;
    w->d.assign(fd, ec);
    if (ec) return;  // c-ares then times the question out
    w->fd = fd;
    it = self->watches_.emplace(fd, std::move(w)).first;
  }
  it->second->want_read = readable != 0;
  it->second->want_write = writable != 0;
  self->arm(it->second);
}

void DnsChannel::arm(const std::shared_ptr<Watch>& w) {
  auto self = shared_from_this();
  // A completed wait drains what it can (c-ares reads UDP to EAGAIN; a TCP
  // answer may take several reads), then re-arms in the same handler, so no
  // readiness is lost to epoll's edge triggering.
  if (w->want_read && !w->reading) {
    w->reading = true;
    w->d.async_wait(asio::posix::descriptor_base::wait_read, [self, w](boost::system::error_code ec) {
      w->reading = false;
      if (ec || !w->open) return;
      for (int i = 0; i < 16 && w->open; ++i) {
        ares_process_fd(self->channel_, w->fd, ARES_SOCKET_BAD);
        if (!w->open || !readable_now(w->fd)) break;
      }
      if (w->open) self->arm(w);
      self->arm_timer();
    });
  }
  if (w->want_write && !w->writing) {
    w->writing = true;
    w->d.async_wait(asio::posix::descriptor_base::wait_write, [self, w](boost::system::error_code ec) {
      w->writing = false;
      if (ec || !w->open) return;
      ares_process_fd(self->channel_, ARES_SOCKET_BAD, w->fd);
      if (w->open) self->arm(w);
      self->arm_timer();
    });
  }
}

void DnsChannel::arm_timer() {
  timeval buf{};
  timeval* tv = ares_timeout(channel_, nullptr, &buf);
  if (!tv) {
    timer_.cancel();
    return;
  }
  timer_.expires_after(std::chrono::seconds(tv->tv_sec) + std::chrono::microseconds(tv->tv_usec));
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec) return;  // re-armed or cancelled
    ares_process_fd(self->channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts, retries
    self->arm_timer();
  });
}

void DnsChannel::on_answer(void* arg, int status, int, unsigned char* abuf, int alen) {
  std::unique_ptr<Op> op(static_cast<Op*>(arg));
  auto self = std::move(op->self);
  // Parsed now (abuf is c-ares's), resumed later: never inside a c-ares call.
  auto answer = parse(status, abuf, alen, op->type);
  asio::post(self->ioc_, [h = std::move(op->handler), a = std::move(answer)]() mutable { std::move(h)(std::move(a)); });
}

asio::awaitable<DnsAnswer> DnsChannel::ask(std::string name, int type) {
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(DnsAnswer)>(
      [this](auto handler, const std::string& n, int t) {
        auto* op = new Op{std::move(handler), shared_from_this(), t};
        ares_query(channel_, n.c_str(), ns_c_in, t, &DnsChannel::on_answer, op);
        arm_timer();
      },
      asio::use_awaitable, name, type);
}

void DnsChannel::cancel() {
  ares_cancel(channel_);
  arm_timer();
}

}  // namespace relaymock::relay
