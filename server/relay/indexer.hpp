// Reads every captured message once more, off the SMTP event loops, for
// what the UI, the search grammar and the compatible APIs need beyond the
// envelope: names, Message-ID, Date, attachments, snippet, search text
// (store::Derived). A thread of its own at the lowest priority (nice 19)
// works through new messages as the bus announces them and,
// at start, through those a durable store brought back; a search that gets
// ahead of it reads what it needs itself, so answers never depend on how
// far the indexer has come.
#pragma once
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "relay/bus.hpp"
#include "store/derived.hpp"
#include "store/mail_store.hpp"

namespace relaymock::relay {

// What a message holds beyond its envelope, read with GMime.
std::shared_ptr<const store::Derived> derive(const store::Message& m, std::string_view content);

// Mailpit's cleanString: the separators < > " , ; ( ) and line breaks as
// spaces, whitespace collapsed, lower-cased. Search text and search terms
// both go through it.
std::string clean_search_text(std::string_view s);

class Indexer {
 public:
  Indexer(store::MailStore& mail, Bus& bus);
  ~Indexer();
  Indexer(const Indexer&) = delete;
  Indexer& operator=(const Indexer&) = delete;

  // For store::MailStore::query: derives a message now (for a search that
  // got ahead of the thread).
  const store::MailStore::Deriver& deriver() const { return deriver_; }
  // The derived data of one message, read now if not yet.
  std::shared_ptr<const store::Derived> ensure(const std::string& id);
  // Messages still waiting.
  std::size_t backlog() const;

 private:
  void run();
  store::MailStore& mail_;
  store::MailStore::Deriver deriver_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::string> queue_;
  bool stopping_ = false;
  Bus::Subscription sub_;
  std::thread thread_;
};

}  // namespace relaymock::relay
