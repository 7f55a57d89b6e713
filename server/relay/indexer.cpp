#include "relay/indexer.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>

#include "mime/mime.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"
#include "util/thread_name.hpp"

namespace relaymock::relay {

namespace {

constexpr std::size_t kSnippet = 200;  // Mailpit's
constexpr std::uint64_t kMaxIndexed = 8 * 1024 * 1024;

store::NamedAddress named(mime::NamedAddress a) { return {std::move(a.name), std::move(a.address)}; }

std::vector<store::NamedAddress> all_named(const mime::HeaderList& raw, std::string_view field) {
  std::vector<store::NamedAddress> out;
  for (const auto& v : mime::header_values(raw, field))
    for (auto& a : mime::named_addresses(v)) out.push_back(named(std::move(a)));
  return out;
}

std::string strip_angles(std::string_view v) {
  v = trim(v);
  if (v.size() >= 2 && v.front() == '<' && v.back() == '>') v = v.substr(1, v.size() - 2);
  return std::string(trim(v));
}

// Collapses whitespace; at most `max` bytes, never cutting a UTF-8 sequence.
std::string collapse(std::string_view s, std::size_t max, bool* cut = nullptr) {
  std::string out;
  bool space = true;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
      if (!space) out += ' ';
      space = true;
    } else {
      out += c;
      space = false;
    }
    if (out.size() > max + 4) break;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (cut) *cut = out.size() > max;
  if (out.size() > max) {
    std::size_t end = max;
    while (end > 0 && (static_cast<unsigned char>(out[end]) & 0xC0) == 0x80) --end;
    out.resize(end);
  }
  return out;
}

bool same_address(const std::string& a, const std::string& b) { return iequals(a, b); }

}  // namespace

std::string clean_search_text(std::string_view s) {
  std::string spaced(s);
  for (auto& c : spaced)
    if (c == '<' || c == '>' || c == '"' || c == ',' || c == ';' || c == '(' || c == ')' || c == '\r' || c == '\n' ||
        c == '\t')
      c = ' ';
  // UTF-8's byte-order mark reads as a space too.
  for (std::size_t p; (p = spaced.find("\xEF\xBB\xBF")) != std::string::npos;) spaced.replace(p, 3, " ");
  return mime::utf8_lower(collapse(spaced, spaced.size()));
}

