#include "util/success_replies.hpp"

namespace relaymock {

const std::vector<SuccessReplies::Id>& SuccessReplies::ids() {
  static const std::vector<Id> table = {
      {"mail_accepted", "mail", &SuccessReplies::mail},
      {"rcpt_accepted", "rcpt", &SuccessReplies::rcpt},
      {"data_ready", "data", &SuccessReplies::data},
      {"message_accepted", "data", &SuccessReplies::message},
      {"auth_succeeded", "auth", &SuccessReplies::auth},
      {"starttls_ready", "starttls", &SuccessReplies::starttls},
      {"quit", "quit", &SuccessReplies::quit},
      {"prdr_start", "data", &SuccessReplies::prdr_start},
      {"prdr_rcpt_accepted", "data", &SuccessReplies::prdr_rcpt},
      {"prdr_message_accepted", "data", &SuccessReplies::prdr_message},
      {"prdr_message_accepted_some", "data", &SuccessReplies::prdr_message_some},
  };
  return table;
}

const Reply* SuccessReplies::find(std::string_view id) const {
  for (const auto& i : ids())
    if (id == i.name) return &(this->*i.member);
  return nullptr;
}

bool SuccessReplies::set(std::string_view id, const Reply& r) {
  auto* slot = const_cast<Reply*>(find(id));
  if (!slot) return false;
  override_with(*slot, r);
  return true;
}

void SuccessReplies::override_with(Reply& slot, const Reply& r) {
  slot.code = r.code;
  slot.text = r.text;
}

}  // namespace relaymock
