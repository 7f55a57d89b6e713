// YAML loading and validation. Every problem is reported with its position,
// "FILE:LINE:COL: message"; an unknown key is always an error.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace relaymock::config {

struct Problem {
  int line = 0;    // 1-based
  int column = 0;  // 1-based
  std::string message;
};

struct LoadResult {
  Config config;
  std::vector<Problem> problems;
  bool ok() const { return problems.empty(); }
  // "FILE:LINE:COL: message" lines, one per problem.
  std::string format(const std::string& file) const;
};

// Parses and validates YAML text. `check_files` also opens the certificate
// and key files named in it (off for unit tests of pure syntax).
LoadResult load_config_text(std::string_view yaml, const std::string& source, bool check_files = true);
LoadResult load_config_file(const std::string& path);

// One fault or one scenario as the API receives them, checked by the same
// reader as the config file: `{"fault": ...}` or a scenario object. The API
// has checked a JSON body's syntax already (Boost.JSON, like every body);
// `yaml` is a pasted YAML body, whose errors carry "LINE:COL: ".
std::optional<Fault> parse_fault_body(std::string_view text, bool yaml, std::string& errors);
std::optional<Scenario> parse_scenario_body(std::string_view text, bool yaml, std::string& errors);
// One outcome rule as an outcomes.rules entry writes it (POST /api/v1/outcomes/rules).
std::optional<OutcomeRule> parse_outcome_rule_body(std::string_view text, bool yaml, std::string& errors);

// An API v3 key's form: "api-" and 32 of [A-Za-z0-9].
bool api_key_format(std::string_view key);

// The embedded default (config/relaymock.yaml at build time).
std::string_view default_config_text();

// Rule ids whose reply text may be replaced under `replies:`.
const std::vector<std::string>& known_reply_ids();

}  // namespace relaymock::config
