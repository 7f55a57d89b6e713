// Captured mail: an in-memory index of every message (newest last), bounded by
// count and bytes (the oldest is evicted first), with the bytes themselves in
// memory (past the spool threshold: in an unnamed temporary file) or, in
// durable mode, in SQLite. Beside each message: its state (read, tags), which
// the UI and the compatible APIs change, and what the indexer read out of it
// (Derived). Thread-safe; a search never holds up a capture.
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
#include <unordered_map>
#include <vector>

#include "store/derived.hpp"
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

using Tags = std::vector<std::string>;

// A message as a search sees it: the capture, its state, what was read out of it.
struct MessageView {
  const Message& message;
  bool read;
  const Tags& tags;
  const Derived* derived;  // null when the search did not ask for it
};

// The same, kept: what a page of results holds.
struct Listed {
  std::shared_ptr<const Message> message;
  bool read = false;
  std::shared_ptr<const Tags> tags;  // never null
  std::shared_ptr<const Derived> derived;  // null unless asked for (or already read)
  const Message* operator->() const { return message.get(); }
  const Message& operator*() const { return *message; }
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
  // `tags` are the message's first tags (X-Tags, plus-addressing).
  void add(std::shared_ptr<Message> m, const std::vector<UsageRow>& usage = {}, std::shared_ptr<const Spool> spool = {},
           Tags tags = {});
  // The same without waiting: `done` gets nullopt once the message is kept
  // (durable: committed, on the store's writer thread; memory: at once, on
  // the caller's), or why it was kept out.
  void add(std::shared_ptr<Message> m, const std::vector<UsageRow>& usage, std::shared_ptr<const Spool> spool,
           Durable::Done done, Tags tags = {});
  // Where large incoming messages may be spooled: the durable store's
  // directory, or memory mode's temporary directory.
  std::optional<std::string> spool_dir() const {
    if (durable_) return durable_->dir();
    if (!memory_spool_dir_.empty()) return memory_spool_dir_;
    return std::nullopt;
  }

  struct Page {
    std::size_t total = 0;  // matching messages
    std::size_t unread = 0;  // of those, not read
    std::vector<Listed> items;  // newest first
  };
  Page query(const MessageFilter& f, std::size_t offset, std::size_t limit) const;
  // Any predicate. With `derive`, every message the predicate sees carries
  // what the indexer reads (computed now, off every lock, for those it has
  // not reached yet); without, `derived` may be null.
  using Predicate = std::function<bool(const MessageView&)>;
  using Deriver = std::function<std::shared_ptr<const Derived>(const Message&)>;
  Page select(const Predicate& p, std::size_t offset, std::size_t limit, const Deriver* derive = nullptr) const;
  // Every id matching, newest first (for deleting or marking a search).
  std::vector<std::string> select_ids(const Predicate& p, const Deriver* derive = nullptr) const;

  std::shared_ptr<const Message> find(const std::string& id) const;
  std::optional<Listed> listed(const std::string& id) const;
  // The id of the newest message, if any.
  std::optional<std::string> newest() const;
  // The bytes as received; nullopt if the id is unknown.
  std::optional<std::string> content(const std::string& id) const;
  // At most the first `max` bytes.
  std::optional<std::string> content(const std::string& id, std::uint64_t max) const;
  bool remove(const std::string& id);
  void clear();

  // State. Each returns the ids it changed (unknown ids are skipped).
  std::vector<std::string> set_read(const std::vector<std::string>& ids, bool read);
  // Every message (read or not): for "mark all read".
  std::vector<std::string> set_read_all(bool read);
  bool set_tags(const std::string& id, Tags tags);
  // Renames (or, with an empty `to`, removes) a tag on every message.
  std::vector<std::string> rename_tag(const std::string& from, const std::string& to);
  // Every tag in use, sorted.
  Tags all_tags() const;
  std::size_t unread() const;

  // What the indexer read out of a message (ignored for an unknown id).
  void set_derived(const std::string& id, std::shared_ptr<const Derived> d);
  std::shared_ptr<const Derived> derived(const std::string& id) const;
  // Ids still without derived data, oldest first.
  std::vector<std::string> not_derived() const;

  // Other names a message goes by, each made from its id (Mailpit's and
  // MailHog's id shapes, for their compatible APIs); set at start.
  using Aliaser = std::function<std::string(const std::string& id)>;
  void add_aliaser(Aliaser a);
  // The id an alias names, if a kept message has it.
  std::optional<std::string> resolve_alias(const std::string& alias) const;

  std::size_t size() const;
  std::uint64_t bytes() const;
  // Durable mode: bytes of committed messages still held for the indexer.
  std::uint64_t fresh_bytes() const;
  // Bumped on every change: long-polls watch it.
  std::uint64_t generation() const { return generation_.load(); }

 private:
  struct Entry {
    std::shared_ptr<const Message> message;
    // Guarded by state_mutex_.
    bool read = false;
    std::shared_ptr<const Tags> tags;
    std::shared_ptr<const Derived> derived;
    // Durable mode: the bytes just committed, kept until the indexer has
    // read them, so it need not read them back from the file (fresh_mutex_).
    std::shared_ptr<const std::string> fresh;
  };
  std::vector<std::string> evictions_for(std::uint64_t size) const;  // with mutex_
  // Lists `m` and drops `evict` (with mutex_); returns what must go besides.
  std::vector<std::string> keep(std::shared_ptr<Entry> e, const std::vector<std::string>& evict);
  void drop(std::deque<std::shared_ptr<Entry>>::iterator it);  // with mutex_
  void keep_fresh(Entry& e, std::shared_ptr<const std::string> content);
  void forget_fresh(Entry& e) const;
  std::vector<std::shared_ptr<Entry>> snapshot() const;  // newest first
  void derive_missing(const std::vector<std::shared_ptr<Entry>>& entries, const Deriver& derive) const;
  Listed listed_of(const Entry& e) const;  // with state_mutex_
  void persist_state(const Entry& e);      // with state_mutex_

  mutable std::mutex mutex_;  // the list, its index and the byte count
  std::deque<std::shared_ptr<Entry>> messages_;
  std::unordered_map<std::string, std::shared_ptr<Entry>> by_id_;
  std::vector<Aliaser> aliasers_;
  std::unordered_map<std::string, std::string> aliases_;  // alias -> id
  mutable std::mutex state_mutex_;  // read, tags, derived of every entry
  // Taken last, alone: every entry's `fresh` and their byte count.
  mutable std::mutex fresh_mutex_;
  mutable std::uint64_t fresh_bytes_ = 0;
  static constexpr std::uint64_t kMaxFreshBytes = 16 * 1024 * 1024;
  std::uint64_t bytes_ = 0;
  std::size_t max_messages_;
  std::uint64_t max_bytes_;
  Durable* durable_;
  std::string memory_spool_dir_;
  std::atomic<std::uint64_t> generation_{0};
};

}  // namespace relaymock::store
