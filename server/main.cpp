// relaymock: a mock SMTP relay that behaves like the SMTP2GO provider.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/steady_timer.hpp>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/loader.hpp"
#include "explain_cli.hpp"
#include "import_cli.hpp"
#include "util/errors.hpp"
#include "util/password.hpp"
#include "util/dates.hpp"
#include "util/log.hpp"
#include "net/server.hpp"
#include "net/tls.hpp"
#include "policy/engine.hpp"
#include "http/api.hpp"
#include "http/http_server.hpp"
#include "http/compat_ids.hpp"
#include "http/mailhog.hpp"
#include "http/mailpit.hpp"
#include "http/route.hpp"
#include <boost/asio/thread_pool.hpp>
#include <fstream>
#include <sstream>
#include "relay/account_editor.hpp"
#include "relay/indexer.hpp"
#include "relay/service.hpp"
#include "smtp/message_id.hpp"
#include "util/dates.hpp"
#include "util/log.hpp"
#include "relay/metrics.hpp"
#include "relay/resolver.hpp"
#include "store/durable.hpp"
#include "store/event_log.hpp"
#include "store/mail_store.hpp"
#include "util/thread_name.hpp"

namespace {

using namespace relaymock;
using namespace std::chrono_literals;

constexpr const char* kUsage =
    "usage: relaymock [--config FILE]           run (default: the embedded config, or $RELAYMOCK_CONFIG)\n"
    "       relaymock --check-config FILE       validate FILE; exit 0 if valid, else 2 with FILE:LINE:COL errors\n"
    "       relaymock --print-default-config    print the embedded default config (commented YAML)\n"
    "       relaymock healthcheck [--config FILE]  exit 0 if the running server's /readyz says ready, else 1\n"
    "       relaymock import DIR|FILE.json... [-o FILE]  a config from the provider's API v3 view answers\n"
    "       relaymock explain [--config FILE] --from ADDR --to ADDR... [--ip A] [--port P] [--user U]\n"
    "                 [--api-key NAME] [--header-from ADDR] [--json]  every check a send would meet, and why\n"
    "       relaymock --version | --help\n"
    "\n"
    "Signals: SIGTERM/SIGINT stop gracefully (421 to idle sessions, DATA in flight may finish);\n"
    "SIGHUP reloads the config file (a bad file is logged and the old config stays).\n";

// Grace for a DATA in flight when stopping; with the final write it stays
// inside `docker stop`'s default 10 s before SIGKILL.
constexpr auto kShutdownGrace = 7s;
// Bounds of what the API can show (all named here, as Postfix names its limits).
constexpr std::size_t kTranscriptSessions = 1'000;
constexpr std::size_t kTranscriptLines = 500;

// The API's view of the SMTP listeners (http/ does not link net/).
class ServerListeners final : public http::Listeners {
 public:
  explicit ServerListeners(net::Server& s) : s_(s) {}
  std::vector<config::Listener> listeners() const override { return s_.listeners(); }
  std::optional<config::Listener> set_fault(std::uint16_t port, const config::Fault& fault, std::string& error) override {
    return s_.set_fault(port, fault, error);
  }