std::shared_ptr<const store::Derived> derive(const store::Message& m, std::string_view content) {
  auto d = std::make_shared<store::Derived>();
  auto raw = mime::raw_headers(content);
  auto parts = mime::parse_message(content);
  d->message_id = strip_angles(mime::header_value(raw, "Message-ID"));
  if (auto t = mime::parse_date(mime::header_value(raw, "Date")))
    d->date = store::TimePoint(std::chrono::seconds(*t));
  auto from = all_named(raw, "From");
  if (!from.empty()) d->from = std::move(from.front());
  d->to = all_named(raw, "To");
  d->cc = all_named(raw, "Cc");
  d->reply_to = all_named(raw, "Reply-To");
  d->bcc = all_named(raw, "Bcc");
  d->bcc_from_header = d->bcc.size();
  d->has_bcc_header = !mime::header_values(raw, "Bcc").empty();
  d->has_return_path_header = !mime::header_values(raw, "Return-Path").empty();
  // Envelope recipients no header names were blind copies.
  for (const auto& r : m.envelope_to) {
    auto named_in = [&](const std::vector<store::NamedAddress>& v) {
      return std::any_of(v.begin(), v.end(), [&](const auto& a) { return same_address(a.address, r); });
    };
    if (!named_in(d->to) && !named_in(d->cc) && !named_in(d->bcc)) d->bcc.push_back({"", r});
  }
  d->return_path = strip_angles(mime::header_value(raw, "Return-Path"));
  if (d->return_path.empty()) d->return_path = m.envelope_from;
  d->has_text = parts.has_text;
  d->has_html = parts.has_html;
  for (const auto& a : parts.attachments) {
    if (a.is_inline) ++d->inlines;
    else ++d->attachments;
  }
  const std::string body = parts.has_html ? mime::html_to_text(parts.html) : parts.text;
  bool cut = false;
  d->snippet = collapse(body, kSnippet, &cut);
  if (cut) d->snippet += "...";

  // As Mailpit builds its search text: the address and subject fields as
  // decoded, the body, the attachments' names.
  std::string text;
  for (const char* field : {"From", "Subject", "To", "Cc", "Bcc", "Reply-To", "Return-Path"}) {
    text += mime::header_value(parts.headers, field);
    text += ' ';
  }
  text.append(body, 0, std::min(body.size(), store::Derived::kMaxSearchText * 2));
  text += ' ';
  for (const auto& a : parts.attachments) {
    text += a.name;
    text += ' ';
  }
  auto lowered = [](const std::vector<store::NamedAddress>& v) {
    std::string out;
    for (const auto& a : v) out += mime::utf8_lower(a.name) + "\n" + mime::utf8_lower(a.address) + "\n";
    return out;
  };
  d->lower.from = lowered({d->from});
  d->lower.to = lowered(d->to);
  d->lower.cc = lowered(d->cc);
  d->lower.bcc = lowered(d->bcc);
  d->lower.reply_to = lowered(d->reply_to);
  d->lower.subject = mime::utf8_lower(m.subject);
  d->lower.message_id = mime::utf8_lower(d->message_id);
  d->search_text = clean_search_text(text);
  if (d->search_text.size() > store::Derived::kMaxSearchText) {
    std::size_t end = store::Derived::kMaxSearchText;
    while (end > 0 && (static_cast<unsigned char>(d->search_text[end]) & 0xC0) == 0x80) --end;
    d->search_text.resize(end);
  }
  return d;
}

Indexer::Indexer(store::MailStore& mail, Bus& bus) : mail_(mail) {
  deriver_ = [this](const store::Message& m) -> std::shared_ptr<const store::Derived> {
    // A very large message is read on its first 8 MiB: its headers, bodies
    // and the attachments that start there (RSS stays small).
    auto content = mail_.content(m.id, kMaxIndexed);
    return derive(m, content ? *content : std::string());
  };
  {
    auto pending = mail_.not_derived();
    std::reverse(pending.begin(), pending.end());  // newest first: what a UI shows first
    queue_.assign(pending.begin(), pending.end());
  }
  sub_ = bus.subscribe([this](const Outcome& o) {
    if (o.kind != Outcome::Kind::MessageCaptured) return;
    {
      std::lock_guard lock(mutex_);
      queue_.push_front(o.message_id);
    }
    wake_.notify_one();
  });
  thread_ = std::thread([this] { run(); });
}

Indexer::~Indexer() {
  sub_ = {};
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

std::size_t Indexer::backlog() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

std::shared_ptr<const store::Derived> Indexer::ensure(const std::string& id) {
  if (auto d = mail_.derived(id)) return d;
  auto m = mail_.find(id);
  if (!m) return nullptr;
  auto d = deriver_(*m);
  mail_.set_derived(id, d);
  return mail_.derived(id);
}

void Indexer::run() {
  name_this_thread("rm-indexer");
  // The lowest priority a thread can take without giving up CPU for good
  // (nice 19): SMTP and HTTP come first. Not SCHED_IDLE: a thread that may
  // never run must not hold even a short lock others need.
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19);
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    std::string id = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    try {
      if (!mail_.derived(id))
        if (auto m = mail_.find(id)) mail_.set_derived(id, deriver_(*m));
    } catch (const std::exception& e) {
      // A store that cannot be read now (locked, full): a search reads it later.
      logger().warning("indexing a message failed", {{"id", id}, {"error", e.what()}});
    }
    lock.lock();
  }
}

}  // namespace relaymock::relay
