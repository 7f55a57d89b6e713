// The account's suppression list, as the provider keeps one: a hard bounce,
// a spam complaint or an unsubscribe suppresses the recipient (recorded as
// its outcome falls due), and /v3/suppression/add adds one by hand (an
// address or a whole domain). A later message to it is accepted and its
// recipient gets a `reject` event instead of a delivery, until removed.
// Thread-safe; bounded (kMax entries). In durable mode each entry is a row
// of the store's `pending` table (kind "suppression"), restored at start.
#pragma once
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/durable.hpp"
#include "util/clock.hpp"

namespace relaymock::relay {

struct Suppression {
  std::string email_address;  // as given (an address, or a domain)
  std::string type;           // bounce | spam | unsubscribe | manual
  std::string description;    // block_description: the bounce's reply, or the caller's words
  TimePoint at;
};

class Suppressions {
 public:
  static constexpr std::size_t kMax = 100'000;
  enum class Added { Added, Already, Full };

  explicit Suppressions(store::Durable* durable = nullptr) : durable_(durable) {}
  // Durable mode, at start: the entries a previous run kept; how many.
  std::size_t restore();

  // An entry already there keeps its type and time.
  Added add(Suppression s);
  bool remove(std::string_view address);
  // The entry that suppresses `recipient`: its address, else its domain.
  std::optional<Suppression> find(std::string_view recipient) const;
  // Oldest first.
  std::vector<Suppression> list() const;
  std::size_t size() const;
  std::size_t clear();

 private:
  struct Entry {
    Suppression s;
    std::uint64_t id = 0;  // its row in durable mode
  };
  store::Durable* durable_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> by_key_;  // lower-cased address or domain
  std::uint64_t next_id_ = 0;
};

}  // namespace relaymock::relay
