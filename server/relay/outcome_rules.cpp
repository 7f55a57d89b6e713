#include "relay/outcome_rules.hpp"

#include <algorithm>

namespace relaymock::relay {

std::shared_ptr<const OutcomeRules::List> OutcomeRules::snapshot() const {
  std::lock_guard lock(mutex_);
  return rules_;
}

OutcomeRules::Added OutcomeRules::add(config::OutcomeRule rule) {
  std::lock_guard lock(mutex_);
  if (rules_->size() >= kMax) return Added::Full;
  if (std::any_of(rules_->begin(), rules_->end(), [&](const auto& r) { return r.name == rule.name; }))
    return Added::NameTaken;
  auto next = std::make_shared<List>(*rules_);
  next->push_back(std::move(rule));
  rules_ = std::move(next);
  return Added::Added;
}

bool OutcomeRules::remove(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<List>(*rules_);
  auto it = std::find_if(next->begin(), next->end(), [&](const auto& r) { return r.name == name; });
  if (it == next->end()) return false;
  next->erase(it);
  rules_ = std::move(next);
  return true;
}

std::size_t OutcomeRules::clear() {
  std::lock_guard lock(mutex_);
  auto n = rules_->size();
  rules_ = std::make_shared<const List>();
  return n;
}

}  // namespace relaymock::relay