 private:
  net::Server& s_;
};

// A password file for a compatible door's basic auth, or a StartupError
// that names the file and the line.
PasswordFile load_password_file(const std::string& path, const char* what) {
  if (path.empty()) return PasswordFile{};
  std::ifstream in(path, std::ios::binary);
  if (!in) throw StartupError(std::string(what) + ": cannot read " + path + ": " + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  std::string error;
  auto parsed = PasswordFile::parse(text.str(), error);
  if (!parsed) throw StartupError(std::string(what) + ": " + path + ": " + error);
  if (parsed->empty()) throw StartupError(std::string(what) + ": " + path + " holds no user");
  return std::move(*parsed);
}

int check_config(const std::string& path) {
  auto res = config::load_config_file(path);
  if (!res.ok()) {
    std::cerr << res.format(path);
    return 2;
  }
  std::cout << path << ": OK\n";
  return 0;
}

config::LoadResult load(const std::optional<std::string>& path) {
  if (path) return config::load_config_file(*path);
  return config::load_config_text(config::default_config_text(), "<default>");
}

// For Docker's HEALTHCHECK (no curl in the image): asks /readyz on the
// configured HTTP address; exit 0 when ready, 1 otherwise.
int healthcheck(const std::optional<std::string>& path) {
  auto res = load(path);
  if (!res.ok()) {
    std::cerr << res.format(path ? *path : "<default>");
    return 1;
  }
  const auto& h = res.config.http;
  if (!h.enabled) {
    std::cerr << "relaymock healthcheck: http.listen is off; nothing to ask\n";
    return 1;
  }
  std::string host = h.host == "0.0.0.0" ? "127.0.0.1" : h.host == "::" ? "::1" : h.host;
  boost::asio::io_context ioc(1);
  int status = 0;
  std::string error;
  boost::asio::co_spawn(
      ioc,
      [&]() -> boost::asio::awaitable<void> {
        boost::beast::tcp_stream stream(co_await boost::asio::this_coro::executor);
        stream.expires_after(std::chrono::seconds(3));
        co_await stream.async_connect(
            boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address(host), h.port), boost::asio::use_awaitable);
        boost::beast::http::request<boost::beast::http::empty_body> req{boost::beast::http::verb::get, "/readyz", 11};
        req.set(boost::beast::http::field::host, host);
        req.set(boost::beast::http::field::connection, "close");
        co_await boost::beast::http::async_write(stream, req, boost::asio::use_awaitable);
        boost::beast::flat_buffer buffer;
        boost::beast::http::response<boost::beast::http::string_body> res;
        co_await boost::beast::http::async_read(stream, buffer, res, boost::asio::use_awaitable);
        status = static_cast<int>(res.result_int());
      },
      [&](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const boost::system::system_error& ex) {
          error = ex.code() == boost::beast::error::timeout ? "timed out" : ex.code().message();
        } catch (const std::exception& ex) {
          error = ex.what();
        }
      });
  ioc.run_for(std::chrono::seconds(5));
  std::string where = "http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                      std::to_string(h.port) + "/readyz";
  if (status == 200) {
    std::cout << where << ": ready\n";
    return 0;
  }
  std::cerr << "relaymock healthcheck: " << where << ": "
            << (status ? "HTTP " + std::to_string(status) : error.empty() ? std::string("no answer") : error) << "\n";
  return 1;
}

// Each connection is a descriptor: lift the soft limit to the hard one, as
// nginx and Go's runtime do, so max_connections is not capped by a shell's
// default of 1024. The hard limit (ulimit -Hn, docker --ulimit) still rules.
void raise_descriptor_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= lim.rlim_max) return;
  rlim_t before = lim.rlim_cur;
  lim.rlim_cur = lim.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &lim) == 0)
    logger().debug("descriptor limit raised", {{"from", std::to_string(before)}, {"to", std::to_string(lim.rlim_max)}});
}

