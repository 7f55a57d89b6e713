#include "store/event_log.hpp"

namespace relaymock::store {

bool EventFilter::matches(const Event& e) const {
  return e.seq > since && (rule.empty() || e.rule == rule) && (session.empty() || e.session_id == session);
}

EventLog::EventLog(std::size_t capacity, Durable* durable) : capacity_(capacity), durable_(durable) {
  if (!durable_) return;
  for (auto& e : durable_->load_events(capacity_)) events_.push_back(std::move(e));
  seq_ = durable_->last_event_seq();
}

std::uint64_t EventLog::append(Event e) {
  std::lock_guard lock(mutex_);
  e.seq = ++seq_;
  if (durable_) {
    durable_->put_event(e);
    if (e.seq % 1024 == 0 && e.seq > capacity_) durable_->trim_events(e.seq - capacity_ + 1);
  }
  events_.push_back(std::move(e));
  if (events_.size() > capacity_) events_.pop_front();
  return seq_;
}

std::vector<Event> EventLog::query(const EventFilter& f, std::size_t limit, std::size_t* total) const {
  std::lock_guard lock(mutex_);
  std::vector<Event> out;
  std::size_t n = 0;
  // Oldest first from `since`, so a client can page forward by the last seq it saw.
  for (const auto& e : events_) {
    if (!f.matches(e)) continue;
    ++n;
    if (out.size() < limit) out.push_back(e);
  }
  if (total) *total = n;
  return out;
}

void EventLog::clear() {
  std::lock_guard lock(mutex_);
  if (durable_) durable_->delete_events();
  events_.clear();
  ++cleared_;
}

void Transcripts::add(const std::string& session, TimePoint t, char dir, std::string text) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(session);
  if (it == sessions_.end()) {
    if (order_.size() >= max_sessions_) {
      sessions_.erase(order_.front());
      order_.pop_front();
    }
    order_.push_back(session);
    it = sessions_.emplace(session, Entry{}).first;
  }
  if (it->second.lines.size() >= max_lines_) {
    ++it->second.elided;
    return;
  }
  it->second.lines.push_back({t, dir, std::move(text)});
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
}

}  // namespace relaymock::store
