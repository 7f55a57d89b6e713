#include "store/mail_store.hpp"

#include <algorithm>
#include <cctype>
#include <future>
#include <set>

#include "util/glob.hpp"
#include "util/strings.hpp"

namespace relaymock::store {
namespace {

bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return true;
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
  return it != hay.end();
}

bool address_matches(std::string_view filter, std::string_view addr) { return address_filter_matches(filter, addr); }

bool any_matches(const std::vector<std::string>& v, std::string_view filter) {
  return std::any_of(v.begin(), v.end(), [&](const std::string& s) { return address_matches(filter, s); });
}

const std::shared_ptr<const Tags>& no_tags() {
  static const auto none = std::make_shared<const Tags>();
  return none;
}

}  // namespace

bool MessageFilter::matches(const Message& m) const {
  if (!from.empty() && !address_matches(from, m.envelope_from) && !address_matches(from, m.from)) return false;
  if (!to.empty() && !any_matches(m.envelope_to, to) && !any_matches(m.to, to) && !any_matches(m.cc, to))
    return false;
  if (!subject.empty() && !icontains(m.subject, subject)) return false;
  if (!user.empty() && m.identity_name != user) return false;
  if (since && m.received_at < *since) return false;
  return true;
}

MailStore::MailStore(std::size_t max_messages, std::uint64_t max_bytes, Durable* durable, std::string memory_spool_dir)
    : max_messages_(max_messages), max_bytes_(max_bytes), durable_(durable), memory_spool_dir_(std::move(memory_spool_dir)) {
  if (!durable_) return;
  auto states = durable_->load_states();
  for (auto& m : durable_->load_messages()) {
    bytes_ += m.size;
    auto e = std::make_shared<Entry>();
    e->tags = no_tags();
    if (auto it = states.find(m.id); it != states.end()) {
      e->read = it->second.read;
      if (!it->second.tags.empty()) e->tags = std::make_shared<const Tags>(std::move(it->second.tags));
    }
    e->message = std::make_shared<const Message>(std::move(m));
    by_id_[e->message->id] = e;
    messages_.push_back(std::move(e));
  }
}

std::vector<std::string> MailStore::evictions_for(std::uint64_t size) const {
  // What a new message of `size` bytes pushes out, oldest first.
  std::vector<std::string> evict;
  std::size_t count = messages_.size() + 1;
  std::uint64_t bytes = bytes_ + size;
  for (const auto& old : messages_) {
    if (count <= max_messages_ && bytes <= max_bytes_) break;
    evict.push_back(old->message->id);
    --count;
    bytes -= old->message->size;
  }
  return evict;
}

void MailStore::keep_fresh(Entry& e, std::shared_ptr<const std::string> content) {
  std::lock_guard lock(fresh_mutex_);
  if (e.fresh || fresh_bytes_ + content->size() > kMaxFreshBytes) return;  // past the bound: read from the file
  fresh_bytes_ += content->size();
  e.fresh = std::move(content);
}

std::uint64_t MailStore::fresh_bytes() const {
  std::lock_guard lock(fresh_mutex_);
  return fresh_bytes_;
}

void MailStore::forget_fresh(Entry& e) const {
  std::lock_guard lock(fresh_mutex_);
  if (!e.fresh) return;
  fresh_bytes_ -= e.fresh->size();
  e.fresh.reset();
}

void MailStore::drop(std::deque<std::shared_ptr<Entry>>::iterator it) {
  forget_fresh(**it);
  bytes_ -= (*it)->message->size;
  for (const auto& a : aliasers_) aliases_.erase(a((*it)->message->id));
  by_id_.erase((*it)->message->id);
  messages_.erase(it);
}

void MailStore::add_aliaser(Aliaser a) {
  std::lock_guard lock(mutex_);
  for (const auto& e : messages_) aliases_[a(e->message->id)] = e->message->id;
  aliasers_.push_back(std::move(a));
}

