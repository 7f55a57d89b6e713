#include "store/event_log.hpp"

#include <algorithm>

#include "util/glob.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace relaymock::store {

bool EventFilter::matches(const Event& e) const {
  if (e.seq <= since) return false;
  if (!rule.empty() && !(is_glob(rule) ? glob_match(rule, e.rule) : e.rule == rule)) return false;
  if (!stage.empty() && e.stage != stage) return false;
  if (!session.empty() && e.session_id != session) return false;
  if (!identity.empty() && e.identity_name != identity && e.identity_kind + ":" + e.identity_name != identity)
    return false;
  if (!sender.empty() && !address_filter_matches(sender, e.sender)) return false;
  if (!recipient.empty() && std::none_of(e.recipients.begin(), e.recipients.end(), [&](const std::string& r) {
        return address_filter_matches(recipient, r);
      }))
    return false;
  if (!message.empty() && e.message_id != message) return false;
  if (after && e.time < *after) return false;
  if (before && e.time >= *before) return false;
  return true;
}

EventLog::EventLog(std::size_t capacity, Durable* durable, std::uint64_t max_bytes)
    : capacity_(capacity), durable_(durable), max_bytes_(max_bytes) {
  if (!durable_) return;
  for (auto& e : durable_->load_events(capacity_)) {
    bytes_ += size_of(e);
    events_.push_back(std::move(e));
  }
  while (bytes_ > max_bytes_ && !events_.empty()) {
    bytes_ -= size_of(events_.front());
    events_.pop_front();
  }
  seq_ = durable_->last_event_seq();
}

std::uint64_t EventLog::size_of(const Event& e) {
  return sizeof(Event) + e.session_id.size() + e.client_ip.size() + e.stage.size() + e.rule.size() +
         e.identity_kind.size() + e.identity_name.size() + e.reply.size() + e.detail.size() + e.message_id.size() +
         e.sender.size() + [&] {
           std::uint64_t n = 0;
           for (const auto& r : e.recipients) n += r.size() + sizeof(std::string);
           for (const auto& c : e.checks)
             n += sizeof(EventCheck) + c.name.size() + c.result.size() + c.compared.size() + c.fix.size();
           return n;
         }();
}

std::uint64_t EventLog::append(Event e) {
  std::lock_guard lock(mutex_);
  e.seq = ++seq_;
  if (durable_) {
    // Written by the store's writer thread, in order with the messages.
    // One it cannot take stays here (and in the log) all the same.
    durable_->put_event_async(e, [this, seq = e.seq, rule = e.rule](const Durable::Failure& error) {
      if (!error) return;
      ++not_stored_;
      logger().error("event kept in memory only: the durable store did not take it",
                     {{"seq", std::to_string(seq)}, {"rule", rule}, {"error", *error}});
    });
    if (e.seq % 1024 == 0 && e.seq > capacity_) durable_->trim_events_async(e.seq - capacity_ + 1);
  }
  bytes_ += size_of(e);
  events_.push_back(std::move(e));
  while (!events_.empty() && (events_.size() > capacity_ || bytes_ > max_bytes_)) {
    bytes_ -= size_of(events_.front());
    events_.pop_front();
  }
  return seq_;
}

std::uint64_t EventLog::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

std::optional<Event> EventLog::get(std::uint64_t seq) const {
  std::lock_guard lock(mutex_);
  // Kept in sequence order, without gaps: an index, not a search.
  if (events_.empty() || seq < events_.front().seq || seq > events_.back().seq) return std::nullopt;
  const auto& e = events_[seq - events_.front().seq];
  if (e.seq != seq) return std::nullopt;
  return e;
}

std::vector<Event> EventLog::query(const EventFilter& f, std::size_t limit, std::size_t* total, bool newest_first) const {
  std::lock_guard lock(mutex_);
  std::vector<Event> out;
  std::size_t n = 0;
  auto take = [&](const Event& e) {
    if (!f.matches(e)) return;
    ++n;
    if (out.size() < limit) out.push_back(e);
  };
  if (newest_first)
    for (auto it = events_.rbegin(); it != events_.rend(); ++it) take(*it);
  else
    for (const auto& e : events_) take(e);
  if (total) *total = n;
  return out;
}

void EventLog::clear() {
  std::lock_guard lock(mutex_);
  if (durable_) durable_->delete_events();
  events_.clear();
  bytes_ = 0;
  ++cleared_;
}

void Transcripts::forget_oldest() {
  auto it = sessions_.find(order_.front());
  if (it != sessions_.end()) {
    bytes_ -= it->second.bytes;
    sessions_.erase(it);
  }
  order_.pop_front();
}

void Transcripts::add(const std::string& session, TimePoint t, char dir, std::string text) {
  if (text.size() > kMaxLine) text = clip(text, kMaxLine);
  const std::uint64_t cost = sizeof(TranscriptLine) + text.size();
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(session);
  if (it == sessions_.end()) {
    if (order_.size() >= max_sessions_) forget_oldest();
    order_.push_back(session);
    it = sessions_.emplace(session, Entry{}).first;
  }
  if (it->second.lines.size() >= max_lines_) {
    ++it->second.elided;
    return;
  }
  // Older sessions go first; the session being written is the newest.
  while (bytes_ + cost > max_bytes_ && order_.size() > 1 && order_.front() != session) forget_oldest();
  if (bytes_ + cost > max_bytes_) {
    ++it->second.elided;
    return;
  }
  it->second.lines.push_back({t, dir, std::move(text)});
  it->second.bytes += cost;
  bytes_ += cost;
}

std::uint64_t Transcripts::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

std::optional<std::vector<TranscriptLine>> Transcripts::get(const std::string& session, std::uint64_t* elided) const {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return std::nullopt;
  if (elided) *elided = it->second.elided;
  return it->second.lines;
}

void Transcripts::clear() {
  std::lock_guard lock(mutex_);
  sessions_.clear();
  order_.clear();
  bytes_ = 0;
}

}  // namespace relaymock::store
