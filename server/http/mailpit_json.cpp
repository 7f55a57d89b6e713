// Mailpit's JSON shapes (internal/storage/structs.go), its plain-text
// errors (server/apiv1), and the stored form of a message.
#include <boost/json.hpp>
#include <cstdio>

#include "http/compat_ids.hpp"
#include "http/go_json.hpp"
#include "http/mailpit.hpp"
#include "relay/search.hpp"
#include "store/codec.hpp"
#include "util/dates.hpp"
#include "util/digest.hpp"
#include "util/strings.hpp"

namespace relaymock::http::mailpit {

namespace json = boost::json;
using beast_http::field;


namespace {
Response text(Call& c, status st, const std::string& body) {
  // Go's http.Error-like answers: headers set after WriteHeader are lost,
  // so the type is Go's sniffed text/plain.
  auto res = make_response(st, body, "text/plain; charset=utf-8", c.version());
  return res;
}
}  // namespace

Response text_error(Call& c, const std::string& msg) { return text(c, status::bad_request, msg); }
Response not_found(Call& c) { return text(c, status::not_found, "404 page not found"); }
Response ok_text(Call& c) { return make_response(status::ok, "ok", "text/plain", c.version()); }
Response answer_json(Call& c, const json::value& v) {
  // json.NewEncoder writes a newline after the document.
  return make_response(status::ok, go_json(v) + "\n", "application/json", c.version());
}

std::optional<std::string> resolve(Call& c, const std::string& id, std::optional<Response>& failed,
                                   bool latest_is_plain_404) {
  if (id == "latest") {
    // The newest message, or the newest matching ?query= (with tz).
    std::optional<std::string> found;
    auto q = c.query.text("query");
    if (!trim(q).empty()) {
      relay::Search s(std::string(trim(q)), c.query.text("tz"));
      const auto& deriver = c.ctx.indexer.deriver();
      auto page = c.ctx.mail.select(s.predicate(), 0, 1, s.needs_derived() ? &deriver : nullptr);
      if (!page.items.empty()) found = page.items[0]->id;
    } else {
      found = c.ctx.mail.newest();
    }
    if (!found) {
      failed = latest_is_plain_404 ? text(c, status::not_found, "Message not found") : not_found(c);
      return std::nullopt;
    }
    return found;
  }
  auto real = c.ctx.mail.resolve_alias(id);
  if (!real) {
    failed = not_found(c);
    return std::nullopt;
  }
  return real;
}

namespace {

json::object address(const store::NamedAddress& a) { return json::object{{"Name", a.name}, {"Address", a.address}}; }

// A list of addresses; in a list item Mailpit shows an empty To, Cc or Bcc
// as null (its metadata omits empty lists), Reply-To as [].
json::value addresses(const std::vector<store::NamedAddress>& v, bool null_when_empty) {
  if (v.empty() && null_when_empty) return nullptr;
  json::array a;
  for (const auto& x : v) a.push_back(address(x));
  return a;
}

// Mailpit reads Bcc from its stored form: the header's, or (no Bcc header)
// the envelope recipients no header named.
std::vector<store::NamedAddress> bcc_of(const store::Derived& d) {
  if (!d.has_bcc_header) return d.bcc;
  return {d.bcc.begin(), d.bcc.begin() + static_cast<std::ptrdiff_t>(d.bcc_from_header)};
}

std::string message_id(const store::Message& m, const store::Derived& d) {
  return d.message_id.empty() ? mailpit_id(m.id) + "@mailpit" : d.message_id;
}

// The header lines stored_form adds at the top, and what it changes in
// place: an existing Return-Path that is not the envelope sender, an
// existing Bcc when recipients are missing from the header.
struct Extra {
  std::string prepend;
  std::string return_path_line;  // replaces the existing one when set
  std::string bcc_value;         // the existing Bcc's new value when set
};

Extra extra_for(const store::Message& m, const store::Derived& d, std::string_view raw_bcc = {}) {
  Extra e;
  if (d.message_id.empty()) e.prepend += "Message-ID: <" + mailpit_id(m.id) + "@mailpit>\r\n";
  if (!d.has_return_path_header) {
    e.prepend += "Return-Path: <" + m.envelope_from + ">\r\n";
  } else if (d.return_path != m.envelope_from) {
    e.return_path_line = "Return-Path: <" + m.envelope_from + ">\r\n";
  }
  // Envelope recipients no To, Cc or Bcc header names (Derived::bcc lists
  // the Bcc header's first, then those).
  std::string missing;
  for (std::size_t i = d.bcc_from_header; i < d.bcc.size(); ++i) missing += (missing.empty() ? "" : ", ") + d.bcc[i].address;
  if (!missing.empty()) {
    // Mailpit's own quirk: an existing Bcc keeps its value behind ", ".
    if (d.has_bcc_header) e.bcc_value = ", " + std::string(trim(raw_bcc));
    else e.prepend += "Bcc: " + missing + "\r\n";
  }
  return e;
}

}  // namespace

std::string stored_form(const store::Message& m, std::string_view raw, const store::Derived& d) {
  auto headers = mime::raw_headers(raw);
  auto e = extra_for(m, d, mime::header_value(headers, "Bcc"));
  if (e.return_path_line.empty() && e.bcc_value.empty() && e.prepend.empty()) return std::string(raw);
  std::string out = e.prepend;
  // The Return-Path line (with its continuations) and the Bcc value, in place.
  std::size_t pos = 0;
  bool in_head = true, skipping = false;
  while (pos < raw.size()) {
    auto nl = raw.find('\n', pos);
    auto end = nl == std::string_view::npos ? raw.size() : nl + 1;
    auto line = raw.substr(pos, end - pos);
    pos = end;
    if (in_head && (line == "\r\n" || line == "\n")) in_head = false;
    if (in_head && !line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      if (!skipping) out.append(line);
      continue;
    }
    skipping = false;
    if (in_head && !e.return_path_line.empty() && istarts_with(line, "Return-Path:")) {
      out += e.return_path_line;
      skipping = true;
      continue;
    }
    if (in_head && !e.bcc_value.empty() && istarts_with(line, "Bcc:")) {
      out += "Bcc: " + e.bcc_value + "\r\n";
      skipping = true;
      continue;
    }
    out.append(line);
  }
  return out;
}

std::size_t stored_extra(const store::Message& m, const store::Derived& d) {
  // The prepended lines; an in-place change (rare) is counted when the
  // stored form itself is read (GET /api/v1/message/{ID}).
  return extra_for(m, d).prepend.size();
}

json::object summary_json(const store::Listed& l, const store::Derived& d) {
  const auto& m = *l.message;
  json::object o;
  o["ID"] = mailpit_id(m.id);
  o["MessageID"] = message_id(m, d);
  o["Read"] = l.read;
  o["From"] = address(d.from);
  o["To"] = addresses(d.to, true);
  o["Cc"] = addresses(d.cc, true);
  o["Bcc"] = addresses(bcc_of(d), true);
  o["ReplyTo"] = addresses(d.reply_to, false);
  o["Subject"] = m.subject;
  o["Created"] = go_time(m.received_at);
  o["Username"] = m.identity_kind == "user" ? m.identity_name : std::string();
  o["Tags"] = store::json_strings(*l.tags);
  o["Size"] = m.size + stored_extra(m, d);
  o["Attachments"] = d.attachments;
  o["Snippet"] = d.snippet;
  return o;
}

Parts mailpit_parts(const mime::MessageParts& p) {
  Parts out;
  for (const auto& a : p.attachments) {
    if (a.name.empty() && a.content_id.empty()) continue;  // Mailpit lists neither
    (a.is_inline ? out.inlines : out.attachments).push_back(a);
  }
  return out;
}

namespace {

json::object attachment(const mime::Attachment& a, std::string_view stored) {
  json::object o;
  o["PartID"] = a.part_id;
  o["FileName"] = a.name.empty() ? a.content_id : a.name;
  o["ContentType"] = a.type;
  o["ContentID"] = a.content_id;
  o["Size"] = a.size;
  auto bytes = mime::part_content(stored, a.part_id);
  std::string content = bytes ? std::move(bytes->bytes) : std::string();
  o["Checksums"] = json::object{{"MD5", digest_hex("md5", content)},
                                {"SHA1", digest_hex("sha1", content)},
                                {"SHA256", digest_hex("sha256", content)}};
  return o;
}

// List-Unsubscribe: the header, and at most one mailto: and one http(s) link.
json::object list_unsubscribe(const mime::HeaderList& h) {
  json::object o;
  auto header = mime::header_value(h, "List-Unsubscribe");
  json::array links;
  std::string errors;
  bool mail = false, web = false;
  std::size_t pos = 0;
  while ((pos = header.find('<', pos)) != std::string::npos) {
    auto close = header.find('>', pos);
    if (close == std::string::npos) {
      errors = "\"" + header.substr(pos) + "\" is not closed";
      break;
    }
    auto link = header.substr(pos + 1, close - pos - 1);
    pos = close + 1;
    if (istarts_with(link, "mailto:") && !mail) {
      links.emplace_back(link);
      mail = true;
    } else if ((istarts_with(link, "https://") || istarts_with(link, "http://")) && !web) {
      links.emplace_back(link);
      web = true;
    } else if (!istarts_with(link, "mailto:") && !istarts_with(link, "http")) {
      errors = "\"" + link + "\" is not a valid link";
    }
  }
  o["Header"] = header;
  o["Links"] = links;
  o["Errors"] = errors;
  o["HeaderPost"] = mime::header_value(h, "List-Unsubscribe-Post");
  return o;
}

}  // namespace

json::object message_json(const store::Listed& l, const store::Derived& d, std::string_view stored) {
  const auto& m = *l.message;
  auto parts = mime::parse_message(stored);
  json::object o;
  o["ID"] = mailpit_id(m.id);
  o["MessageID"] = message_id(m, d);
  o["From"] = d.from.address.empty() && d.from.name.empty() ? json::value(nullptr) : json::value(address(d.from));
  o["To"] = addresses(d.to, false);
  o["Cc"] = addresses(d.cc, false);
  o["Bcc"] = addresses(bcc_of(d), false);
  o["ReplyTo"] = addresses(d.reply_to, false);
  o["ReturnPath"] = m.envelope_from;
  o["Subject"] = m.subject;
  o["ListUnsubscribe"] = list_unsubscribe(parts.headers);
  o["Date"] = go_time(d.date ? *d.date : m.received_at);
  o["Tags"] = store::json_strings(*l.tags);
  o["Username"] = m.identity_kind == "user" ? m.identity_name : std::string();
  // enmime: without a text part, the HTML made into text.
  o["Text"] = parts.has_text ? parts.text : parts.has_html ? mime::html_to_text(parts.html) : std::string();
  o["HTML"] = parts.html;
  o["Size"] = stored.size();
  auto split = mailpit_parts(parts);
  json::array inl, att;
  for (const auto& a : split.inlines) inl.push_back(attachment(a, stored));
  for (const auto& a : split.attachments) att.push_back(attachment(a, stored));
  o["Inline"] = inl;
  o["Attachments"] = att;
  return o;
}

}  // namespace relaymock::http::mailpit
