#include "relay/suppressions.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "util/strings.hpp"

namespace relaymock::relay {

namespace json = boost::json;

namespace {
constexpr const char* kKind = "suppression";
}

std::size_t Suppressions::restore() {
  if (!durable_) return 0;
  std::lock_guard lock(mutex_);
  durable_->for_each_pending(kKind, [&](std::uint64_t id, const std::string& text) {
    next_id_ = std::max(next_id_, id);
    const auto v = json::parse(text);  // throws on what is not JSON: the store reports the row
    const auto& o = v.as_object();
    Suppression s{std::string(o.at("email_address").as_string()), std::string(o.at("type").as_string()),
                  std::string(o.at("description").as_string()),
                  from_ms_since_epoch(o.at("at_ms").to_number<std::int64_t>())};
    auto key = ascii_lower(s.email_address);
    if (s.email_address.empty() || by_key_.count(key) || by_key_.size() >= kMax)
      throw std::invalid_argument("an empty, duplicate or one too many entry");
    by_key_.emplace(std::move(key), Entry{std::move(s), id});
  });
  return by_key_.size();
}

Suppressions::Added Suppressions::add(Suppression s) {
  auto key = ascii_lower(s.email_address);
  std::lock_guard lock(mutex_);
  if (by_key_.count(key)) return Added::Already;
  if (by_key_.size() >= kMax) return Added::Full;
  const std::uint64_t id = ++next_id_;
  if (durable_) {
    durable_->put_pending_async(kKind, id,
                                json::serialize(json::object{{"email_address", s.email_address},
                                                             {"type", s.type},
                                                             {"description", s.description},
                                                             {"at_ms", ms_since_epoch(s.at)}}));
  }
  by_key_.emplace(std::move(key), Entry{std::move(s), id});
  return Added::Added;
}

bool Suppressions::remove(std::string_view address) {
  std::lock_guard lock(mutex_);
  auto it = by_key_.find(ascii_lower(address));
  if (it == by_key_.end()) return false;
  if (durable_) durable_->delete_pending_async(kKind, it->second.id);
  by_key_.erase(it);
  return true;
}

std::optional<Suppression> Suppressions::find(std::string_view recipient) const {
  auto key = ascii_lower(recipient);
  std::lock_guard lock(mutex_);
  if (by_key_.empty()) return std::nullopt;
  if (auto it = by_key_.find(key); it != by_key_.end()) return it->second.s;
  if (auto at = key.rfind('@'); at != std::string::npos)
    if (auto it = by_key_.find(key.substr(at + 1)); it != by_key_.end()) return it->second.s;
  return std::nullopt;
}

std::vector<Suppression> Suppressions::list() const {
  std::vector<Suppression> out;
  {
    std::lock_guard lock(mutex_);
    out.reserve(by_key_.size());
    for (const auto& [k, e] : by_key_) out.push_back(e.s);
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
  if (durable_) durable_->delete_pending_kind_async(kKind);
  return n;
}

}  // namespace relaymock::relay
