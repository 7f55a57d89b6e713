#include "relay/search.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

#include "mime/mime.hpp"
#include "relay/indexer.hpp"
#include "util/strings.hpp"
#include "util/timezone.hpp"

namespace relaymock::relay {

struct Search::Term {
  bool exclude = false;
  bool derived = false;
  std::function<bool(const store::MessageView&)> test;
};

std::vector<std::string> search_terms(std::string_view q) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false, any = false;
  for (char c : q) {
    if (c == '"') {
      quoted = !quoted;
      any = true;
      continue;
    }
    if (!quoted && (c == ' ' || c == '\t' || c == '\r' || c == '\n')) {
      if (any) out.push_back(std::move(cur));
      cur.clear();
      any = false;
      continue;
    }
    cur += c;
    any = true;
  }
  if (any) out.push_back(std::move(cur));
  return out;
}

namespace {

bool has_alnum(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  });
}

// Mailpit's sizeToBytes: 300, 5k, 5kb, 1.5m, 2mb (K and M are 1024s); 0
// for anything else, and then the term is read as free text.
std::uint64_t size_to_bytes(std::string_view v) {
  std::string s = ascii_lower(v);
  std::size_t i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i == 0 || i > 15) return 0;
  std::size_t j = i;
  if (j < s.size() && s[j] == '.') {
    ++j;
    std::size_t frac = j;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
    if (j == frac) return 0;
  }
  double number = std::strtod(s.substr(0, j).c_str(), nullptr);
  if (j < s.size() && s[j] == ' ') ++j;
  auto unit = std::string_view(s).substr(j);
  if (unit.empty()) return static_cast<std::uint64_t>(number);
  if (unit == "k" || unit == "kb") return static_cast<std::uint64_t>(number * 1024);
  if (unit == "m" || unit == "mb") return static_cast<std::uint64_t>(number * 1024 * 1024);
  return 0;
}

bool prefix(const std::string& lw, std::string_view p) { return lw.compare(0, p.size(), p) == 0; }

}  // namespace