int run(const std::optional<std::string>& path) {
  auto res = load(path);
  if (!res.ok()) {
    std::cerr << res.format(path ? *path : "<default>");
    return 2;
  }
  auto cfg = std::make_shared<const config::Config>(std::move(res.config));
  logger().configure(cfg->log.level, cfg->log.format);
  raise_descriptor_limit();

  net::TlsSetup tls;
  try {
    tls = net::make_tls(cfg->tls, cfg->server.hostname);
  } catch (const std::exception& e) {
    std::cerr << "relaymock: " << e.what() << "\n";
    return 1;
  }

  // One io_context per thread, each run by exactly one thread: a connection
  // lives on one of them from accept to close, so its handlers never hop
  // between threads (no strand locking, no cross-thread wake-ups). The first
  // also runs the listeners, the HTTP API and signals. Measured on 2 cores:
  // one shared io_context run by two threads delivered 0.68x the messages.
  // By default half the cores: the load usually comes from the same machine
  // (on 2 cores with the client beside it, 1 thread: ~23k msg/s, 2: ~16k).
  const unsigned threads_wanted =
      cfg->server.threads ? cfg->server.threads : std::max(1u, std::thread::hardware_concurrency() / 2);
  boost::asio::io_context ioc(1);
  // The HTTP API has its own event loop and thread: a long-poll, a large
  // /v3/ body or a slow reader never holds up an SMTP session.
  boost::asio::io_context http_ioc(1);
  std::vector<std::unique_ptr<boost::asio::io_context>> more_contexts;
  std::vector<boost::asio::io_context*> contexts{&ioc};
  for (unsigned i = 1; i < threads_wanted; ++i) {
    more_contexts.push_back(std::make_unique<boost::asio::io_context>(1));
    contexts.push_back(more_contexts.back().get());
  }
  OffsetClock clock;
  policy::Counters counters;
  policy::Engine engine(cfg, clock, counters);

  // The message-id key comes from the CSPRNG; if that fails, say so now
  // rather than in the first session.
  try {
    (void)smtp::make_message_id(clock.now());
  } catch (const std::exception& e) {
    std::cerr << "relaymock: " << e.what() << "\n";
    return 1;
  }
  // Durable mode: messages, events, the counters' history and the clock
  // offset come back from the store before anything listens.
  std::unique_ptr<store::Durable> durable;
  std::unique_ptr<store::MailStore> mail;
  std::unique_ptr<store::EventLog> events;
  try {
    if (!cfg->storage.path.empty()) {
      durable = std::make_unique<store::Durable>(cfg->storage.path);
      if (auto off = durable->clock_offset_ms()) {
        if (!offset_keeps_clock_readable(*off))
          throw std::runtime_error(cfg->storage.path + ": the stored clock offset (" + std::to_string(*off) +
                                   " ms) puts the clock outside 1970-2200; reset it with a new store");
        clock.set_offset(std::chrono::milliseconds(*off));
      }
      // Recipients older than every rate window count only for the quota,
      // by day; that keeps the history (and this replay) small however long
      // the store has been in use.
      {
        auto now_ms = ms_since_epoch(clock.now());
        auto [before, after] = durable->compact_usage(
            now_ms - engine.longest_rate_window().count(),
            now_ms - static_cast<std::int64_t>(policy::Counters::kQuotaDaysKept) * 86'400'000);
        if (before != after)
          logger().info("usage history compacted", {{"rows_before", std::to_string(before)}, {"rows_after", std::to_string(after)}});
      }
      for (const auto& u : durable->load_usage())
        engine.replay(u.key, u.n, from_ms_since_epoch(u.at_ms));
    }
    // Memory mode keeps messages past the spool threshold (1 MiB) in unnamed
    // temporary files, so a 50 MB message costs no 50 MB of RSS.
    const char* tmpdir = std::getenv("TMPDIR");
    mail = std::make_unique<store::MailStore>(cfg->storage.max_messages, cfg->storage.max_bytes, durable.get(),
                                              tmpdir && *tmpdir ? tmpdir : "/tmp");
    events = std::make_unique<store::EventLog>(cfg->storage.max_events, durable.get(), cfg->storage.max_event_bytes);
  } catch (const std::exception& e) {
    std::cerr << "relaymock: " << e.what() << "\n";
    return 1;
  }
  // The store's writer finishes what is queued while the message store and
  // the event log its callbacks touch still exist (destroyed after this).
  struct WriterStop {
    store::Durable* d;
    ~WriterStop() {
      if (d) d->stop_writer();
    }
  } writer_stop{durable.get()};
  if (durable && durable->upgraded())
    logger().info("durable storage upgraded: the messages table was copied into the current layout",
                  {{"file", durable->path()}});
  if (durable)
    logger().log(durable->corrupt().total() ? LogLevel::Warning : LogLevel::Info, "durable storage",
                 {{"file", durable->path()}, {"messages", std::to_string(mail->size())},
                  {"events", std::to_string(events->last_seq())},
                  {"unreadable_rows", std::to_string(durable->corrupt().total())}});
  store::Transcripts transcripts(kTranscriptSessions, kTranscriptLines, cfg->storage.max_transcript_bytes);
  relay::Metrics metrics;
  // After ioc: destroyed first, so a lookup still in flight at exit ends
  // while its connection's executor exists.
  relay::Resolver resolver(cfg->sender_verification);
  policy::Scenarios scenarios(cfg->scenarios);
  relay::Bus bus;
  // What happens after the 250, played on the clock by a thread of its own;
  // it records through the service (set just below), started with the doors.
  relay::Service* outcome_recorder = nullptr;
  relay::Suppressions suppressions(durable.get());
  if (auto kept = suppressions.restore())
    logger().info("suppressions restored", {{"entries", std::to_string(kept)}});
  relay::OutcomeScheduler outcomes(
      clock, [&outcome_recorder](const relay::ScheduledEvent& e) { outcome_recorder->record_outcome(e); },
      durable.get());
  if (auto waiting = outcomes.restore())
    logger().info("outcome events restored", {{"waiting", std::to_string(waiting)}});
  // Posts the events to the account's webhooks, a thread of its own too.
  relay::WebhookSender webhooks(clock, [&engine] { return engine.config(); }, durable.get());
  if (auto waiting = webhooks.restore())
    logger().info("webhook deliveries restored", {{"waiting", std::to_string(waiting)}});
  relay::OutcomeRules outcome_rules;
  relay::Service service(
      relay::Deps{engine, scenarios, *mail, *events, transcripts, resolver, metrics, bus, clock, &outcomes,
                  &suppressions, &webhooks, &outcome_rules});
  outcome_recorder = &service;
  // Reads captured mail for the UI and the search grammar, off the SMTP loops.
  relay::Indexer indexer(*mail, bus);
  net::Server server(contexts, cfg, service, clock, tls);

  // What a whole reload puts in force; an account change touches the engine only.
  auto install_all = [&](std::shared_ptr<const config::Config> next) {
    logger().configure(next->log.level, next->log.format);
    engine.set_config(next);
    resolver.configure(next->sender_verification);
    scenarios.replace(next->scenarios);
    server.reload(next);
  };
  relay::AccountEditor account(cfg, durable.get(), [&](std::shared_ptr<const config::Config> next) {
    engine.set_config(next);
    server.reload(next);
  });
  // Durable mode: the account API's changes of the last run, over the file
  // (replay logs each one it drops).
  account.restore();

  // SIGHUP and POST /api/v1/config/reload. Listeners, storage and the HTTP
  // address stay as they were started; the account API's changes are
  // replayed over the new file unless dropped.
  std::mutex reload_mutex;
  auto reload = [&](bool keep_overrides) -> http::ReloadResult {
    std::lock_guard lock(reload_mutex);
    http::ReloadResult r;
    if (!path) {
      r.errors = "running on the embedded default config; there is no file to reload (start with --config FILE)";
      return r;
    }
    auto fresh = config::load_config_file(*path);
    if (!fresh.ok()) {
      r.errors = fresh.format(*path);
      logger().error("reload failed; keeping the old config", {{"errors", r.errors}});
      return r;
    }
    auto rebased = account.rebase(std::make_shared<const config::Config>(std::move(fresh.config)), keep_overrides,
                                  install_all);
    service.config_reloaded();
    service.scenarios_changed();
    logger().info("config reloaded", {{"file", *path}, {"overrides_dropped", std::to_string(rebased.dropped.size())}});
    r.ok = true;
    r.config = rebased.config;
    r.dropped_overrides = std::move(rebased.dropped);
    return r;
  };

  std::atomic<bool> ready{false};
  ServerListeners listeners(server);
  // Work a request must not do on the HTTP thread (thumbnails, relaying,
  // link checks): two threads, at low priority for the OS like the indexer's.
  boost::asio::thread_pool workers(2);
  http::ApiContext api_context{engine, clock, *mail, *events, transcripts, metrics, durable.get(), reload, ready,
                               listeners, scenarios, service, indexer, &workers, &account, &outcomes,
                               &suppressions, &webhooks, &outcome_rules};
  http::Api api(api_context);

  http::HttpLimits http_limits{cfg->http.max_connections, cfg->http.max_connections_per_ip,
                               cfg->http.max_body_bytes_in_flight};
  {
    // A quarter of the descriptors at most: the rest stays for SMTP.
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY)
      http_limits.max_connections =
          static_cast<std::uint32_t>(std::min<rlim_t>(http_limits.max_connections, std::max<rlim_t>(lim.rlim_cur / 4, 4)));
  }
  http::HttpServer http_server(http_ioc, api, metrics, http_limits);
  // The compatible doors, each on a listener of its own.
  std::vector<std::unique_ptr<http::Api>> compat_apis;
  std::vector<std::pair<std::unique_ptr<http::HttpServer>, config::ListenAddress>> compat_servers;
  try {
    if (cfg->compat.mailpit.listen.enabled) {
      const auto& mp = cfg->compat.mailpit;
      std::shared_ptr<PasswordFile> auth;
      if (!mp.ui_auth_file.empty() || !mp.ui_auth.empty()) {
        auth = std::make_shared<PasswordFile>(load_password_file(mp.ui_auth_file, "compat.mailpit.ui_auth_file"));
        for (const auto& [user, pass] : mp.ui_auth) auth->add_plain(user, pass);
      }
      mail->add_aliaser([](const std::string& id) { return http::mailpit_id(id); });
      compat_apis.push_back(std::make_unique<http::Api>(
          api_context, http::Door{http::Door::Kind::Mailpit, http::mailpit::routes(), auth, "Login"}));
      compat_servers.emplace_back(std::make_unique<http::HttpServer>(http_ioc, *compat_apis.back(), metrics, http_limits),
                                  mp.listen);
    }
    if (cfg->compat.mailhog.listen.enabled) {
      const auto& mh = cfg->compat.mailhog;
      std::shared_ptr<PasswordFile> auth;
      if (!mh.auth_file.empty())
        auth = std::make_shared<PasswordFile>(load_password_file(mh.auth_file, "compat.mailhog.auth_file"));
      // MailHog's ids end in its hostname as it was at start.
      mail->add_aliaser([host = mh.hostname](const std::string& id) { return http::mailhog_id(id, host); });
      compat_apis.push_back(std::make_unique<http::Api>(
          api_context, http::Door{http::Door::Kind::MailHog, http::mailhog::routes(), auth, "MailHog"}));
      compat_servers.emplace_back(std::make_unique<http::HttpServer>(http_ioc, *compat_apis.back(), metrics, http_limits),
                                  mh.listen);
      if (mh.jim) http::mailhog::invite_jim(api_context);
    }
  } catch (const StartupError& e) {
    std::cerr << "relaymock: " << e.what() << "\n";
    return 1;
  }
  try {
    if (cfg->http.enabled) http_server.bind(cfg->http.host, cfg->http.port);
    for (auto& [srv, at] : compat_servers) srv->bind(at.host, at.port);
    server.bind();
  } catch (const StartupError& e) {
    std::cerr << "relaymock: " << e.what() << "\n";
    return 1;
  }

  boost::asio::signal_set signals(ioc, SIGINT, SIGTERM, SIGHUP);
  boost::asio::steady_timer hard_stop(boost::asio::make_strand(ioc));
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        if (sig == SIGHUP) {
          if (!path) logger().warning("SIGHUP: running on the embedded default config; nothing to reload");
          else reload(true);
          signals.async_wait(on_signal);
          return;
        }
        logger().info("shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
        signals.cancel();
        ready = false;
        http_server.stop();
        for (auto& cs : compat_servers) cs.first->stop();
        // Whatever is still open after the grace period (and the final 421 write) is cut.
        hard_stop.expires_after(kShutdownGrace + 2s);
        hard_stop.async_wait([&](const boost::system::error_code& e) {
          if (!e) {
            for (auto* c : contexts) c->stop();
            http_ioc.stop();
          }
        });
        server.stop(std::chrono::duration_cast<std::chrono::milliseconds>(kShutdownGrace), [&] {
          boost::asio::post(hard_stop.get_executor(), [&] { hard_stop.cancel(); });
        });
      };
  signals.async_wait(on_signal);

  logger().info("relaymock starting",
                     {{"version", RELAYMOCK_VERSION}, {"config", path ? *path : "<default>"},
                      {"hostname", cfg->server.hostname},
                      {"certificate", tls.generated ? "self-signed (generated)" : cfg->tls.certificate},
                      {"sha256", tls.fingerprint}});
  webhooks.start();
  outcomes.start();
  server.start();
  http_server.start();
  for (auto& cs : compat_servers) cs.first->start();
  ready = true;
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> keep_running;
  std::vector<std::thread> threads;
  for (auto& c : more_contexts) {
    keep_running.push_back(boost::asio::make_work_guard(*c));
    threads.emplace_back([ctx = c.get(), n = threads.size() + 1] {
      name_this_thread(("rm-smtp" + std::to_string(n)).c_str());
      ctx->run();
    });
  }
  // Runs until stop() has closed the listener and every connection.
  std::thread http_thread([&] {
    name_this_thread("rm-http");
    http_ioc.run();
  });
  ioc.run();  // returns once stopped and drained (or cut by the hard stop)
  keep_running.clear();  // the others end when their last handler has run
  for (auto& t : threads) t.join();
  http_thread.join();
  workers.join();
  outcomes.stop();  // events still waiting are played after a restart in durable mode, else not
  webhooks.stop();
  logger().info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<std::string> config_path;
  bool health = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "import" && i == 1) return import_command(std::vector<std::string>(argv + 2, argv + argc));
    if (a == "explain" && i == 1) return explain_command(std::vector<std::string>(argv + 2, argv + argc));
    if (a == "healthcheck" && i == 1) {
      health = true;
      continue;
    }
    auto value = [&](const char* flag) -> std::optional<std::string> {
      if (i + 1 >= argc) {
        std::cerr << "relaymock: " << flag << " needs a file name\n" << kUsage;
        return std::nullopt;
      }
      return std::string(argv[++i]);
    };
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (a == "--version" || a == "-V") {
      std::cout << "relaymock " << RELAYMOCK_VERSION << "\n";
      return 0;
    }
    if (a == "--print-default-config") {
      std::cout << config::default_config_text();
      return 0;
    }
    if (a == "--check-config") {
      auto f = value("--check-config");
      if (!f) return 2;
      return check_config(*f);
    }
    if (a == "--config" || a == "-c") {
      config_path = value("--config");
      if (!config_path) return 2;
      continue;
    }
    if (a.rfind("--config=", 0) == 0) {
      config_path = a.substr(9);
      continue;
    }
    std::cerr << "relaymock: unknown argument '" << a << "'\n" << kUsage;
    return 2;
  }
  if (!config_path) {
    if (const char* env = std::getenv("RELAYMOCK_CONFIG"); env && *env) config_path = env;
  }
  return health ? healthcheck(config_path) : run(config_path);
}
