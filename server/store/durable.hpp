// Durable mode (storage.path): one SQLite database in WAL mode holds captured
// messages, the event log, the counters' history and the clock offset. A
// message is committed before its 250 is sent; WAL with synchronous=NORMAL
// survives a killed process (kill -9) without an fsync per message.
#pragma once
#include <chrono>
#include <map>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/event.hpp"
#include "store/message.hpp"
#include "store/spool.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace relaymock::store {

// Prepared statements by their SQL text (string literals: stable addresses).
using StatementCache = std::map<const char*, sqlite3_stmt*>;

struct StoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Recipients counted against an identity at a time (quota and rate limits).
struct UsageRow {
  std::string key;  // "user:app", "ip:10.0.0.0/8"
  std::int64_t at_ms = 0;
  std::uint64_t n = 0;
};

class Durable {
 public:
  // Creates the directory if missing, takes its lock (a second instance on the
  // same path is refused), opens or creates the database. Throws StoreError.
  explicit Durable(const std::string& dir);
  ~Durable();
  Durable(const Durable&) = delete;
  Durable& operator=(const Durable&) = delete;

  const std::string& path() const { return db_path_; }
  const std::string& dir() const { return dir_; }

  // One transaction: the message, its usage rows, and the evictions it causes.
  // The content is `content`, or the whole of `spool` when one is given
  // (copied in pieces, never all in memory).
  void put_message(const Message& m, std::string_view content, const Spool* spool,
                   const std::vector<UsageRow>& usage, const std::vector<std::string>& evict_ids);
  std::vector<Message> load_messages();  // oldest first, without content
  std::optional<std::string> content(const std::string& id);
  void delete_message(const std::string& id);
  void delete_messages();

  void put_event(const Event& e);
  std::vector<Event> load_events(std::size_t newest);  // oldest first
  void trim_events(std::uint64_t keep_from_seq);
  void delete_events();
  std::uint64_t last_event_seq();

  std::vector<UsageRow> load_usage();
  void delete_usage();
  // Rows before `exact_after_ms` (older than every rate window) matter only
  // to the quota: they become one row per UTC day; days before
  // `keep_after_ms` go. Returns the rows before and after.
  std::pair<std::uint64_t, std::uint64_t> compact_usage(std::int64_t exact_after_ms, std::int64_t keep_after_ms);
  static constexpr const char* kQuotaDayKey = "quota:day";

  std::optional<std::int64_t> clock_offset_ms();
  void set_clock_offset_ms(std::int64_t ms);

  // Rows that could not be read back at start (a damaged or hand-edited
  // file): never skipped silently. Each is logged as it is met; the counts
  // go to the start-up line and /metrics.
  struct Corrupt {
    std::uint64_t messages = 0, events = 0, usage = 0;
    std::uint64_t total() const { return messages + events + usage; }
  };
  Corrupt corrupt() const;

 private:
  // Logs one unreadable row (the table, its key, why).
  void report_corrupt(const char* table, const std::string& key, const std::string& why, std::uint64_t& count);
  Corrupt corrupt_;
  void exec(const char* sql);
  mutable std::mutex mutex_;
  std::string dir_;
  std::string db_path_;
  int lock_fd_ = -1;
  sqlite3* db_ = nullptr;
  StatementCache cache_;
};

}  // namespace relaymock::store
