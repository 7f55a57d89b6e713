#include "relay/suppressions.hpp"

#include <algorithm>

#include "util/strings.hpp"

namespace relaymock::relay {

Suppressions::Added Suppressions::add(Suppression s) {
  auto key = ascii_lower(s.email_address);
  std::lock_guard lock(mutex_);
  if (by_key_.count(key)) return Added::Already;
  if (by_key_.size() >= kMax) return Added::Full;
  by_key_.emplace(std::move(key), std::move(s));
  return Added::Added;
}

bool Suppressions::remove(std::string_view address) {
  std::lock_guard lock(mutex_);
  return by_key_.erase(ascii_lower(address)) > 0;
}

std::optional<Suppression> Suppressions::find(std::string_view recipient) const {
  auto key = ascii_lower(recipient);
  std::lock_guard lock(mutex_);
  if (by_key_.empty()) return std::nullopt;
  if (auto it = by_key_.find(key); it != by_key_.end()) return it->second;
  if (auto at = key.rfind('@'); at != std::string::npos)
    if (auto it = by_key_.find(key.substr(at + 1)); it != by_key_.end()) return it->second;
  return std::nullopt;
}

std::vector<Suppression> Suppressions::list() const {
  std::vector<Suppression> out;
  {
    std::lock_guard lock(mutex_);
    out.reserve(by_key_.size());
    for (const auto& [k, s] : by_key_) out.push_back(s);
  }
  std::stable_sort(out.begin(), out.end(), [](const Suppression& a, const Suppression& b) { return a.at < b.at; });
  return out;
}

std::size_t Suppressions::size() const {
  std::lock_guard lock(mutex_);
  return by_key_.size();
}

std::size_t Suppressions::clear() {
  std::lock_guard lock(mutex_);
  auto n = by_key_.size();
  by_key_.clear();
  return n;
}

}  // namespace relaymock::relay
