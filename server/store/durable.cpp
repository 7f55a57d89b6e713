#include "store/durable.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <future>
#include <tuple>

#include "store/codec.hpp"
#include "util/log.hpp"
#include "util/thread_name.hpp"

namespace relaymock::store {

namespace json = boost::json;

namespace {

// A prepared statement from the store's cache: prepared once per SQL text
// (parsing costs more than a small insert), reset and unbound after use.
class Stmt {
 public:
  Stmt(sqlite3* db, StatementCache& cache, const char* sql) : db_(db) {
    auto it = cache.find(sql);
    if (it == cache.end()) {
      if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st_, nullptr) != SQLITE_OK)
        throw StoreError(std::string("storage: ") + sqlite3_errmsg(db));
      cache.emplace(sql, st_);
    } else {
      st_ = it->second;
    }
  }
  ~Stmt() {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& text(int i, std::string_view s) {
    sqlite3_bind_text(st_, i, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& blob(int i, std::string_view s) {
    sqlite3_bind_blob64(st_, i, s.data(), s.size(), SQLITE_STATIC);
    return *this;
  }
  Stmt& integer(int i, std::int64_t v) {
    sqlite3_bind_int64(st_, i, v);
    return *this;
  }
  bool step() {
    int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw StoreError(std::string("storage: ") + sqlite3_errmsg(db_));
  }
  void run() {
    while (step()) {
    }
  }
  std::string column_text(int i) {
    auto* p = sqlite3_column_blob(st_, i);
    return p ? std::string(static_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(st_, i)))
             : std::string();
  }
  std::int64_t column_int(int i) { return sqlite3_column_int64(st_, i); }

 private:
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
};

}  // namespace

Durable::Durable(const std::string& dir) : dir_(dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw StoreError("storage.path " + dir + ": cannot create the directory: " + ec.message());
  auto lock_path = (std::filesystem::path(dir) / "relaymock.lock").string();
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) throw StoreError("storage.path " + dir + ": cannot open " + lock_path + ": " + std::strerror(errno));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    auto n = ::pread(lock_fd_, buf, sizeof buf - 1, 0);
    std::string pid = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "?";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    ::close(lock_fd_);
    lock_fd_ = -1;
    throw StoreError("storage.path " + dir + " is in use by another relaymock (pid " + pid +
                     "); two instances must not share a store");
  }
  auto pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(lock_fd_, 0) == 0) (void)!::pwrite(lock_fd_, pid.data(), pid.size(), 0);

  db_path_ = (std::filesystem::path(dir) / "relaymock.sqlite3").string();
  if (sqlite3_open_v2(db_path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string err = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    ::close(lock_fd_);
    throw StoreError("storage.path " + dir + ": cannot open " + db_path_ + ": " + err);
  }
  try {
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    // Checkpoints (the copy into the main file, and its fsync) run on a thread
    // of their own (checkpointer_loop), so the writer only ever appends.
    exec("PRAGMA wal_autocheckpoint=0");
    exec("PRAGMA journal_size_limit=67108864");  // a WAL grown under load shrinks back to 64 MB
    // Messages are found by their rowid (seq), which rowid_ maps from the id:
    // an index on the random ids put a random page into every commit.
    exec("CREATE TABLE IF NOT EXISTS messages(seq INTEGER PRIMARY KEY, id TEXT NOT NULL,"
         " meta TEXT NOT NULL, content BLOB NOT NULL)");
    upgrade_messages_table();
    // Every row, unreadable ones too: a delete by id finds them all.
    Stmt rows(db_, cache_, "SELECT id, seq FROM messages");
    while (rows.step()) rowid_[rows.column_text(0)] = rows.column_int(1);
    exec("CREATE TABLE IF NOT EXISTS events(seq INTEGER PRIMARY KEY, data TEXT NOT NULL)");
    exec("CREATE TABLE IF NOT EXISTS usage(key TEXT NOT NULL, at_ms INTEGER NOT NULL, n INTEGER NOT NULL)");
    exec("CREATE TABLE IF NOT EXISTS state(k TEXT PRIMARY KEY, v TEXT NOT NULL)");
    exec("CREATE TABLE IF NOT EXISTS account_changes(seq INTEGER PRIMARY KEY, data TEXT NOT NULL)");
    exec("CREATE TABLE IF NOT EXISTS pending(kind TEXT NOT NULL, id INTEGER NOT NULL, data TEXT NOT NULL,"
         " PRIMARY KEY(kind, id))");
    // A damaged file would open, report ready and then fail every write with
    // 451: check its structure once (about a second per GB) and refuse it.
    Stmt check(db_, cache_, "PRAGMA quick_check(1)");
    std::string verdict = check.step() ? check.column_text(0) : std::string("no answer");
    for (auto& ch : verdict)
      if (ch == '\n' || ch == '\r') ch = ' ';  // one line
    if (verdict != "ok")
      throw StoreError("damaged: PRAGMA quick_check says \"" + verdict +
                       "\"; move the file away to start on an empty store, or restore a copy");
    // Read marks and tags, written only when they change (never on the
    // capture path unless a message arrives tagged).
    exec("CREATE TABLE IF NOT EXISTS message_state(id TEXT PRIMARY KEY, read INTEGER NOT NULL, tags TEXT NOT NULL)");
    exec("DELETE FROM message_state WHERE id NOT IN (SELECT id FROM messages)");
    {
      Stmt ids(db_, cache_, "SELECT id FROM message_state");
      while (ids.step()) stateful_[ids.column_text(0)] = true;
    }
  } catch (const StoreError& e) {
    for (auto& [sql, st] : cache_) sqlite3_finalize(st);
    cache_.clear();
    sqlite3_close(db_);
    db_ = nullptr;
    ::close(lock_fd_);
    throw StoreError("storage.path " + dir + ": " + db_path_ + " is not a usable relaymock store (" + e.what() + ")");
  }
  if (sqlite3_open_v2(db_path_.c_str(), &checkpoint_db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
          SQLITE_OK ||
      sqlite3_exec(checkpoint_db_, "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr) != SQLITE_OK) {
    sqlite3_close(checkpoint_db_);
    checkpoint_db_ = nullptr;  // the writer then checkpoints itself (on_wal_commit)
  }
  for (std::size_t i = 0; i < kReaders; ++i) {
    auto r = std::make_unique<Reader>();
    if (sqlite3_open_v2(db_path_.c_str(), &r->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
      sqlite3_close(r->db);
      r->db = nullptr;
    }
    readers_.push_back(std::move(r));
  }
  sqlite3_wal_hook(db_, &Durable::on_wal_commit, this);
  if (checkpoint_db_) checkpointer_ = std::thread([this] { checkpointer_loop(); });
  writer_ = std::thread([this] { writer_loop(); });
}

int Durable::on_wal_commit(void* self_ptr, sqlite3* db, const char*, int pages) {
  auto* self = static_cast<Durable*>(self_ptr);
  if (pages >= kCheckpointPages && self->checkpoint_db_) {
    {
      std::lock_guard lock(self->checkpoint_mutex_);
      self->checkpoint_wanted_ = true;
    }
    self->checkpoint_wake_.notify_one();
  }
  // No checkpointer connection, or it fell far behind: the writer copies
  // itself, so the WAL stays bounded.
  if (pages >= (self->checkpoint_db_ ? kCheckpointPagesInline : kCheckpointPages))
    sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  return SQLITE_OK;
}

void Durable::checkpointer_loop() {
  name_this_thread("rm-checkpoint");
  std::unique_lock lock(checkpoint_mutex_);
  while (true) {
    checkpoint_wake_.wait(lock, [&] { return checkpoint_stopping_ || checkpoint_wanted_; });
    if (checkpoint_stopping_) return;
    checkpoint_wanted_ = false;
    lock.unlock();
    // PASSIVE: copies what no reader still needs, never waits for the
    // writer; the writer restarts the WAL once everything is copied.
    sqlite3_wal_checkpoint_v2(checkpoint_db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    lock.lock();
  }
}

Durable::~Durable() {
  stop_writer();
  {
    std::lock_guard lock(checkpoint_mutex_);
    checkpoint_stopping_ = true;
  }
  checkpoint_wake_.notify_one();
  if (checkpointer_.joinable()) checkpointer_.join();
  if (checkpoint_db_) sqlite3_close(checkpoint_db_);
  for (auto& r : readers_) {
    for (auto& [sql, st] : r->cache) sqlite3_finalize(st);
    if (r->db) sqlite3_close(r->db);
  }
  for (auto& [sql, st] : cache_) sqlite3_finalize(st);
  if (db_) sqlite3_close(db_);
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void Durable::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "error";
    sqlite3_free(err);
    throw StoreError("storage: " + msg);
  }
}

void Durable::run_sync(const std::function<void()>& work) {
  std::promise<Failure> done;
  auto result = done.get_future();
  enqueue({[&work] { work(); }, [&done](const Failure& f) { done.set_value(f); }});
  if (auto failed = result.get()) throw StoreError(*failed);  // what the job (or the commit) threw
}

void Durable::insert_message(const Message& m, std::string_view content, const Spool* spool,
                             const std::vector<UsageRow>& usage, const std::vector<std::string>& evict_ids,
                             const std::vector<std::string>& tags) {
  // Ids are unique (the table has no index to say so: rowid_ does).
  if (rowid_.count(m.id)) throw StoreError("storage: message " + m.id + " is already stored");
  auto meta = json::serialize(message_record(m));
  if (!spool) {
    Stmt(db_, cache_, "INSERT INTO messages(id, meta, content) VALUES(?, ?, ?)").text(1, m.id).text(2, meta).blob(3, content).run();
    map_row(m.id, sqlite3_last_insert_rowid(db_));
  } else {
    Stmt(db_, cache_, "INSERT INTO messages(id, meta, content) VALUES(?, ?, zeroblob(?))")
        .text(1, m.id)
        .text(2, meta)
        .integer(3, static_cast<std::int64_t>(spool->size()))
        .run();
    sqlite3_blob* blob = nullptr;
    auto seq = sqlite3_last_insert_rowid(db_);
    map_row(m.id, seq);
    if (sqlite3_blob_open(db_, "main", "messages", "content", seq, 1, &blob) != SQLITE_OK)
      throw StoreError(std::string("storage: ") + sqlite3_errmsg(db_));
    std::string buf(256 * 1024, '\0');
    std::uint64_t off = 0;
    int rc = SQLITE_OK;
    while (off < spool->size() && rc == SQLITE_OK) {
      auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), spool->size() - off));
      auto n = ::pread(spool->fd(), buf.data(), want, static_cast<off_t>(off));
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        sqlite3_blob_close(blob);
        throw StoreError(std::string("spool read failed: ") + (n < 0 ? std::strerror(errno) : "short file"));
      }
      rc = sqlite3_blob_write(blob, buf.data(), static_cast<int>(n), static_cast<int>(off));
      off += static_cast<std::uint64_t>(n);
    }
    sqlite3_blob_close(blob);
    if (rc != SQLITE_OK) throw StoreError(std::string("storage: ") + sqlite3_errmsg(db_));
  }
  for (const auto& u : usage)
    Stmt(db_, cache_, "INSERT INTO usage(key, at_ms, n) VALUES(?, ?, ?)")
        .text(1, u.key)
        .integer(2, u.at_ms)
        .integer(3, static_cast<std::int64_t>(u.n))
        .run();
  if (!tags.empty()) write_state(m.id, false, tags);
  for (const auto& id : evict_ids) delete_row(id);
}

