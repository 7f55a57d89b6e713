// Captured mail: an in-memory index of every message (newest last), bounded by
// count and bytes (the oldest is evicted first), with the bytes themselves in
// memory (past the spool threshold: in an unnamed temporary file) or, in
// durable mode, in SQLite. Thread-safe.
#pragma once
#include <atomic>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/durable.hpp"
#include "store/message.hpp"

namespace relaymock::store {

// All set fields must match (AND).
struct MessageFilter {
  // Whole addresses (the domain without case), or globs with * and ?.
  std::string from;     // envelope sender or From header
  std::string to;       // any envelope recipient, To or Cc address
  // A case-insensitive substring.
  std::string subject;
  std::string user;     // identity name (SMTP username, API key name) exactly
  std::optional<TimePoint> since;
  bool matches(const Message& m) const;
};

class MailStore {
 public:
  // memory_spool_dir: where memory mode keeps large messages (empty: in memory).
  MailStore(std::size_t max_messages, std::uint64_t max_bytes, Durable* durable, std::string memory_spool_dir = {});

  // Stores (the caller has filled the header fields: from, to, cc,
  // subject), and in durable mode commits (with `usage`) before returning.
  // Throws StoreError if it cannot.
  // With a spool, the content is the spool's, not m->content: durable mode
  // copies it into SQLite, memory mode keeps the file with the message.
  void add(std::shared_ptr<Message> m, const std::vector<UsageRow>& usage = {}, std::shared_ptr<const Spool> spool = {});
  // The same without waiting: `done` gets nullopt once the message is kept
  // (durable: committed, on the store's writer thread; memory: at once, on
  // the caller's), or why it was kept out.
  void add(std::shared_ptr<Message> m, const std::vector<UsageRow>& usage, std::shared_ptr<const Spool> spool,
           Durable::Done done);
  // Where large incoming messages may be spooled: the durable store's
  // directory, or memory mode's temporary directory.
  std::optional<std::string> spool_dir() const {
    if (durable_) return durable_->dir();
    if (!memory_spool_dir_.empty()) return memory_spool_dir_;
    return std::nullopt;
  }

  struct Page {
    std::size_t total = 0;  // matching messages
    std::vector<std::shared_ptr<const Message>> items;  // newest first
  };
  Page query(const MessageFilter& f, std::size_t offset, std::size_t limit) const;
  std::shared_ptr<const Message> find(const std::string& id) const;
  // The bytes as received; nullopt if the id is unknown.
  std::optional<std::string> content(const std::string& id) const;
  bool remove(const std::string& id);
  void clear();

  std::size_t size() const;
  std::uint64_t bytes() const;
  // Bumped on every change: long-polls watch it.
  std::uint64_t generation() const { return generation_.load(); }

 private:
  std::vector<std::string> evictions_for(std::uint64_t size) const;  // with mutex_
  // Lists `m` and drops `evict` (with mutex_); returns what must go besides.
  std::vector<std::string> keep(std::shared_ptr<const Message> m, const std::vector<std::string>& evict);

  mutable std::mutex mutex_;
  std::deque<std::shared_ptr<const Message>> messages_;
  std::uint64_t bytes_ = 0;
  std::size_t max_messages_;
  std::uint64_t max_bytes_;
  Durable* durable_;
  std::string memory_spool_dir_;
  std::atomic<std::uint64_t> generation_{0};
};

}  // namespace relaymock::store
