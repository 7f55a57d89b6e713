// Durable mode (storage.path): one SQLite database in WAL mode holds captured
// messages, the event log, the counters' history and the clock offset. A
// message is committed before its 250 is sent; WAL with synchronous=NORMAL
// survives a killed process (kill -9) without an fsync per message.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <thread>
#include <map>
#include <unordered_map>
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

  // The writer thread: work queued here runs off every event loop, in
  // order, many jobs to one transaction (group commit: one WAL append and
  // one possible checkpoint for all of them). A job runs inside its own
  // savepoint, so one that throws undoes only itself; `done` then gets its
  // error, or the commit's. `done` runs on the writer thread, after the
  // commit, and must be quick (post elsewhere for real work).
  // Why a write failed, as text: an exception object handed between
  // threads would be freed by whichever lets go last (and ThreadSanitizer
  // cannot see libstdc++'s reference count), so failures cross as strings.
  using Failure = std::optional<std::string>;
  using Done = std::function<void(const Failure&)>;
  // The message, its usage rows and the evictions it causes, all or
  // nothing. The content is `content`, or the whole of `spool` when one is
  // given (copied in pieces, never all in memory).
  void put_message_async(std::shared_ptr<const Message> m, std::shared_ptr<const std::string> content,
                         std::shared_ptr<const Spool> spool,
                         std::vector<UsageRow> usage, std::vector<std::string> evict_ids, std::vector<std::string> tags,
                         Done done);
  // A message's state (read, tags), as the UI and the compatible APIs set it.
  void set_state_async(const std::string& id, bool read, std::vector<std::string> tags);
  struct State {
    bool read = false;
    std::vector<std::string> tags;
  };
  std::unordered_map<std::string, State> load_states();
  void put_event_async(Event e, Done done);
  void trim_events_async(std::uint64_t keep_from_seq);
  void delete_messages_async(std::vector<std::string> ids);
  // Waits for everything queued so far, then ends the writer (the destructor
  // does it too).
  void stop_writer();
  // Jobs and transactions the writer has run: batches_ < jobs_ is group commit.
  std::uint64_t jobs_written() const { return jobs_.load(); }
  // The file was written by an older relaymock and its messages table was
  // copied into the current layout at open.
  bool upgraded() const { return upgraded_; }
  std::uint64_t batches_written() const { return batches_.load(); }
  std::vector<Message> load_messages();  // oldest first, without content
  std::optional<std::string> content(const std::string& id, std::uint64_t max = UINT64_MAX);
  void delete_message(const std::string& id);
  // Deletes every message; `also` runs in the same job, on the writer
  // thread, so that what the caller keeps in memory changes at the same
  // point of the write order.
  void delete_messages(const std::function<void()>& also = {});

  std::vector<Event> load_events(std::size_t newest);  // oldest first
  void delete_events();
  std::uint64_t last_event_seq();

  std::vector<UsageRow> load_usage();
  void delete_usage();
  // Rows before `exact_after_ms` (older than every rate window) matter only
  // to the quota: they become one row per UTC day; days before
  // `keep_after_ms` go. Returns the rows before and after.
  std::pair<std::uint64_t, std::uint64_t> compact_usage(std::int64_t exact_after_ms, std::int64_t keep_after_ms);
  static constexpr const char* kQuotaDayKey = "quota:day";

  // The account API's changes over the config file, in order (one JSON text
  // each): appended one by one, replaced whole by a reload.
  std::vector<std::string> account_changes();
  void append_account_change(const std::string& change);
  void replace_account_changes(const std::vector<std::string>& changes);
  // Work that waits in memory for the clock (webhook deliveries between
  // their attempts), by kind and id, one JSON text each: written as it
  // changes, read back at start so a restart loses none of it.
  void put_pending_async(std::string kind, std::uint64_t id, std::string data);
  void delete_pending_async(std::string kind, std::uint64_t id);
  void delete_pending_kind_async(std::string kind);
  // Each row of `kind`, by id, to `read`. A row `read` throws on is reported
  // like any unreadable row (counted, left in the file, not loaded).
  void for_each_pending(const std::string& kind,
                        const std::function<void(std::uint64_t id, const std::string& data)>& read);
  std::optional<std::int64_t> clock_offset_ms();
  void set_clock_offset_ms(std::int64_t ms);

  // Rows that could not be read back at start (a damaged or hand-edited
  // file): never skipped silently. Each is logged as it is met; the counts
  // go to the start-up line and /metrics.
  struct Corrupt {
    std::uint64_t messages = 0, events = 0, usage = 0, pending = 0;
    std::uint64_t total() const { return messages + events + usage + pending; }
  };
  Corrupt corrupt() const;

 private:
  // Logs one unreadable row (the table, its key, why).
  void report_corrupt(const char* table, const std::string& key, const std::string& why, std::uint64_t& count);
  Corrupt corrupt_;
  void exec(const char* sql);
  // The statements of put_message and put_event, inside a transaction the
  // caller holds (with mutex_).
  void insert_message(const Message& m, std::string_view content, const Spool* spool,
                      const std::vector<UsageRow>& usage, const std::vector<std::string>& evict_ids,
                      const std::vector<std::string>& tags);
  void write_state(const std::string& id, bool read, const std::vector<std::string>& tags);
  void insert_event(const Event& e);

  struct Job {
    std::function<void()> work;  // runs with mutex_ held, inside the batch's transaction
    Done done;
    // One statement: SQLite undoes a failed one by itself, no savepoint needed.
    bool single_statement = false;
  };
  void enqueue(Job job);
  // Queues `work` behind everything before it and waits for its commit:
  // every change to the file goes through the writer, in order.
  void run_sync(const std::function<void()>& work);
  void writer_loop();
  void run_batch(std::vector<Job>& batch);

  // Message rows by id (the table has no index on id); with the changes of
  // the batch being written, undone when a job or the commit fails.
  void map_row(const std::string& id, std::int64_t seq);
  void delete_row(const std::string& id);
  void undo_changes(std::size_t from);
  void upgrade_messages_table();
  struct RowChange {
    std::string id;
    std::optional<std::int64_t> before;
  };
  // Written by the writer thread only (which reads it without a lock);
  // rowid_mutex_ guards it against the readers of content().
  std::unordered_map<std::string, std::int64_t> rowid_;
  std::mutex rowid_mutex_;
  // Connections that read message content beside the writer.
  struct Reader {
    std::mutex mutex;
    sqlite3* db = nullptr;
    StatementCache cache;
  };
  static constexpr std::size_t kReaders = 3;
  std::vector<std::unique_ptr<Reader>> readers_;
  std::atomic<std::size_t> next_reader_{0};
  // Ids with a row in message_state (deleted with the message).
  std::unordered_map<std::string, bool> stateful_;
  std::vector<RowChange> changes_;
  bool upgraded_ = false;

  mutable std::mutex mutex_;
  std::string dir_;
  std::string db_path_;
  int lock_fd_ = -1;
  sqlite3* db_ = nullptr;
  StatementCache cache_;

  std::mutex queue_mutex_;
  std::condition_variable queue_wake_;
  std::deque<Job> queue_;
  bool writer_stopping_ = false;
  // How many queued jobs wake the writer: 1 while it waits for work, the
  // batch it lingers for, never while it writes (each wake is a context
  // switch the SMTP loops pay for; queue_mutex_).
  std::size_t wake_at_ = 1;
  std::thread writer_;
  std::atomic<std::uint64_t> jobs_{0}, batches_{0};

  // The checkpointer: its own connection and thread, woken by the writer's
  // commits once the WAL holds kCheckpointPages.
  static constexpr int kCheckpointPages = 4000;         // ~16 MB
  static constexpr int kCheckpointPagesInline = 40000;  // ~160 MB: the writer helps
  static int on_wal_commit(void* self, sqlite3* db, const char* name, int pages);
  void checkpointer_loop();
  sqlite3* checkpoint_db_ = nullptr;
  std::mutex checkpoint_mutex_;
  std::condition_variable checkpoint_wake_;
  bool checkpoint_wanted_ = false;
  bool checkpoint_stopping_ = false;
  std::thread checkpointer_;
};

}  // namespace relaymock::store
