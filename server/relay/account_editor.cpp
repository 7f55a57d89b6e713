#include "relay/account_editor.hpp"

#include <boost/json.hpp>

#include "util/log.hpp"

namespace relaymock::relay {

namespace json = boost::json;

namespace {

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

AccountEditor::Rebased AccountEditor::restore() {
  std::lock_guard lock(m_);
  std::vector<std::string> unreadable;
  if (durable_)
    for (const auto& text : durable_->account_changes()) {
      boost::system::error_code ec;
      auto v = json::parse(text, ec);
      auto c = ec ? std::nullopt : change_of(v);
      if (c) changes_.push_back(std::move(*c));
      else unreadable.push_back("an unreadable kept account change: " + text.substr(0, 200));
    }
  for (const auto& u : unreadable) logger().warning("kept account change dropped", {{"why", u}});
  auto r = replay(install_);
  r.dropped.insert(r.dropped.begin(), unreadable.begin(), unreadable.end());
  if (!r.dropped.empty()) save();
  return r;
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
    // A refused change leaves the config as it was: no copy per change, so
    // 10,000 of them replay in linear time.
    if (auto e = config::apply_change(*cfg, c)) {
      r.dropped.push_back(c.endpoint + " (" + c.at + "): " + e->message);
      continue;
    }
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
  // Kept first: a store that fails (a full disk) throws, and the change is
  // then neither in force nor listed (the request answers 500).
  if (durable_) durable_->append_account_change(json::serialize(change_json(c)));
  changes_.push_back(c);
  current_ = next;
  install_(next);
  return {next, std::nullopt};
}

void AccountEditor::save() {
  if (!durable_) return;
  std::vector<std::string> all;
  for (const auto& c : changes_) all.push_back(json::serialize(change_json(c)));
  durable_->replace_account_changes(all);
}

json::array AccountEditor::overrides_json() const {
  std::lock_guard lock(m_);
  json::array out;
  for (const auto& c : changes_) {
    auto o = change_json(c);
    auto& f = o["fields"].as_object();
    if (f.contains("email_password")) f["email_password"] = "***";
    if (auto* k = f.if_contains("api_key_generated"); k && k->is_string())
      f["api_key_generated"] = config::masked_api_key(std::string(k->as_string()));
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace relaymock::relay
