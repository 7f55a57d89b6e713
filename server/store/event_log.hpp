// The decision log the events API serves: the newest `capacity` events,
// and no more than `max_bytes` of them, in memory (and, in durable mode, in
// SQLite too). An event the durable store cannot take (a full disk) is kept
// in memory all the same: a refusal is always visible. Thread-safe.
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
  std::string rule;         // exactly, or a glob ("sender_*")
  std::string stage;        // exactly (connect, auth, mail, rcpt, data, delivery, ...)
  std::string session;
  std::string identity;     // the identity's name, or kind:name ("user:app")
  std::string sender;       // an address, or a glob, as the messages filter takes it
  std::string recipient;    // any of the event's recipients
  std::string message;      // the message id an acceptance carries
  std::optional<TimePoint> after, before;  // time >= after, time < before
  bool matches(const Event& e) const;
};

class EventLog {
 public:
  EventLog(std::size_t capacity, Durable* durable, std::uint64_t max_bytes = 64ull * 1024 * 1024);

  // Assigns the sequence number and keeps the event. Never throws: a
  // durable store's error is logged and counted (not_stored()).
  std::uint64_t append(Event e);
  std::uint64_t not_stored() const { return not_stored_.load(); }
  std::uint64_t bytes() const;
  // What one event costs, as counted against max_bytes.
  static std::uint64_t size_of(const Event& e);
  // Oldest first (so a client can page forward by the last seq it saw), or
  // with `newest_first` the newest `limit` of them, newest first.
  std::vector<Event> query(const EventFilter& f, std::size_t limit, std::size_t* total = nullptr,
                           bool newest_first = false) const;
  // One event by its sequence number, if still kept.
  std::optional<Event> get(std::uint64_t seq) const;
  void clear();
  std::uint64_t last_seq() const { return seq_.load(); }
  std::uint64_t generation() const { return seq_.load() + cleared_.load(); }

 private:
  mutable std::mutex mutex_;
  std::deque<Event> events_;
  std::size_t capacity_;
  Durable* durable_;
  std::uint64_t max_bytes_;
  std::uint64_t bytes_ = 0;
  std::atomic<std::uint64_t> not_stored_{0};
  std::atomic<std::uint64_t> seq_{0};
  std::atomic<std::uint64_t> cleared_{0};
};

// What a session said and heard, for GET /api/v1/sessions/{id}: AUTH
// payloads masked, message bodies reduced to their size. The newest
// `max_sessions` sessions, each up to `max_lines` lines of at most
// kMaxLine bytes, all of them within `max_bytes`. Memory only.
struct TranscriptLine {
  TimePoint time;
  char dir;  // 'C' client, 'S' server
  std::string text;
};

class Transcripts {
 public:
  static constexpr std::size_t kMaxLine = 1024;
  Transcripts(std::size_t max_sessions, std::size_t max_lines, std::uint64_t max_bytes = 32ull * 1024 * 1024)
      : max_sessions_(max_sessions), max_lines_(max_lines), max_bytes_(max_bytes) {}
  std::uint64_t bytes() const;
  void add(const std::string& session, TimePoint t, char dir, std::string text);
  // nullopt: no such session (or it has been forgotten).
  std::optional<std::vector<TranscriptLine>> get(const std::string& session, std::uint64_t* elided) const;
  void clear();

 private:
  struct Entry {
    std::vector<TranscriptLine> lines;
    std::uint64_t elided = 0;
    std::uint64_t bytes = 0;
  };
  void forget_oldest();
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> sessions_;
  std::deque<std::string> order_;  // oldest first, for forgetting
  std::size_t max_sessions_, max_lines_;
  std::uint64_t max_bytes_;
  std::uint64_t bytes_ = 0;
};

}  // namespace relaymock::store
