// The one search grammar, for the UI, the control API and Mailpit's API:
// Mailpit's terms (https://mailpit.axllent.org/docs/usage/search-filters/)
// with its semantics, plus relaymock's own.
//
//   words and "quoted phrases"   free text: headers, body, attachment names
//   -term, !term                 negation of any term
//   to: from: cc: bcc: reply-to: addressed:   a name or address contains it
//   subject: message-id:         contains it
//   tag:NAME  is:tagged  is:read  is:unread  has:attachment  has:inline
//   before:DATE  after:DATE      (2026-12-01, "2026-12-01 13:45", RFC 3339; `tz`)
//   larger:SIZE  smaller:SIZE    (5k, 1.5mb, 300)
//   relaymock's: user:NAME (the identity exactly), is:sandbox, is:tls,
//   ip:ADDRESS, envelope-from:TEXT, rcpt:TEXT (an envelope recipient contains it),
//   session:ID
//
// All terms must hold. A term Mailpit would ignore (no letter or digit in
// it) is ignored here too.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/mail_store.hpp"

namespace relaymock::relay {

class Search {
 public:
  // `tz`: the zone dates are written in (IANA name; empty or unknown: UTC).
  explicit Search(std::string_view query, std::string_view tz = {});
  bool matches(const store::MessageView& v) const;
  // Whether any term reads the indexer's derived data.
  bool needs_derived() const { return needs_derived_; }
  bool empty() const { return terms_.empty(); }
  store::MailStore::Predicate predicate() const;

  struct Term;  // search.cpp

 private:
  std::vector<std::shared_ptr<const Term>> terms_;
  bool needs_derived_ = false;
};

// Splits a query into terms: runs of non-space, with "quoted phrases" kept
// whole (the quotes removed), also after a prefix (subject:"a b").
std::vector<std::string> search_terms(std::string_view query);

}  // namespace relaymock::relay
