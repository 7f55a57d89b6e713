// /healthz, /readyz and /metrics: open to anyone, no query.
#include <boost/json.hpp>

#include "http/resources.hpp"
#include "policy/cycle.hpp"
#include "util/log.hpp"

namespace relaymock::http::resource {

namespace json = boost::json;

Handled healthz(Call& c) { co_return c.json(status::ok, json::object{{"status", "ok"}}); }

Handled readyz(Call& c) {
  if (c.ctx.ready.load()) co_return c.json(status::ok, json::object{{"status", "ready"}});
  co_return c.json(status::service_unavailable, json::object{{"status", "starting"}});
}

// The Prometheus text format.
Handled metrics(Call& c) {
  auto& ctx = c.ctx;
  auto& m = ctx.metrics;
  std::string out;
  auto metric = [&](const char* name, const char* type, const char* help, auto value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
           std::to_string(value) + "\n";
  };
  metric("relaymock_connections_total", "counter", "SMTP connections accepted.", m.connections_total.load());
  metric("relaymock_connections_refused_total", "counter", "SMTP connections refused by connection limits.",
         m.connections_refused_total.load());
  metric("relaymock_sessions_open", "gauge", "SMTP sessions open now.", m.sessions_open.load());
  metric("relaymock_tls_sessions_total", "counter", "TLS handshakes completed (implicit and STARTTLS).",
         m.tls_sessions_total.load());
  metric("relaymock_messages_accepted_total", "counter", "Messages accepted (250 OK id=...).",
         m.messages_accepted_total.load());
  metric("relaymock_recipients_accepted_total", "counter", "Recipients of accepted messages.",
         m.recipients_accepted_total.load());
  metric("relaymock_bytes_received_total", "counter", "Bytes read from SMTP clients.", m.bytes_received_total.load());
  metric("relaymock_http_connections_open", "gauge", "HTTP connections open now.", m.http_connections_open.load());
  metric("relaymock_http_connections_refused_total", "counter", "HTTP connections refused by connection limits.",
         m.http_connections_refused_total.load());
  metric("relaymock_http_requests_in_progress", "gauge", "HTTP requests being answered now (long-polls included).",
         m.http_requests_in_progress.load());
  auto dns = ctx.service.resolver().stats();
  metric("relaymock_dns_lookups_total", "counter", "Sender-domain DNS lookups started (one per domain at a time).",
         dns.lookups);
  metric("relaymock_dns_lookups_coalesced_total", "counter", "Waits that joined a lookup of the same domain in flight.",
         dns.coalesced);
  metric("relaymock_dns_lookups_refused_total", "counter",
         "Lookups answered 'resolver busy' at once (sender_verification.max_lookups_in_flight reached).", dns.refused);
  metric("relaymock_dns_waits_abandoned_total", "counter",
         "Waits that ended before their answer (a session's deadline, a shutdown).", dns.abandoned);
  metric("relaymock_dns_lookups_in_flight", "gauge", "Sender-domain lookups in flight now.", dns.in_flight);
  metric("relaymock_dns_waits", "gauge", "Sessions and API requests waiting for DNS now.", dns.waiting);
  out += "# HELP relaymock_replies_total Replies by code and rule id (decisions and protocol replies).\n"
         "# TYPE relaymock_replies_total counter\n";
  for (const auto& [key, n] : m.replies())
    out += "relaymock_replies_total{code=\"" + std::to_string(key.first) + "\",rule=\"" + json_escape(key.second) +
           "\"} " + std::to_string(n) + "\n";
  out += "# HELP relaymock_outcomes_total Events after the 250 (processed, delivered, hard_bounce, ...) recorded.\n"
         "# TYPE relaymock_outcomes_total counter\n";
  for (const auto& [event, n] : m.outcomes())
    out += "relaymock_outcomes_total{event=\"" + json_escape(event) + "\"} " + std::to_string(n) + "\n";
  if (ctx.outcomes) {
    metric("relaymock_outcomes_waiting", "gauge", "Outcome events waiting for the clock.", ctx.outcomes->pending_count());
    metric("relaymock_outcomes_dropped_total", "counter", "Outcome events dropped: too many waiting.",
           ctx.outcomes->dropped());
  }
  metric("relaymock_store_messages", "gauge", "Captured messages held.", ctx.mail.size());
  if (ctx.durable) {
    auto bad = ctx.durable->corrupt();
    out += "# HELP relaymock_store_corrupt_rows Rows of the durable store that could not be read at start.\n"
           "# TYPE relaymock_store_corrupt_rows gauge\n";
    for (auto [table, n] : {std::pair{"messages", bad.messages}, std::pair{"events", bad.events}, std::pair{"usage", bad.usage},
                               std::pair{"pending", bad.pending}})
      out += std::string("relaymock_store_corrupt_rows{table=\"") + table + "\"} " + std::to_string(n) + "\n";
    metric("relaymock_store_writes_total", "counter", "Writes (messages, events, deletions) the durable store committed.",
           ctx.durable->jobs_written());
    metric("relaymock_store_commits_total", "counter", "Transactions they took (fewer: group commit).",
           ctx.durable->batches_written());
    metric("relaymock_store_fresh_bytes", "gauge",
           "Bytes of committed messages held in memory until the indexer has read them (at most 16 MiB).",
           ctx.mail.fresh_bytes());
  }
  metric("relaymock_store_bytes", "gauge", "Bytes of captured messages held.", ctx.mail.bytes());
  metric("relaymock_index_backlog", "gauge", "Captured messages the indexer has not read yet.", ctx.indexer.backlog());
  auto cfg = ctx.engine.config();
  auto cycle = policy::cycle_containing(ctx.clock.now(), cfg->account.cycle_day);
  metric("relaymock_quota_used", "gauge", "Recipients counted in the current quota cycle.",
         ctx.engine.quota_used(cycle));
  if (cfg->account.monthly_quota) metric("relaymock_quota_max", "gauge", "The monthly quota.", *cfg->account.monthly_quota);
  co_return make_response(status::ok, std::move(out), "text/plain; version=0.0.4; charset=utf-8", c.version());
}

}  // namespace relaymock::http::resource
