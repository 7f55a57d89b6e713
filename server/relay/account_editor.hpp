// The account as the file wrote it, plus what the provider's account API
// changed since (users added, domains verified, keys removed): the changes
// are kept in order, applied to the running policy at once, shown by
// /api/v1/config, saved in durable mode and replayed over a reloaded file.
#pragma once
#include <boost/json/array.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/provider_account.hpp"
#include "store/durable.hpp"

namespace relaymock::relay {

class AccountEditor {
 public:
  // Puts a config in force (the engine, and what else reads it).
  using Install = std::function<void(std::shared_ptr<const config::Config>)>;
  // More changes than this since the file was loaded are refused: write
  // them into the file and reload without them.
  static constexpr std::size_t kMaxChanges = 10000;

  // `install` puts a changed account in force (a change, and the changes
  // restored at start, touch nothing else); rebase is given what a whole
  // reload installs.
  AccountEditor(std::shared_ptr<const config::Config> file, store::Durable* durable, Install install);

  struct Rebased {
    std::shared_ptr<const config::Config> config;
    std::vector<std::string> dropped;  // changes the file no longer allows, and why
  };
  // At startup: the changes kept in durable mode, replayed over the file.
  Rebased restore();
  // A reload: the new file, with the changes replayed (keep) or forgotten.
  Rebased rebase(std::shared_ptr<const config::Config> file, bool keep, const Install& install);

  struct Result {
    std::shared_ptr<const config::Config> config;  // in force after the change
    std::optional<config::FieldError> error;      // nothing changed
  };
  // Applies one change over the config in force; `c` gets what was generated.
  Result change(config::AccountChange& c);

  // The changes in order, secrets hidden.
  boost::json::array overrides_json() const;

 private:
  Rebased replay(const Install& install);  // m_ held
  void save();                             // m_ held
  mutable std::mutex m_;
  std::shared_ptr<const config::Config> file_;
  std::shared_ptr<const config::Config> current_;
  std::vector<config::AccountChange> changes_;
  store::Durable* durable_;
  Install install_;
};

}  // namespace relaymock::relay