std::optional<std::string> MailStore::resolve_alias(const std::string& alias) const {
  std::lock_guard lock(mutex_);
  auto it = aliases_.find(alias);
  if (it == aliases_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> MailStore::keep(std::shared_ptr<Entry> e, const std::vector<std::string>& evict) {
  std::vector<std::string> extra;
  // The evicted were the oldest when chosen: look for them near the front
  // only (gone already, by another commit's eviction or a delete, they are
  // not looked for through the whole store).
  const std::size_t window = std::min(messages_.size(), evict.size() + 64);
  for (const auto& id : evict) {
    auto end = messages_.begin() + static_cast<std::ptrdiff_t>(std::min(window, messages_.size()));
    auto it = std::find_if(messages_.begin(), end, [&](const auto& x) { return x->message->id == id; });
    if (it != end) drop(it);
  }
  bytes_ += e->message->size;
  by_id_[e->message->id] = e;
  for (const auto& a : aliasers_) aliases_[a(e->message->id)] = e->message->id;
  messages_.push_back(std::move(e));
  // Messages committed side by side each counted without the others.
  while (messages_.size() > 1 && (messages_.size() > max_messages_ || bytes_ > max_bytes_)) {
    extra.push_back(messages_.front()->message->id);
    drop(messages_.begin());
  }
  ++generation_;
  return extra;
}

void MailStore::add(std::shared_ptr<Message> m, const std::vector<UsageRow>& usage, std::shared_ptr<const Spool> spool,
                    Durable::Done done, Tags tags) {
  m->size = spool ? spool->size() : m->content.size();
  auto e = std::make_shared<Entry>();
  e->tags = tags.empty() ? no_tags() : std::make_shared<const Tags>(tags);
  if (!durable_) {
    if (spool) {
      m->spooled = std::move(spool);  // memory mode: the file lives as long as the message
    } else if (m->content.capacity() > m->content.size() + m->content.size() / 8 + 4096) {
      // The session reserved room for a declared SIZE=; a client may declare
      // 50 MB and send 50 bytes. A kept message holds only what it holds.
      m->content.shrink_to_fit();
    }
    e->message = std::move(m);
    {
      std::lock_guard lock(mutex_);
      auto evict = evictions_for(e->message->size);
      keep(std::move(e), evict);
    }
    done(std::nullopt);
    return;
  }
  std::vector<std::string> evict;
  {
    std::lock_guard lock(mutex_);
    evict = evictions_for(m->size);
  }
  // The writer commits it with its usage rows; only then is it listed (and
  // the caller told), so nothing shows that a crash could take back.
  auto content = std::make_shared<const std::string>(std::move(m->content));
  std::string().swap(m->content);
  e->message = m;
  durable_->put_message_async(e->message, content, std::move(spool), usage, evict, std::move(tags),
                              [this, e, evict, content, done = std::move(done)](const Durable::Failure& f) {
                                if (!f) {
                                  if (!content->empty()) keep_fresh(*e, content);  // not a spooled one
                                  std::vector<std::string> extra;
                                  {
                                    std::lock_guard lock(mutex_);
                                    extra = keep(e, evict);
                                  }
                                  if (!extra.empty()) durable_->delete_messages_async(std::move(extra));
                                }
                                done(f);
                              });
}

void MailStore::add(std::shared_ptr<Message> m, const std::vector<UsageRow>& usage, std::shared_ptr<const Spool> spool,
                    Tags tags) {
  std::promise<Durable::Failure> stored;
  auto result = stored.get_future();
  add(std::move(m), usage, std::move(spool), [&stored](const Durable::Failure& f) { stored.set_value(f); },
      std::move(tags));
  if (auto failed = result.get()) throw StoreError(*failed);
}

std::vector<std::shared_ptr<MailStore::Entry>> MailStore::snapshot() const {
  std::lock_guard lock(mutex_);
  return {messages_.rbegin(), messages_.rend()};
}

void MailStore::derive_missing(const std::vector<std::shared_ptr<Entry>>& entries, const Deriver& derive) const {
  std::vector<Entry*> missing;
  {
    std::lock_guard lock(state_mutex_);
    for (const auto& e : entries)
      if (!e->derived) missing.push_back(e.get());
  }
  // Parsing happens off every lock: captures and state changes go on.
  for (auto* e : missing) {
    auto d = derive(*e->message);
    {
      std::lock_guard lock(state_mutex_);
      if (!e->derived) e->derived = std::move(d);
    }
    forget_fresh(*e);  // the indexer will find it derived and not read it
  }
}

Listed MailStore::listed_of(const Entry& e) const { return Listed{e.message, e.read, e.tags, e.derived}; }

MailStore::Page MailStore::select(const Predicate& p, std::size_t offset, std::size_t limit, const Deriver* derive) const {
  auto entries = snapshot();
  if (derive) derive_missing(entries, *derive);
  Page page;
  std::lock_guard lock(state_mutex_);
  for (const auto& e : entries) {
    if (!p(MessageView{*e->message, e->read, *e->tags, e->derived.get()})) continue;
    if (page.total >= offset && page.items.size() < limit) page.items.push_back(listed_of(*e));
    ++page.total;
    if (!e->read) ++page.unread;
  }
  return page;
}

MailStore::Page MailStore::query(const MessageFilter& f, std::size_t offset, std::size_t limit) const {
  return select([&f](const MessageView& v) { return f.matches(v.message); }, offset, limit);
}

std::vector<std::string> MailStore::select_ids(const Predicate& p, const Deriver* derive) const {
  auto entries = snapshot();
  if (derive) derive_missing(entries, *derive);
  std::vector<std::string> out;
  std::lock_guard lock(state_mutex_);
  for (const auto& e : entries)
    if (p(MessageView{*e->message, e->read, *e->tags, e->derived.get()})) out.push_back(e->message->id);
  return out;
}

std::shared_ptr<const Message> MailStore::find(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second->message;
}

std::optional<Listed> MailStore::listed(const std::string& id) const {
  std::shared_ptr<Entry> e;
  {
    std::lock_guard lock(mutex_);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return std::nullopt;
    e = it->second;
  }
  std::lock_guard lock(state_mutex_);
  return listed_of(*e);
}

std::optional<std::string> MailStore::newest() const {
  std::lock_guard lock(mutex_);
  if (messages_.empty()) return std::nullopt;
  return messages_.back()->message->id;
}

std::optional<std::string> MailStore::content(const std::string& id) const { return content(id, UINT64_MAX); }

std::optional<std::string> MailStore::content(const std::string& id, std::uint64_t max) const {
  std::shared_ptr<Entry> e;
  {
    std::lock_guard lock(mutex_);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return std::nullopt;
    e = it->second;
  }
  const auto& m = e->message;
  auto prefix = [max](const std::string& s) {
    return s.substr(0, static_cast<std::size_t>(std::min<std::uint64_t>(max, s.size())));
  };
  if (m->spooled) return m->spooled->read_prefix(max);
  if (!durable_) return prefix(m->content);
  std::shared_ptr<const std::string> fresh;
  {
    std::lock_guard lock(fresh_mutex_);
    fresh = e->fresh;
  }
  if (fresh) return prefix(*fresh);
  return durable_->content(id, max);
}

// The durable delete waits for the writer, whose commit callbacks take
// mutex_ (keep): it must run after the lock is let go, or a capture
// committed meanwhile and this delete would wait for each other for good.
bool MailStore::remove(const std::string& id) {
  {
    std::lock_guard lock(mutex_);
    auto found = by_id_.find(id);
    if (found == by_id_.end()) return false;
    drop(std::find(messages_.begin(), messages_.end(), found->second));
    ++generation_;
  }
  if (durable_) durable_->delete_message(id);
  return true;
}

void MailStore::clear() {
  auto forget = [this] {
    std::lock_guard lock(mutex_);
    for (auto& e : messages_) forget_fresh(*e);
    messages_.clear();
    by_id_.clear();
    aliases_.clear();
    bytes_ = 0;
    ++generation_;
  };
  // Durable: in the writer's job, so that a message committed just before
  // is gone from both, and one committed just after stays in both.
  if (durable_) durable_->delete_messages(forget);
  else forget();
}

void MailStore::persist_state(const Entry& e) {
  if (durable_) durable_->set_state_async(e.message->id, e.read, *e.tags);
}

std::vector<std::string> MailStore::set_read(const std::vector<std::string>& ids, bool read) {
  std::vector<std::shared_ptr<Entry>> found;
  {
    std::lock_guard lock(mutex_);
    for (const auto& id : ids)
      if (auto it = by_id_.find(id); it != by_id_.end()) found.push_back(it->second);
  }
  std::vector<std::string> changed;
  std::lock_guard lock(state_mutex_);
  for (const auto& e : found) {
    if (e->read == read) continue;
    e->read = read;
    persist_state(*e);
    changed.push_back(e->message->id);
  }
  if (!changed.empty()) ++generation_;
  return changed;
}

std::vector<std::string> MailStore::set_read_all(bool read) {
  auto entries = snapshot();
  std::vector<std::string> changed;
  std::lock_guard lock(state_mutex_);
  for (const auto& e : entries) {
    if (e->read == read) continue;
    e->read = read;
    persist_state(*e);
    changed.push_back(e->message->id);
  }
  if (!changed.empty()) ++generation_;
  return changed;
}

bool MailStore::set_tags(const std::string& id, Tags tags) {
  std::shared_ptr<Entry> e;
  {
    std::lock_guard lock(mutex_);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return false;
    e = it->second;
  }
  std::lock_guard lock(state_mutex_);
  e->tags = tags.empty() ? no_tags() : std::make_shared<const Tags>(std::move(tags));
  persist_state(*e);
  ++generation_;
  return true;
}

std::vector<std::string> MailStore::rename_tag(const std::string& from, const std::string& to) {
  auto entries = snapshot();
  std::vector<std::string> changed;
  std::lock_guard lock(state_mutex_);
  for (const auto& e : entries) {
    const auto& old = *e->tags;
    if (std::find(old.begin(), old.end(), from) == old.end()) continue;
    Tags next;
    for (const auto& t : old)
      if (t != from) next.push_back(t);
    if (!to.empty() && std::find(next.begin(), next.end(), to) == next.end()) next.push_back(to);
    std::sort(next.begin(), next.end());
    e->tags = next.empty() ? no_tags() : std::make_shared<const Tags>(std::move(next));
    persist_state(*e);
    changed.push_back(e->message->id);
  }
  if (!changed.empty()) ++generation_;
  return changed;
}

Tags MailStore::all_tags() const {
  auto entries = snapshot();
  std::set<std::string> all;
  std::lock_guard lock(state_mutex_);
  for (const auto& e : entries) all.insert(e->tags->begin(), e->tags->end());
  return {all.begin(), all.end()};
}

std::size_t MailStore::unread() const {
  auto entries = snapshot();
  std::lock_guard lock(state_mutex_);
  return static_cast<std::size_t>(std::count_if(entries.begin(), entries.end(), [](const auto& e) { return !e->read; }));
}

void MailStore::set_derived(const std::string& id, std::shared_ptr<const Derived> d) {
  std::shared_ptr<Entry> e;
  {
    std::lock_guard lock(mutex_);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return;
    e = it->second;
  }
  {
    std::lock_guard lock(state_mutex_);
    if (!e->derived) e->derived = std::move(d);
  }
  forget_fresh(*e);
}

std::shared_ptr<const Derived> MailStore::derived(const std::string& id) const {
  std::shared_ptr<Entry> e;
  {
    std::lock_guard lock(mutex_);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return nullptr;
    e = it->second;
  }
  std::lock_guard lock(state_mutex_);
  return e->derived;
}

std::vector<std::string> MailStore::not_derived() const {
  std::vector<std::shared_ptr<Entry>> entries;
  {
    std::lock_guard lock(mutex_);
    entries.assign(messages_.begin(), messages_.end());
  }
  std::vector<std::string> out;
  std::lock_guard lock(state_mutex_);
  for (const auto& e : entries)
    if (!e->derived) out.push_back(e->message->id);
  return out;
}

std::size_t MailStore::size() const {
  std::lock_guard lock(mutex_);
  return messages_.size();
}

std::uint64_t MailStore::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

}  // namespace relaymock::store
