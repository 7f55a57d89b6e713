#include "policy/scenarios.hpp"

#include <algorithm>

#include "util/address.hpp"
#include "util/reply.hpp"
#include "mime/mime.hpp"
#include "util/cidr.hpp"
#include "util/glob.hpp"

namespace relaymock::policy {
namespace {

bool matches(const config::Scenario& s, const StageFacts& f) {
  if (s.stage != f.stage) return false;
  if (f.prdr != StageFacts::Prdr::Off && s.match.recipient.empty() != (f.prdr == StageFacts::Prdr::WholeMessage))
    return false;
  return match_facts(s.match, f);
}

}  // namespace

bool match_facts(const config::ScenarioMatch& m, const StageFacts& f) {
  if (m.ip) {
    auto ip = parse_ip(f.client_ip);
    if (!ip || !m.ip->contains(*ip)) return false;
  }
  if (m.port && *m.port != f.port) return false;
  if (!m.user.empty() && m.user != f.user) return false;
  if (!m.api_key.empty() && m.api_key != f.api_key) return false;
  if (!m.sender.empty() && !glob_match(m.sender, f.sender)) return false;
  if (!m.recipient.empty() &&
      std::none_of(f.recipients.begin(), f.recipients.end(), [&](std::string_view r) { return glob_match(m.recipient, r); }))
    return false;
  if (!m.headers.empty()) {
    auto headers = mime::parse_headers(f.content);
    for (const auto& [name, pattern] : m.headers) {
      bool any = false;
      for (const auto& value : mime::header_values(headers, name))
        if (pattern.search(value)) {
          any = true;
          break;
        }
      if (!any) return false;
    }
  }
  return true;
}

Scenarios::Entry Scenarios::make(config::Scenario s) {
  Entry e{ScenarioState{std::move(s)}, std::mt19937_64{}};
  e.rng.seed(e.state.scenario.seed);
  return e;
}

Scenarios::Scenarios(std::vector<config::Scenario> initial) { replace(std::move(initial)); }

std::optional<Firing> Scenarios::fire(const StageFacts& facts) {
  std::lock_guard lock(mutex_);
  for (auto& e : entries_) {
    auto& st = e.state;
    const auto& s = st.scenario;
    if (st.retired() || !matches(s, facts)) continue;
    ++st.matched;
    bool fires = true;
    std::string why;
    if (s.times) {
      why = "fired " + std::to_string(st.fired + 1) + " of " + std::to_string(*s.times) + " times";
    } else if (s.every) {
      fires = st.matched % *s.every == 0;
      why = "match " + std::to_string(st.matched) + ", fires every " + std::to_string(*s.every);
    } else if (s.probability) {
      // 53 random bits as a fraction in [0, 1): the same on every platform.
      double draw = static_cast<double>(e.rng() >> 11) * 0x1.0p-53;
      fires = draw < *s.probability;
      why = "match " + std::to_string(st.matched) + ", probability " + std::to_string(*s.probability) + " (seed " +
            std::to_string(s.seed) + ")";
    } else {
      why = "match " + std::to_string(st.matched);
    }
    if (!fires) continue;
    ++st.fired;
    // A reply may name what it refuses: {sender}, {recipient} (at rcpt, the
    // one asked; later, the first), {ip}, {user}.
    auto reply = s.reply;
    if (reply) {
      std::string_view rcpt = facts.recipients.empty() ? std::string_view() : facts.recipients.front();
      reply->text = fill_placeholders(reply->text, {{"sender", facts.sender}, {"recipient", rcpt},
                                                    {"ip", facts.client_ip}, {"user", facts.user}});
    }
    return Firing{s.name, std::move(reply), s.delay, s.disconnect, why};
  }
  return std::nullopt;
}

bool Scenarios::add(config::Scenario s) {
  std::lock_guard lock(mutex_);
  for (const auto& e : entries_)
    if (e.state.scenario.name == s.name) return false;
  entries_.push_back(make(std::move(s)));
  return true;
}

bool Scenarios::remove(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.state.scenario.name == name; });
  if (it == entries_.end()) return false;
  entries_.erase(it);
  return true;
}

void Scenarios::clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
}

void Scenarios::replace(std::vector<config::Scenario> all) {
  std::vector<Entry> fresh;
  for (auto& s : all) fresh.push_back(make(std::move(s)));
  std::lock_guard lock(mutex_);
  entries_ = std::move(fresh);
}

std::vector<ScenarioState> Scenarios::list() const {
  std::lock_guard lock(mutex_);
  std::vector<ScenarioState> out;
  for (const auto& e : entries_) out.push_back(e.state);
  return out;
}

bool Scenarios::empty() const {
  std::lock_guard lock(mutex_);
  return entries_.empty();
}

}  // namespace relaymock::policy