void Durable::write_state(const std::string& id, bool read, const std::vector<std::string>& tags) {
  Stmt(db_, cache_, "INSERT OR REPLACE INTO message_state(id, read, tags) VALUES(?, ?, ?)")
      .text(1, id)
      .integer(2, read ? 1 : 0)
      .text(3, json::serialize(json_strings(tags)))
      .run();
  stateful_[id] = true;
}

void Durable::set_state_async(const std::string& id, bool read, std::vector<std::string> tags) {
  auto args = std::make_shared<std::pair<std::string, std::vector<std::string>>>(id, std::move(tags));
  enqueue({[this, args, read] {
             // A message deleted meanwhile keeps no state.
             if (rowid_.count(args->first)) write_state(args->first, read, args->second);
           },
           {}});
}

std::unordered_map<std::string, Durable::State> Durable::load_states() {
  std::lock_guard lock(mutex_);
  std::unordered_map<std::string, State> out;
  Stmt st(db_, cache_, "SELECT id, read, tags FROM message_state");
  while (st.step()) {
    State s;
    s.read = st.column_int(1) != 0;
    boost::system::error_code ec;
    auto v = json::parse(st.column_text(2), ec);
    if (!ec && v.is_array())
      for (const auto& t : v.as_array())
        if (t.is_string()) s.tags.emplace_back(t.as_string());
    out[st.column_text(0)] = std::move(s);
  }
  return out;
}

