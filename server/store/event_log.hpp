// The decision log the events API serves: the newest `capacity` events in
// memory (and, in durable mode, in SQLite too). Thread-safe.
#pragma once
#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/durable.hpp"
#include "store/event.hpp"

namespace relaymock::store {

struct EventFilter {
  std::uint64_t since = 0;  // seq > since
  std::string rule;
  std::string session;
  bool matches(const Event& e) const;
};

class EventLog {
 public:
  EventLog(std::size_t capacity, Durable* durable);

  // Assigns the sequence number and keeps the event. Storage errors are
  // reported by the caller's log, never thrown into a session.
  std::uint64_t append(Event e);
  std::vector<Event> query(const EventFilter& f, std::size_t limit, std::size_t* total = nullptr) const;
  void clear();
  std::uint64_t last_seq() const { return seq_.load(); }
  std::uint64_t generation() const { return seq_.load() + cleared_.load(); }

 private:
  mutable std::mutex mutex_;
  std::deque<Event> events_;
  std::size_t capacity_;
  Durable* durable_;
  std::atomic<std::uint64_t> seq_{0};
  std::atomic<std::uint64_t> cleared_{0};
};

// What a session said and heard, for GET /api/v1/sessions/{id}: AUTH
// payloads masked, message bodies reduced to their size. The newest
// `max_sessions` sessions, each up to `max_lines` lines. Memory only.
struct TranscriptLine {
  TimePoint time;
  char dir;  // 'C' client, 'S' server
  std::string text;
};

class Transcripts {
 public:
  Transcripts(std::size_t max_sessions, std::size_t max_lines) : max_sessions_(max_sessions), max_lines_(max_lines) {}
  void add(const std::string& session, TimePoint t, char dir, std::string text);
  // nullopt: no such session (or it has been forgotten).
  std::optional<std::vector<TranscriptLine>> get(const std::string& session, std::uint64_t* elided) const;
  void clear();

 private:
  struct Entry {
    std::vector<TranscriptLine> lines;
    std::uint64_t elided = 0;
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> sessions_;
  std::deque<std::string> order_;  // oldest first, for forgetting
  std::size_t max_sessions_, max_lines_;
};

}  // namespace relaymock::store
