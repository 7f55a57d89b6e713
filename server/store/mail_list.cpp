#include "store/mail_list.hpp"

namespace relaymock::store {

void MailList::add(std::shared_ptr<const Message> m) {
  std::lock_guard lock(mutex_);
  bytes_ += m->content.size();
  messages_.push_back(std::move(m));
  while (!messages_.empty() && (messages_.size() > max_messages_ || bytes_ > max_bytes_)) {
    bytes_ -= messages_.front()->content.size();
    messages_.pop_front();
  }
}

std::vector<std::shared_ptr<const Message>> MailList::newest(std::size_t limit) const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<const Message>> out;
  for (auto it = messages_.rbegin(); it != messages_.rend() && out.size() < limit; ++it) out.push_back(*it);
  return out;
}

std::shared_ptr<const Message> MailList::find(const std::string& id) const {
  std::lock_guard lock(mutex_);
  for (const auto& m : messages_)
    if (m->id == id) return m;
  return nullptr;
}

std::size_t MailList::size() const {
  std::lock_guard lock(mutex_);
  return messages_.size();
}

std::size_t MailList::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

}  // namespace relaymock::store
