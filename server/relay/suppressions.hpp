// The account's suppression list, as the provider keeps one: a hard bounce,
// a spam complaint or an unsubscribe suppresses the recipient (recorded as
// its outcome falls due), and /v3/suppression/add adds one by hand (an
// address or a whole domain). A later message to it is accepted and its
// recipient gets a `reject` event instead of a delivery, until removed.
// Thread-safe; bounded (kMax entries); memory only.
#pragma once
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
  mutable std::mutex mutex_;
  std::map<std::string, Suppression> by_key_;  // lower-cased address or domain
};

}  // namespace relaymock::relay
