#include "relay/account_editor.hpp"

#include <boost/json.hpp>

#include "util/log.hpp"

namespace relaymock::relay {

namespace json = boost::json;

namespace {

constexpr const char* kStateKey = "account_overrides";

json::object change_json(const config::AccountChange& c) {
  return json::object{{"endpoint", c.endpoint}, {"fields", c.fields}, {"at", c.at}, {"by", c.by}};
}

std::optional<config::AccountChange> change_of(const json::value& v) {
  const auto* o = v.if_object();
  if (!o) return std::nullopt;
  auto* endpoint = o->if_contains("endpoint");
  auto* fields = o->if_contains("fields");
  if (!endpoint || !endpoint->is_string() || !fields || !fields->is_object()) return std::nullopt;
  config::AccountChange c;
  c.endpoint = std::string(endpoint->as_string());
  c.fields = fields->as_object();
  if (auto* at = o->if_contains("at"); at && at->is_string()) c.at = std::string(at->as_string());
  if (auto* by = o->if_contains("by"); by && by->is_string()) c.by = std::string(by->as_string());
  return c;
}

}  // namespace

AccountEditor::AccountEditor(std::shared_ptr<const config::Config> file, store::Durable* durable, Install install)
    : file_(file), current_(file), durable_(durable), install_(std::move(install)) {}

AccountEditor::Rebased AccountEditor::restore(const Install& install) {
  std::lock_guard lock(m_);
  Rebased r;
  if (durable_) {
    if (auto text = durable_->state(kStateKey)) {
      boost::system::error_code ec;
      auto v = json::parse(*text, ec);
      if (ec || !v.is_array()) {
        r.dropped.push_back("the kept account changes are unreadable (" + (ec ? ec.message() : "not a list") +
                            "); starting from the file alone");
      } else {
        for (const auto& item : v.as_array()) {
          if (auto c = change_of(item)) changes_.push_back(std::move(*c));
          else r.dropped.push_back("an unreadable kept account change: " + json::serialize(item).substr(0, 200));
        }
      }
    }
  }
  auto replayed = replay(install);
  replayed.dropped.insert(replayed.dropped.begin(), r.dropped.begin(), r.dropped.end());
  if (!replayed.dropped.empty()) save();
  return replayed;
}

AccountEditor::Rebased AccountEditor::rebase(std::shared_ptr<const config::Config> file, bool keep,
                                             const Install& install) {
  std::lock_guard lock(m_);
  file_ = std::move(file);
  if (!keep) changes_.clear();
  auto r = replay(install);
  save();
  return r;
}

AccountEditor::Rebased AccountEditor::replay(const Install& install) {
  Rebased r;
  auto cfg = std::make_shared<config::Config>(*file_);
  std::vector<config::AccountChange> kept;
  for (auto& c : changes_) {
    config::Config trial = *cfg;
    if (auto e = config::apply_change(trial, c)) {
      r.dropped.push_back(c.endpoint + " (" + c.at + "): " + e->message);
      continue;
    }
    *cfg = std::move(trial);
    kept.push_back(std::move(c));
  }
  changes_ = std::move(kept);
  current_ = cfg;
  install(cfg);
  r.config = cfg;
  for (const auto& d : r.dropped) logger().warning("an account change no longer applies; dropped", {{"change", d}});
  return r;
}

AccountEditor::Result AccountEditor::change(config::AccountChange& c) {
  std::lock_guard lock(m_);
  if (changes_.size() >= kMaxChanges)
    return {current_, config::FieldError{"", "the account API has made " + std::to_string(kMaxChanges) +
                                                 " changes since the file was loaded; write them into the file "
                                                 "(GET /api/v1/config?format=yaml) and reload with "
                                                 "keep_overrides false"}};
  auto next = std::make_shared<config::Config>(*current_);
  if (auto e = config::apply_change(*next, c)) return {current_, e};
  changes_.push_back(c);
  save();
  current_ = next;
  install_(next);
  return {next, std::nullopt};
}

void AccountEditor::save() {
  if (!durable_) return;
  json::array all;
  for (const auto& c : changes_) all.push_back(change_json(c));
  durable_->set_state(kStateKey, json::serialize(all));
}

json::array AccountEditor::overrides_json() const {
  std::lock_guard lock(m_);
  json::array out;
  for (const auto& c : changes_) {
    auto o = change_json(c);
    auto& f = o["fields"].as_object();
    f.erase("api_key");  // the caller's key, when it came in the body
    if (f.contains("email_password")) f["email_password"] = "***";
    if (auto* k = f.if_contains("api_key_generated"); k && k->is_string())
      f["api_key_generated"] = config::masked_api_key(std::string(k->as_string()));
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace relaymock::relay
