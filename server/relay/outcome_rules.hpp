// The outcome rules added through the control API (POST
// /api/v1/outcomes/rules, the UI's Controls): tried before the config's
// `outcomes.rules`, kept until removed or the process ends (a reload keeps
// them, as it keeps the scenarios). Readers take a snapshot: a plan never
// waits for a change.
#pragma once
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace relaymock::relay {

class OutcomeRules {
 public:
  static constexpr std::size_t kMax = 1000;
  using List = std::vector<config::OutcomeRule>;

  std::shared_ptr<const List> snapshot() const;
  enum class Added { Added, NameTaken, Full };
  Added add(config::OutcomeRule rule);
  bool remove(const std::string& name);
  std::size_t clear();

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const List> rules_ = std::make_shared<const List>();
};

}  // namespace relaymock::relay
