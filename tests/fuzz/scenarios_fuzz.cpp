// Scenario matching on whole messages, as a client's DATA reaches it: the
// input's first line is compiled as a header pattern (when RE2 takes it),
// the rest is the message; fixed hostile patterns run on every input too.
// The same message is planned by outcomes: rules (the same matches), whose
// click scans the whole message for its link; the plan must be in due order.
#include <cstdint>
#include <string>
#include <string_view>

#include <cstdlib>

#include "policy/outcomes.hpp"
#include "policy/scenarios.hpp"

using namespace relaymock;

namespace {

config::Scenario header_scenario(std::string name, std::string header, const Pattern& p) {
  config::Scenario s;
  s.name = std::move(name);
  s.stage = Stage::EndOfData;
  s.match.headers = {{std::move(header), p}};
  s.reply = Reply{451, "4.7.1", "held"};
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto nl = in.find('\n');
  std::string_view first = in.substr(0, nl == std::string_view::npos ? in.size() : nl);
  std::string_view message = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);

  std::string error;
  std::vector<config::Scenario> all;
  for (const char* p : {"^URGENT.*later$", "^(a+)+$", "(x|xx)*y", "[\\x{80}-\\x{10FFFF}]+"})
    all.push_back(header_scenario(std::string("fixed") + std::to_string(all.size()), "Subject", *Pattern::compile(p, error)));
  if (auto p = Pattern::compile(first, error)) all.push_back(header_scenario("input", "Subject", *p));
  policy::Scenarios book(std::move(all));
  policy::StageFacts facts;
  facts.stage = Stage::EndOfData;
  facts.client_ip = "192.0.2.1";
  facts.content = message;
  (void)book.fire(facts);

  config::Outcomes outcomes;
  for (const auto& sc : book.list()) {
    config::OutcomeRule r;
    r.name = sc.scenario.name;
    r.match = sc.scenario.match;
    r.outcome = config::OutcomeKind::Click;
    outcomes.rules.push_back(std::move(r));
  }
  policy::MessageFacts m;
  m.accepted_at = TimePoint(std::chrono::seconds(1'800'000'000));
  m.message_id = "fuzz";
  m.recipients = {"a@b.example", "bounce@c.example", std::string(first.substr(0, 300))};
  m.head = message;
  m.content = message;
  auto plan = policy::plan_outcomes(outcomes, m);
  for (std::size_t i = 1; i < plan.size(); ++i)
    if (plan[i].due < plan[i - 1].due) std::abort();
  return 0;
}
