#include "relay/resolver.hpp"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstring>
#include <vector>

namespace relaymock::relay {

namespace asio = boost::asio;
using policy::SenderRoute;

namespace {

// One question's outcome: records of the asked type, or why there are none.
struct Answer {
  enum class Status { Records, NoData, NoDomain, TempFail } status = Status::NoData;
  std::vector<std::string> records;  // "10 mx.example.net", "192.0.2.1", ...
  std::string error;
};

Answer ask(res_state st, const std::string& domain, int type) {
  Answer a;
  std::vector<unsigned char> buf(NS_MAXMSG < 65536 ? NS_MAXMSG : 65536);
  int len = res_nquery(st, domain.c_str(), ns_c_in, type, buf.data(), static_cast<int>(buf.size()));
  if (len < 0) {
    switch (st->res_h_errno) {
      case HOST_NOT_FOUND: a.status = Answer::Status::NoDomain; break;
      case NO_DATA: a.status = Answer::Status::NoData; break;
      case TRY_AGAIN:
        a.status = Answer::Status::TempFail;
        a.error = "no usable answer (timeout, SERVFAIL or unreachable server)";
        break;
      default:
        a.status = Answer::Status::TempFail;
        a.error = "query refused or failed";
        break;
    }
    return a;
  }
  ns_msg msg;
  if (ns_initparse(buf.data(), len, &msg) < 0) {
    a.status = Answer::Status::TempFail;
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
  a.status = a.records.empty() ? Answer::Status::NoData : Answer::Status::Records;
  return a;
}

bool null_mx(const std::string& record) {
  // RFC 7505: a single "MX 0 ." (libresolv prints the root as "" or ".").
  return record == "0 " || record == "0 .";
}

}  // namespace

Resolver::Resolver(const config::SenderVerification& settings, std::size_t threads, Query query)
    : query_(std::move(query)), pool_(threads), settings_(settings) {}

Resolver::~Resolver() {
  pool_.stop();
  pool_.join();
}

void Resolver::configure(const config::SenderVerification& settings) {
  std::lock_guard lock(mutex_);
  settings_ = settings;
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

asio::awaitable<SenderRoute> Resolver::lookup(std::string domain) {
  config::SenderVerification settings;
  {
    std::lock_guard lock(mutex_);
    settings = settings_;
  }
  // A plain handler posted to the pool (not a coroutine lambda: g++ 12
  // mis-copies captures of a coroutine lambda handed to co_spawn).
  auto route = co_await asio::async_initiate<decltype(asio::use_awaitable), void(SenderRoute)>(
      [this](auto handler, std::string d, config::SenderVerification s) {
        auto work = asio::prefer(asio::get_associated_executor(handler), asio::execution::outstanding_work.tracked);
        asio::post(pool_, [this, h = std::move(handler), work = std::move(work), d = std::move(d),
                           s = std::move(s)]() mutable {
          auto r = query_(d, s);
          asio::dispatch(work, [h = std::move(h), r = std::move(r)]() mutable { std::move(h)(std::move(r)); });
        });
      },
      asio::use_awaitable, domain, settings);
  if (route.kind != SenderRoute::Kind::TempFail && settings.cache_ttl.count() > 0) {
    std::lock_guard lock(mutex_);
    if (cache_.size() >= kMaxEntries) {
      auto now = Clock::now();
      std::erase_if(cache_, [now](const auto& kv) { return kv.second.expires <= now; });
      if (cache_.size() >= kMaxEntries) cache_.clear();
    }
    cache_[domain] = Entry{route, Clock::now() + settings.cache_ttl};
  }
  co_return route;
}

SenderRoute Resolver::query(const std::string& domain, const config::SenderVerification& settings) {
  struct __res_state st;
  std::memset(&st, 0, sizeof st);
  if (res_ninit(&st) != 0) return {SenderRoute::Kind::TempFail, "resolver could not be initialised"};
  st.retrans = static_cast<int>(std::max<std::int64_t>(1, settings.dns_timeout.count() / 1000));
  st.retry = 1;
  st.options &= ~(RES_DEFNAMES | RES_DNSRCH);  // the domain as given, never a search suffix
  if (!settings.nameservers.empty()) {
    st.nscount = 0;
    for (const auto& ns : settings.nameservers) {
      if (st.nscount >= MAXNS) break;
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_port = htons(ns.port);
      if (inet_pton(AF_INET, ns.address.c_str(), &sa.sin_addr) != 1) continue;
      st.nsaddr_list[st.nscount++] = sa;
    }
  }
  auto done = [&](SenderRoute::Kind k, std::string detail) {
    res_nclose(&st);
    return SenderRoute{k, std::move(detail)};
  };

  auto mx = ask(&st, domain, ns_t_mx);
  if (mx.status == Answer::Status::NoDomain) return done(SenderRoute::Kind::NoDomain, "NXDOMAIN (no such domain)");
  if (mx.status == Answer::Status::TempFail) return done(SenderRoute::Kind::TempFail, "MX lookup: " + mx.error);
  if (mx.status == Answer::Status::Records) {
    for (const auto& r : mx.records)
      if (!null_mx(r)) return done(SenderRoute::Kind::Routable, "MX " + r);
    return done(SenderRoute::Kind::NullMx, "null MX (RFC 7505): the domain accepts no mail");
  }
  // No MX: the domain itself is the mail host (RFC 5321 5.1) if it has an address.
  for (int type : {ns_t_a, ns_t_aaaa}) {
    auto a = ask(&st, domain, type);
    const char* name = type == ns_t_a ? "A" : "AAAA";
    if (a.status == Answer::Status::Records) return done(SenderRoute::Kind::Routable, std::string("no MX; ") + name + " " + a.records.front());
    if (a.status == Answer::Status::NoDomain) return done(SenderRoute::Kind::NoDomain, "NXDOMAIN (no such domain)");
    if (a.status == Answer::Status::TempFail)
      return done(SenderRoute::Kind::TempFail, std::string(name) + " lookup: " + a.error);
  }
  return done(SenderRoute::Kind::NoAddress, "no MX, A or AAAA record");
}

}  // namespace relaymock::relay