void Durable::map_row(const std::string& id, std::int64_t seq) {
  auto it = rowid_.find(id);
  changes_.push_back({id, it == rowid_.end() ? std::nullopt : std::optional<std::int64_t>(it->second)});
  std::lock_guard lock(rowid_mutex_);
  rowid_[id] = seq;
}

void Durable::delete_row(const std::string& id) {
  auto it = rowid_.find(id);
  if (it == rowid_.end()) return;  // never stored (or already gone)
  Stmt(db_, cache_, "DELETE FROM messages WHERE seq = ?").integer(1, it->second).run();
  if (stateful_.erase(id)) Stmt(db_, cache_, "DELETE FROM message_state WHERE id = ?").text(1, id).run();
  changes_.push_back({id, it->second});
  std::lock_guard lock(rowid_mutex_);
  rowid_.erase(it);
}

void Durable::undo_changes(std::size_t from) {
  // Newest first, so a key changed twice ends as it was before both.
  while (changes_.size() > from) {
    auto& c = changes_.back();
    std::lock_guard lock(rowid_mutex_);
    if (c.before) rowid_[c.id] = *c.before;
    else rowid_.erase(c.id);
    changes_.pop_back();
  }
}

void Durable::upgrade_messages_table() {
  // Stores written before 0.1.1 had a UNIQUE index on id and AUTOINCREMENT:
  // copy them once into the current table (seq kept, so the order stays).
  std::string sql;
  {
    Stmt st(db_, cache_, "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'messages'");
    if (!st.step()) return;
    sql = st.column_text(0);
  }  // reset before the table is dropped
  if (sql.find("UNIQUE") == std::string::npos && sql.find("AUTOINCREMENT") == std::string::npos) return;
  exec("BEGIN IMMEDIATE");
  try {
    exec("CREATE TABLE messages_upgraded(seq INTEGER PRIMARY KEY, id TEXT NOT NULL, meta TEXT NOT NULL,"
         " content BLOB NOT NULL)");
    exec("INSERT INTO messages_upgraded(seq, id, meta, content) SELECT seq, id, meta, content FROM messages");
    exec("DROP TABLE messages");
    exec("ALTER TABLE messages_upgraded RENAME TO messages");
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  upgraded_ = true;
}

void Durable::enqueue(Job job) {
  {
    std::lock_guard lock(queue_mutex_);
    if (!writer_stopping_) {
      queue_.push_back(std::move(job));
      if (queue_.size() >= wake_at_) queue_wake_.notify_one();
      return;
    }
  }
  // Stopped: nothing may be lost silently.
  if (job.done) job.done(Failure("storage: the store is closing"));
}

void Durable::put_message_async(std::shared_ptr<const Message> m, std::shared_ptr<const std::string> content,
                                std::shared_ptr<const Spool> spool, std::vector<UsageRow> usage,
                                std::vector<std::string> evict_ids, std::vector<std::string> tags, Done done) {
  auto args = std::make_shared<std::tuple<std::shared_ptr<const Message>, std::shared_ptr<const std::string>,
                                          std::shared_ptr<const Spool>,
                                          std::vector<UsageRow>, std::vector<std::string>, std::vector<std::string>>>(
      std::move(m), std::move(content), std::move(spool), std::move(usage), std::move(evict_ids), std::move(tags));
  enqueue({[this, args] {
             auto& [msg, text, sp, rows, evict, tag_list] = *args;
             insert_message(*msg, *text, sp.get(), rows, evict, tag_list);
             text.reset();  // the bytes are in the file now (the store may keep them a while: MailStore::add)
           },
           std::move(done)});
}

void Durable::put_event_async(Event e, Done done) {
  auto ev = std::make_shared<Event>(std::move(e));
  enqueue({[this, ev] { insert_event(*ev); }, std::move(done), true});
}

void Durable::trim_events_async(std::uint64_t keep_from_seq) {
  enqueue({[this, keep_from_seq] {
             Stmt(db_, cache_, "DELETE FROM events WHERE seq < ?")
                 .integer(1, static_cast<std::int64_t>(keep_from_seq))
                 .run();
           },
           {},
           true});
}

void Durable::delete_messages_async(std::vector<std::string> ids) {
  auto list = std::make_shared<std::vector<std::string>>(std::move(ids));
  enqueue({[this, list] {
             for (const auto& id : *list) delete_row(id);
           },
           {}});
}

void Durable::writer_loop() {
  name_this_thread("rm-store");
  // Up to this many jobs share one transaction: enough to amortise the
  // commit, few enough that the first in the batch does not wait long.
  constexpr std::size_t kBatch = 256;
  // Measured (bench, 20 sessions): half the transactions, about 5% more
  // messages a second; an idle store never waits (last == 1).
  constexpr auto kLinger = std::chrono::microseconds(500);
  std::size_t last = 0;
  std::vector<Job> batch;
  std::unique_lock lock(queue_mutex_);
  while (true) {
    wake_at_ = 1;
    queue_wake_.wait(lock, [&] { return writer_stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything written
    // Under load (the last transaction served several writers), give the
    // writers still on their way a moment to join this one.
    if (last > 1 && queue_.size() < last) {
      wake_at_ = last;
      queue_wake_.wait_for(lock, kLinger, [&] { return writer_stopping_ || queue_.size() >= last; });
    }
    wake_at_ = SIZE_MAX;
    while (!queue_.empty() && batch.size() < kBatch) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    last = batch.size();
    lock.unlock();
    run_batch(batch);
    batch.clear();
    lock.lock();
  }
}

void Durable::run_batch(std::vector<Job>& batch) {
  auto why = [] {
    try {
      throw;
    } catch (const std::exception& e) {
      return std::string(e.what());
    } catch (...) {
      return std::string("storage: unknown error");
    }
  };
  std::vector<Failure> errors(batch.size());
  {
    std::lock_guard lock(mutex_);
    Failure whole;
    try {
      Stmt(db_, cache_, "BEGIN IMMEDIATE").run();
    } catch (...) {
      whole = why();
    }
    if (!whole) {
      for (std::size_t i = 0; i < batch.size(); ++i) {
        auto mark = changes_.size();
        const bool savepoint = !batch[i].single_statement;
        try {
          if (savepoint) Stmt(db_, cache_, "SAVEPOINT job").run();
          batch[i].work();
          if (savepoint) Stmt(db_, cache_, "RELEASE job").run();
        } catch (...) {
          errors[i] = why();
          if (savepoint) {
            sqlite3_exec(db_, "ROLLBACK TO job", nullptr, nullptr, nullptr);
            sqlite3_exec(db_, "RELEASE job", nullptr, nullptr, nullptr);
          }
          undo_changes(mark);  // rowid_ follows the file
        }
      }
      try {
        Stmt(db_, cache_, "COMMIT").run();
      } catch (...) {
        whole = why();
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        undo_changes(0);
      }
    }
    changes_.clear();
    if (whole)
      for (auto& e : errors)
        if (!e) e = whole;
  }
  jobs_ += batch.size();
  ++batches_;
  for (std::size_t i = 0; i < batch.size(); ++i)
    if (batch[i].done) batch[i].done(errors[i]);
}

void Durable::stop_writer() {
  {
    std::lock_guard lock(queue_mutex_);
    writer_stopping_ = true;
  }
  queue_wake_.notify_one();
  if (writer_.joinable()) writer_.join();
}

std::vector<Message> Durable::load_messages() {
  std::lock_guard lock(mutex_);
  std::vector<Message> out;
  Stmt st(db_, cache_, "SELECT meta, id FROM messages ORDER BY seq");
  while (st.step()) {
    boost::system::error_code ec;
    auto v = json::parse(st.column_text(0), ec);
    auto m = ec ? std::nullopt : message_from_record(v);
    if (m) out.push_back(std::move(*m));
    else report_corrupt("messages", st.column_text(1), ec ? "not JSON: " + ec.message() : "not a message record", corrupt_.messages);
  }
  return out;
}

std::optional<std::string> Durable::content(const std::string& id, std::uint64_t max) {
  std::int64_t seq;
  {
    std::lock_guard lock(rowid_mutex_);
    auto it = rowid_.find(id);
    if (it == rowid_.end()) return std::nullopt;
    seq = it->second;
  }
  // Reads go through connections of their own (WAL lets them read beside the
  // writer), never the writer's: a reader at low priority (the indexer) must
  // not hold a lock the writer needs.
  Reader* r = nullptr;
  std::unique_lock<std::mutex> held;
  for (auto& candidate : readers_) {
    std::unique_lock<std::mutex> l(candidate->mutex, std::try_to_lock);
    if (l.owns_lock()) {
      r = candidate.get();
      held = std::move(l);
      break;
    }
  }
  if (!r) {
    r = readers_[next_reader_++ % readers_.size()].get();
    held = std::unique_lock<std::mutex>(r->mutex);
  }
  if (!r->db) {  // no reader connection could be opened: the writer's
    held.unlock();
    std::lock_guard lock(mutex_);
    Stmt st(db_, cache_, "SELECT substr(content, 1, ?) FROM messages WHERE seq = ?");
    st.integer(1, static_cast<std::int64_t>(std::min<std::uint64_t>(max, INT64_MAX))).integer(2, seq);
    if (!st.step()) return std::nullopt;
    return st.column_text(0);
  }
  const char* sql = max == UINT64_MAX ? "SELECT content FROM messages WHERE seq = ?"
                                      : "SELECT substr(content, 1, ?) FROM messages WHERE seq = ?";
  Stmt st(r->db, r->cache, sql);
  if (max == UINT64_MAX) st.integer(1, seq);
  else st.integer(1, static_cast<std::int64_t>(std::min<std::uint64_t>(max, INT64_MAX))).integer(2, seq);
  if (!st.step()) return std::nullopt;
  return st.column_text(0);
}

void Durable::delete_message(const std::string& id) {
  run_sync([&] { delete_row(id); });
}

void Durable::delete_messages(const std::function<void()>& also) {
  run_sync([&] {
    exec("DELETE FROM messages");
    exec("DELETE FROM message_state");
    stateful_.clear();
    for (auto& [id, seq] : rowid_) changes_.push_back({id, seq});
    {
      std::lock_guard lock(rowid_mutex_);
      rowid_.clear();
    }
    if (also) also();
  });
}

void Durable::insert_event(const Event& e) {
  Stmt(db_, cache_, "INSERT OR REPLACE INTO events(seq, data) VALUES(?, ?)")
      .integer(1, static_cast<std::int64_t>(e.seq))
      .text(2, json::serialize(event_json(e)))
      .run();
}

std::vector<Event> Durable::load_events(std::size_t newest) {
  std::lock_guard lock(mutex_);
  std::vector<Event> out;
  Stmt st(db_, cache_, "SELECT data, seq FROM (SELECT seq, data FROM events ORDER BY seq DESC LIMIT ?) ORDER BY seq");
  st.integer(1, static_cast<std::int64_t>(newest));
  while (st.step()) {
    boost::system::error_code ec;
    auto v = json::parse(st.column_text(0), ec);
    auto e = ec ? std::nullopt : event_from_json(v);
    if (e) out.push_back(std::move(*e));
    else report_corrupt("events", st.column_text(1), ec ? "not JSON: " + ec.message() : "not an event record", corrupt_.events);
  }
  return out;
}

void Durable::delete_events() {
  run_sync([&] {
    // Sequence numbers are never reused, even after the log is emptied.
    exec("INSERT OR REPLACE INTO state(k, v) SELECT 'event_seq', MAX(COALESCE((SELECT MAX(seq) FROM events), 0),"
         " COALESCE((SELECT CAST(v AS INTEGER) FROM state WHERE k = 'event_seq'), 0))");
    exec("DELETE FROM events");
  });
}

std::uint64_t Durable::last_event_seq() {
  std::lock_guard lock(mutex_);
  Stmt st(db_, cache_, "SELECT COALESCE(MAX(seq), 0) FROM events");
  st.step();
  auto from_events = static_cast<std::uint64_t>(st.column_int(0));
  Stmt st2(db_, cache_, "SELECT v FROM state WHERE k = 'event_seq'");
  std::uint64_t kept = 0;
  if (st2.step()) kept = std::strtoull(st2.column_text(0).c_str(), nullptr, 10);
  return std::max(from_events, kept);
}

std::vector<UsageRow> Durable::load_usage() {
  std::lock_guard lock(mutex_);
  std::vector<UsageRow> out;
  Stmt st(db_, cache_, "SELECT key, at_ms, n, typeof(at_ms), typeof(n), rowid FROM usage ORDER BY at_ms, rowid");
  while (st.step()) {
    auto key = st.column_text(0);
    bool ok = key.find(':') != std::string::npos && st.column_text(3) == "integer" && st.column_text(4) == "integer" &&
              st.column_int(2) > 0;
    if (ok) out.push_back({key, st.column_int(1), static_cast<std::uint64_t>(st.column_int(2))});
    else report_corrupt("usage", "rowid " + st.column_text(5), "not a (counter, time, recipients) row", corrupt_.usage);
  }
  return out;
}

void Durable::report_corrupt(const char* table, const std::string& key, const std::string& why, std::uint64_t& count) {
  ++count;
  logger().error("unreadable row in the durable store; left in the file, not loaded",
                 {{"file", db_path_}, {"table", table}, {"row", key}, {"error", why}});
}

Durable::Corrupt Durable::corrupt() const {
  std::lock_guard lock(mutex_);
  return corrupt_;
}

std::pair<std::uint64_t, std::uint64_t> Durable::compact_usage(std::int64_t exact_after_ms,
                                                               std::int64_t keep_after_ms) {
  std::lock_guard lock(mutex_);
  auto count = [&] {
    Stmt st(db_, cache_, "SELECT count(*) FROM usage");
    st.step();
    return static_cast<std::uint64_t>(st.column_int(0));
  };
  auto before = count();
  exec("BEGIN IMMEDIATE");
  try {
    Stmt(db_, cache_, "DELETE FROM usage WHERE at_ms < ?").integer(1, keep_after_ms).run();
    exec("CREATE TEMP TABLE IF NOT EXISTS usage_days(at_ms INTEGER NOT NULL, n INTEGER NOT NULL)");
    exec("DELETE FROM temp.usage_days");
    // Day rows are kept too (re-summed), so compaction is idempotent. Only
    // well-formed rows move; the others stay where load_usage reports them.
    Stmt(db_, cache_,
         "INSERT INTO temp.usage_days SELECT (at_ms / 86400000) * 86400000, SUM(n) FROM usage WHERE at_ms < ? AND "
         "typeof(at_ms) = 'integer' AND typeof(n) = 'integer' AND n > 0 GROUP BY at_ms / 86400000")
        .integer(1, exact_after_ms)
        .run();
    Stmt(db_, cache_,
         "DELETE FROM usage WHERE at_ms < ? AND typeof(at_ms) = 'integer' AND typeof(n) = 'integer' AND n > 0")
        .integer(1, exact_after_ms)
        .run();
    Stmt(db_, cache_, "INSERT INTO usage(key, at_ms, n) SELECT ?, at_ms, n FROM temp.usage_days")
        .text(1, kQuotaDayKey)
        .run();
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  return {before, count()};
}

void Durable::delete_usage() {
  run_sync([&] { exec("DELETE FROM usage"); });
}

std::vector<std::string> Durable::account_changes() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  Stmt st(db_, cache_, "SELECT data FROM account_changes ORDER BY seq");
  while (st.step()) out.push_back(st.column_text(0));
  return out;
}

void Durable::append_account_change(const std::string& change) {
  run_sync([&] { Stmt(db_, cache_, "INSERT INTO account_changes(data) VALUES(?)").text(1, change).run(); });
}

void Durable::put_pending_async(std::string kind, std::uint64_t id, std::string data) {
  auto row = std::make_shared<std::pair<std::string, std::string>>(std::move(kind), std::move(data));
  enqueue({[this, row, id] {
             Stmt(db_, cache_, "INSERT OR REPLACE INTO pending(kind, id, data) VALUES(?, ?, ?)")
                 .text(1, row->first)
                 .integer(2, static_cast<std::int64_t>(id))
                 .text(3, row->second)
                 .run();
           },
           {}});
}

void Durable::delete_pending_async(std::string kind, std::uint64_t id) {
  enqueue({[this, kind = std::move(kind), id] {
             Stmt(db_, cache_, "DELETE FROM pending WHERE kind = ? AND id = ?")
                 .text(1, kind)
                 .integer(2, static_cast<std::int64_t>(id))
                 .run();
           },
           {}});
}

void Durable::delete_pending_kind_async(std::string kind) {
  enqueue({[this, kind = std::move(kind)] { Stmt(db_, cache_, "DELETE FROM pending WHERE kind = ?").text(1, kind).run(); },
           {}});
}

void Durable::for_each_pending(const std::string& kind,
                               const std::function<void(std::uint64_t id, const std::string& data)>& read) {
  std::vector<std::pair<std::uint64_t, std::string>> rows;
  {
    std::lock_guard lock(mutex_);
    Stmt st(db_, cache_, "SELECT id, data FROM pending WHERE kind = ? ORDER BY id");
    st.text(1, kind);
    while (st.step()) rows.emplace_back(static_cast<std::uint64_t>(st.column_int(0)), st.column_text(1));
  }
  // `read` runs without the store's lock: it may take its caller's.
  for (const auto& [id, data] : rows) {
    try {
      read(id, data);
    } catch (const std::exception& e) {
      std::lock_guard lock(mutex_);
      report_corrupt("pending", kind + " " + std::to_string(id), e.what(), corrupt_.pending);
    }
  }
}

void Durable::replace_account_changes(const std::vector<std::string>& changes) {
  run_sync([&] {
    exec("DELETE FROM account_changes");
    for (const auto& c : changes) Stmt(db_, cache_, "INSERT INTO account_changes(data) VALUES(?)").text(1, c).run();
  });
}

std::optional<std::int64_t> Durable::clock_offset_ms() {
  std::lock_guard lock(mutex_);
  Stmt st(db_, cache_, "SELECT v FROM state WHERE k = 'clock_offset_ms'");
  if (!st.step()) return std::nullopt;
  return std::strtoll(st.column_text(0).c_str(), nullptr, 10);
}

void Durable::set_clock_offset_ms(std::int64_t ms) {
  run_sync([&] {
    Stmt(db_, cache_, "INSERT OR REPLACE INTO state(k, v) VALUES('clock_offset_ms', ?)")
        .text(1, std::to_string(ms))
        .run();
  });
}

}  // namespace relaymock::store
