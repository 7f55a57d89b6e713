// Scripted outcomes (config `scenarios:` and /api/v1/scenarios): the first
// scenario that matches a stage's facts and whose firing rule says so
// decides, before any account rule. Deterministic: `times` and `every` count
// matches, `probability` draws from a generator seeded by `seed`. No I/O.
#pragma once
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace relaymock::policy {

// What is known at the stage being decided. Empty fields are unknown.
struct StageFacts {
  Stage stage = Stage::Connect;
  std::string_view client_ip;
  std::uint16_t port = 0;
  std::string_view user;      // SMTP username once authenticated
  std::string_view api_key;   // API key name (API v3 sends)
  std::string_view sender;    // envelope sender
  std::vector<std::string_view> recipients;  // rcpt: the one asked; later: all accepted
  std::string_view content;   // end_of_data: the message (its header section is read)
  // end_of_data under PRDR: asked per recipient, where only scenarios that
  // match a recipient answer, then for the whole message, where those don't.
  enum class Prdr { Off, EachRecipient, WholeMessage } prdr = Prdr::Off;
};

// Whether `m` matches the facts (the stage aside): every field given must.
bool match_facts(const config::ScenarioMatch& m, const StageFacts& f);

struct Firing {
  std::string name;
  std::optional<Reply> reply;
  std::optional<Millis> delay;
  bool disconnect = false;
  std::string detail;  // "match 3, fires every 3rd"
};

struct ScenarioState {
  config::Scenario scenario;
  std::uint64_t matched = 0;
  std::uint64_t fired = 0;
  bool retired() const { return scenario.times && fired >= *scenario.times; }
};

class Scenarios {
 public:
  explicit Scenarios(std::vector<config::Scenario> initial = {});

  std::optional<Firing> fire(const StageFacts& facts);

  // False (and nothing changes) when the name is taken.
  bool add(config::Scenario s);
  bool remove(const std::string& name);
  void clear();
  // A reload: the config's scenarios, counters from zero.
  void replace(std::vector<config::Scenario> all);
  std::vector<ScenarioState> list() const;
  bool empty() const;

 private:
  struct Entry {
    ScenarioState state;
    std::mt19937_64 rng;
  };
  static Entry make(config::Scenario s);
  mutable std::mutex mutex_;
  std::vector<Entry> entries_;
};

}  // namespace relaymock::policy
