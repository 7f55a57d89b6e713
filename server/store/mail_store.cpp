#include "store/mail_store.hpp"

#include <algorithm>
#include <future>

#include <algorithm>
#include <cctype>

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

// An address filter: a glob when it has * or ?, else the whole address, the
// local part with case and the domain without (as the account rules compare).
bool address_matches(std::string_view filter, std::string_view addr) {
  if (is_glob(filter)) return glob_match(filter, addr);
  auto fa = filter.rfind('@'), aa = addr.rfind('@');
  if (fa == std::string_view::npos || aa == std::string_view::npos) return iequals(filter, addr);
  return filter.substr(0, fa) == addr.substr(0, aa) && iequals(filter.substr(fa), addr.substr(aa));
}

bool any_matches(const std::vector<std::string>& v, std::string_view filter) {
  return std::any_of(v.begin(), v.end(), [&](const std::string& s) { return address_matches(filter, s); });
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
  for (auto& m : durable_->load_messages()) {
    bytes_ += m.size;
    messages_.push_back(std::make_shared<const Message>(std::move(m)));
  }
}

std::vector<std::string> MailStore::evictions_for(std::uint64_t size) const {
  // What a new message of `size` bytes pushes out, oldest first.
  std::vector<std::string> evict;
  std::size_t count = messages_.size() + 1;
  std::uint64_t bytes = bytes_ + size;
  for (const auto& old : messages_) {
    if (count <= max_messages_ && bytes <= max_bytes_) break;
    evict.push_back(old->id);
    --count;
    bytes -= old->size;
  }
  return evict;
}

std::vector<std::string> MailStore::keep(std::shared_ptr<const Message> m, const std::vector<std::string>& evict) {
  std::vector<std::string> extra;
  // The evicted were the oldest when chosen: look for them near the front
  // only (gone already, by another commit's eviction or a delete, they are
  // not looked for through the whole store).
  const std::size_t window = std::min(messages_.size(), evict.size() + 64);
  for (const auto& id : evict) {
    auto end = messages_.begin() + static_cast<std::ptrdiff_t>(std::min(window, messages_.size()));
    auto it = std::find_if(messages_.begin(), end, [&](const auto& x) { return x->id == id; });
    if (it == end) continue;
    bytes_ -= (*it)->size;
    messages_.erase(it);
  }
  bytes_ += m->size;
  messages_.push_back(std::move(m));
  // Messages committed side by side each counted without the others.
  while (messages_.size() > 1 && (messages_.size() > max_messages_ || bytes_ > max_bytes_)) {
    extra.push_back(messages_.front()->id);
    bytes_ -= messages_.front()->size;
    messages_.pop_front();
  }
  ++generation_;
  return extra;
}

void MailStore::add(std::shared_ptr<Message> m, const std::vector<UsageRow>& usage, std::shared_ptr<const Spool> spool,
                    Durable::Done done) {
  m->size = spool ? spool->size() : m->content.size();
  if (!durable_) {
    if (spool) {
      m->spooled = std::move(spool);  // memory mode: the file lives as long as the message
    } else if (m->content.capacity() > m->content.size() + m->content.size() / 8 + 4096) {
      // The session reserved room for a declared SIZE=; a client may declare
      // 50 MB and send 50 bytes. A kept message holds only what it holds.
      m->content.shrink_to_fit();
    }
    {
      std::lock_guard lock(mutex_);
      auto evict = evictions_for(m->size);
      keep(std::move(m), evict);
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
  std::string content = std::move(m->content);
  std::string().swap(m->content);
  std::shared_ptr<const Message> kept = m;
  durable_->put_message_async(kept, std::move(content), std::move(spool), usage, evict,
                              [this, kept, evict, done = std::move(done)](const Durable::Failure& e) {
                                if (!e) {
                                  std::vector<std::string> extra;
                                  {
                                    std::lock_guard lock(mutex_);
                                    extra = keep(kept, evict);
                                  }
                                  if (!extra.empty()) durable_->delete_messages_async(std::move(extra));
                                }
                                done(e);
                              });
}

void MailStore::add(std::shared_ptr<Message> m, const std::vector<UsageRow>& usage, std::shared_ptr<const Spool> spool) {
  std::promise<Durable::Failure> stored;
  auto result = stored.get_future();
  add(std::move(m), usage, std::move(spool), [&stored](const Durable::Failure& f) { stored.set_value(f); });
  if (auto failed = result.get()) throw StoreError(*failed);
}

MailStore::Page MailStore::query(const MessageFilter& f, std::size_t offset, std::size_t limit) const {
  std::lock_guard lock(mutex_);
  Page p;
  for (auto it = messages_.rbegin(); it != messages_.rend(); ++it) {
    if (!f.matches(**it)) continue;
    if (p.total >= offset && p.items.size() < limit) p.items.push_back(*it);
    ++p.total;
  }
  return p;
}

std::shared_ptr<const Message> MailStore::find(const std::string& id) const {
  std::lock_guard lock(mutex_);
  for (auto it = messages_.rbegin(); it != messages_.rend(); ++it)
    if ((*it)->id == id) return *it;
  return nullptr;
}

std::optional<std::string> MailStore::content(const std::string& id) const {
  auto m = find(id);
  if (!m) return std::nullopt;
  if (m->spooled) return m->spooled->read_all();
  if (!durable_) return m->content;
  return durable_->content(id);
}

bool MailStore::remove(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = std::find_if(messages_.begin(), messages_.end(), [&](const auto& m) { return m->id == id; });
  if (it == messages_.end()) return false;
  if (durable_) durable_->delete_message(id);
  bytes_ -= (*it)->size;
  messages_.erase(it);
  ++generation_;
  return true;
}

void MailStore::clear() {
  std::lock_guard lock(mutex_);
  if (durable_) durable_->delete_messages();
  messages_.clear();
  bytes_ = 0;
  ++generation_;
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
