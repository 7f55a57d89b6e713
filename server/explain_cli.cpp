// `relaymock explain [--config FILE] [--ip A] [--port P] [--user U]
// [--api-key NAME] --from ADDR [--header-from ADDR] --to ADDR... [--json]`:
// every check a send would meet under FILE's rules (policy/explain.hpp),
// printed as a table with the failures first, or as the API's JSON. Run
// offline, the counters start empty (plus account.quota.used); the running
// server's own counts are POST /api/v1/explain's.
// Exit 0: the send would be accepted; 1: refused; 2: bad arguments or config.
#include "explain_cli.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>
#include <algorithm>
#include <charconv>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "config/loader.hpp"
#include "policy/counters.hpp"
#include "policy/explain_json.hpp"
#include "relay/explain.hpp"
#include "util/clock.hpp"
#include "util/dates.hpp"

namespace relaymock {
namespace {

constexpr const char* kExplainUsage =
    "usage: relaymock explain [--config FILE] [--ip ADDR] [--port P] [--user U | --api-key NAME]\n"
    "                         --from ADDR [--header-from ADDR] --to ADDR [--to ADDR...] [--json]\n";

std::string result_text(const policy::Check& c) { return policy::check_result_name(c.result); }

// The checks as a table: failures first (with their fix), then the rest in order.
void print_checks(std::ostream& out, const std::vector<policy::Check>& checks) {
  std::vector<const policy::Check*> order;
  for (const auto& c : checks)
    if (c.result == policy::Check::Result::Fail) order.push_back(&c);
  for (const auto& c : checks)
    if (c.result != policy::Check::Result::Fail) order.push_back(&c);
  out << "  " << std::left << std::setw(18) << "CHECK" << std::setw(13) << "RESULT" << "COMPARED\n";
  for (const auto* c : order) {
    out << "  " << std::left << std::setw(18) << c->name << std::setw(13) << result_text(*c) << c->compared << "\n";
    if (!c->fix.empty()) out << "  " << std::string(31, ' ') << "fix: " << c->fix << "\n";
  }
}

void print(std::ostream& out, const policy::ExplainRequest& r, const policy::Explanation& x) {
  out << "profile " << x.profile->name << ", door " << x.door << ", client " << r.ip;
  if (x.identity.kind != policy::Identity::Kind::None)
    out << ", as " << x.identity.kind_name() << " " << x.identity.name << " (" << config::status_name(x.identity.status)
        << ")";
  else out << ", not authenticated";
  out << "\nsender <" << r.from << ">, From: " << r.header_from.value_or(r.from) << "\n\n";
  out << (x.accepted ? "ACCEPTED" : "REFUSED") << " at " << x.stage << " (" << x.rule << ")\n";
  out << "  " << x.reply << "\n";
  if (x.api_reply) out << "  API v3: " << *x.api_reply << "\n";
  out << "\n";
  std::vector<policy::Check> shown;
  if (x.auth) shown = x.auth->checks;
  else if (x.mail) shown = x.mail->checks;
  if (!x.recipients.empty()) {
    out << "recipients (" << x.accepted_recipients << " of " << x.recipients.size() << " accepted):\n";
    const policy::Decision* pick = nullptr;
    for (const auto& rc : x.recipients) {
      out << "  " << rc.address << ": " << rc.reply << "\n";
      if (!rc.decision.accept && !pick) pick = &rc.decision;
    }
    if (!pick) pick = &x.recipients.front().decision;
    shown = pick->checks;
    out << "\n";
  }
  if (x.content)
    for (auto& c : shown)
      if (c.name == policy::kContentCheck && x.content && !x.content->checks.empty()) c = x.content->checks.front();
  if (x.content && std::none_of(shown.begin(), shown.end(), [](const auto& c) { return c.name == policy::kContentCheck; }))
    shown.insert(shown.end(), x.content->checks.begin(), x.content->checks.end());
  out << "checks:\n";
  print_checks(out, shown);
  if (!x.limits.empty()) {
    out << "\nlimits:\n";
    for (const auto& l : x.limits) {
      out << "  " << std::left << std::setw(16) << (l.name + (l.per.empty() ? "" : "/" + l.per)) << l.used << " used + "
          << l.in_open_transactions << " open + " << l.this_send << " this send of " << l.limit << ": " << l.left
          << " left" << (l.reached ? " (reached)" : "");
      if (l.name == "quota") out << "; renews " << rfc3339(l.frees_at);
      else if (l.used) out << "; the oldest frees " << rfc3339(l.frees_at);
      out << "\n";
    }
  }
}

}  // namespace

int explain_command(const std::vector<std::string>& args) {
  policy::ExplainRequest r;
  std::optional<std::string> config_path;
  bool as_json = false, have_from = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--json") {
      as_json = true;
      continue;
    }
    if (a == "--help" || a == "-h") {
      std::cout << kExplainUsage;
      return 0;
    }
    if (i + 1 >= args.size()) {
      std::cerr << "relaymock explain: " << (a.rfind("--", 0) == 0 ? a + " needs a value" : "unexpected '" + a + "'")
                << "\n" << kExplainUsage;
      return 2;
    }
    const std::string& v = args[++i];
    if (a == "--config") config_path = v;
    else if (a == "--ip") r.ip = v;
    else if (a == "--user") r.user = v;
    else if (a == "--api-key") r.api_key = v;
    else if (a == "--from") r.from = v, have_from = true;
    else if (a == "--header-from") r.header_from = v;
    else if (a == "--to") r.to.push_back(v);
    else if (a == "--port") {
      unsigned p = 0;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), p);
      if (ec != std::errc() || end != v.data() + v.size() || p == 0 || p > 65535) {
        std::cerr << "relaymock explain: --port must be a number from 1 to 65535\n";
        return 2;
      }
      r.port = static_cast<std::uint16_t>(p);
    } else {
      std::cerr << "relaymock explain: unknown option '" << a << "'\n" << kExplainUsage;
      return 2;
    }
  }
  if (!have_from) {
    std::cerr << "relaymock explain: --from is required (\"\" or <> for the null sender)\n" << kExplainUsage;
    return 2;
  }
  auto loaded = config_path ? config::load_config_file(*config_path)
                            : config::load_config_text(config::default_config_text(), "<default>");
  if (!loaded.ok()) {
    std::cerr << loaded.format(config_path.value_or("<default>"));
    return 2;
  }
  auto cfg = std::make_shared<const config::Config>(std::move(loaded.config));
  if (auto why = policy::explain_problem(*cfg, r)) {
    std::cerr << "relaymock explain: " << *why << "\n";
    return 2;
  }
  OffsetClock clock;
  policy::Counters counters;
  policy::Engine engine(cfg, clock, counters);
  relay::Resolver resolver(cfg->sender_verification);
  boost::asio::io_context io;
  std::optional<policy::Explanation> x;
  std::exception_ptr failed;
  boost::asio::co_spawn(io, relay::explain(engine, resolver, r), [&](std::exception_ptr e, policy::Explanation got) {
    failed = e;
    if (!e) x = std::move(got);
  });
  io.run();
  if (failed || !x) {
    std::cerr << "relaymock explain: the explanation failed\n";
    return 2;
  }
  if (as_json) std::cout << boost::json::serialize(policy::explanation_json(*x)) << "\n";
  else print(std::cout, r, *x);
  return x->accepted ? 0 : 1;
}

}  // namespace relaymock