Search::Search(std::string_view query, std::string_view tz) {
  for (auto w : search_terms(query)) {
    if (clean_search_text(w).empty()) continue;
    auto t = std::make_shared<Term>();
    if (w.size() > 1 && (w[0] == '-' || w[0] == '!')) {
      t->exclude = true;
      w.erase(0, 1);
    }
    if (!has_alnum(w)) continue;
    const std::string lw = ascii_lower(w);
    bool skip_term = false;  // a prefix with nothing after it: no condition
    auto on_field = [&](std::size_t skip, std::string store::Derived::Lowered::*field) {
      auto needle = clean_search_text(std::string_view(w).substr(skip));
      if (needle.empty()) {
        skip_term = true;
        return true;
      }
      t->derived = true;
      t->test = [needle, field](const store::MessageView& v) {
        return v.derived && (v.derived->lower.*field).find(needle) != std::string::npos;
      };
      return true;
    };
    bool known = true;
    if (prefix(lw, "to:")) known = on_field(3, &store::Derived::Lowered::to);
    else if (prefix(lw, "from:")) known = on_field(5, &store::Derived::Lowered::from);
    else if (prefix(lw, "cc:")) known = on_field(3, &store::Derived::Lowered::cc);
    else if (prefix(lw, "bcc:")) known = on_field(4, &store::Derived::Lowered::bcc);
    else if (prefix(lw, "reply-to:")) known = on_field(9, &store::Derived::Lowered::reply_to);
    else if (prefix(lw, "message-id:")) known = on_field(11, &store::Derived::Lowered::message_id);
    else if (prefix(lw, "addressed:")) {
      auto needle = clean_search_text(std::string_view(w).substr(10));
      if (needle.empty()) continue;
      t->derived = true;
      t->test = [needle](const store::MessageView& v) {
        if (!v.derived) return false;
        const auto& l = v.derived->lower;
        for (const auto* f : {&l.to, &l.from, &l.cc, &l.bcc, &l.reply_to})
          if (f->find(needle) != std::string::npos) return true;
        return false;
      };
    } else if (prefix(lw, "subject:")) {
      // As Mailpit: the rest as typed, not cleaned.
      auto needle = mime::utf8_lower(std::string_view(w).substr(8));
      if (needle.empty()) continue;
      t->derived = true;
      t->test = [needle](const store::MessageView& v) {
        return v.derived && v.derived->lower.subject.find(needle) != std::string::npos;
      };
    } else if (prefix(lw, "tag:")) {
      auto name = std::string(trim(std::string_view(w).substr(4)));
      if (name.empty()) continue;
      t->test = [name](const store::MessageView& v) {
        return std::any_of(v.tags.begin(), v.tags.end(), [&](const std::string& x) { return iequals(x, name); });
      };
    } else if (lw == "is:read") {
      t->test = [](const store::MessageView& v) { return v.read; };
    } else if (lw == "is:unread") {
      t->test = [](const store::MessageView& v) { return !v.read; };
    } else if (lw == "is:tagged") {
      t->test = [](const store::MessageView& v) { return !v.tags.empty(); };
    } else if (lw == "has:attachment" || lw == "has:attachments") {
      t->derived = true;
      t->test = [](const store::MessageView& v) { return v.derived && v.derived->attachments > 0; };
    } else if (lw == "has:inline" || lw == "has:inlines") {
      t->derived = true;
      t->test = [](const store::MessageView& v) { return v.derived && v.derived->inlines > 0; };
    } else if (prefix(lw, "after:") || prefix(lw, "before:")) {
      bool after = prefix(lw, "after:");
      auto when = parse_user_date(trim(std::string_view(w).substr(after ? 6 : 7)), tz);
      if (!when) continue;  // as Mailpit: an unreadable date is ignored
      // Mailpit: after: Created >= t, before: Created <= t; negated, the
      // other side (the instant itself included).
      bool neg = t->exclude;
      t->exclude = false;
      t->test = [after, neg, at = *when](const store::MessageView& v) {
        auto c = v.message.received_at;
        if (after) return neg ? c <= at : c >= at;
        return neg ? c >= at : c <= at;
      };
    } else if ((prefix(lw, "larger:") && size_to_bytes(trim(std::string_view(w).substr(7))) > 0) ||
               (prefix(lw, "smaller:") && size_to_bytes(trim(std::string_view(w).substr(8))) > 0)) {
      bool larger = prefix(lw, "larger:");
      auto size = size_to_bytes(trim(std::string_view(w).substr(larger ? 7 : 8)));
      bool neg = t->exclude;
      t->exclude = false;
      t->test = [larger, neg, size](const store::MessageView& v) {
        auto s = v.message.size;
        if (larger) return neg ? s < size : s > size;
        return neg ? s > size : s < size;
      };
    } else if (prefix(lw, "user:")) {
      auto name = std::string(std::string_view(w).substr(5));
      t->test = [name](const store::MessageView& v) { return v.message.identity_name == name; };
    } else if (lw == "is:sandbox") {
      t->test = [](const store::MessageView& v) { return v.message.sandbox; };
    } else if (lw == "is:tls") {
      t->test = [](const store::MessageView& v) { return v.message.tls; };
    } else if (prefix(lw, "ip:")) {
      auto ip = std::string(std::string_view(w).substr(3));
      t->test = [ip](const store::MessageView& v) { return v.message.client_ip == ip; };
    } else if (prefix(lw, "session:")) {
      auto id = std::string(std::string_view(w).substr(8));
      t->test = [id](const store::MessageView& v) { return v.message.session_id == id; };
    } else if (prefix(lw, "envelope-from:")) {
      auto needle = mime::utf8_lower(std::string_view(w).substr(14));
      t->test = [needle](const store::MessageView& v) {
        return mime::utf8_lower(v.message.envelope_from).find(needle) != std::string::npos;
      };
    } else if (prefix(lw, "rcpt:")) {
      auto needle = mime::utf8_lower(std::string_view(w).substr(5));
      t->test = [needle](const store::MessageView& v) {
        return std::any_of(v.message.envelope_to.begin(), v.message.envelope_to.end(), [&](const std::string& r) {
          return mime::utf8_lower(r).find(needle) != std::string::npos;
        });
      };
    } else {
      known = false;
    }
    if (skip_term) continue;
    if (!known) {
      // Free text, cleaned as the stored text was.
      auto needle = clean_search_text(w);
      if (needle.empty()) continue;
      t->derived = true;
      t->test = [needle](const store::MessageView& v) {
        return v.derived && v.derived->search_text.find(needle) != std::string::npos;
      };
    }
    needs_derived_ = needs_derived_ || t->derived;
    terms_.push_back(std::move(t));
  }
}

bool Search::matches(const store::MessageView& v) const {
  for (const auto& t : terms_)
    if (t->test(v) == t->exclude) return false;
  return true;
}

store::MailStore::Predicate Search::predicate() const {
  auto terms = terms_;
  return [terms](const store::MessageView& v) {
    for (const auto& t : terms)
      if (t->test(v) == t->exclude) return false;
    return true;
  };
}

}  // namespace relaymock::relay
