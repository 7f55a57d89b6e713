#include "mime/mime_build.hpp"

#include <gmime/gmime.h>

#include <memory>

#include "mime/gmime_init.hpp"
#include "util/strings.hpp"

namespace relaymock::mime {
namespace {

struct Unref {
  void operator()(gpointer p) const {
    if (p) g_object_unref(p);
  }
};
template <typename T>
using Ref = std::unique_ptr<T, Unref>;

// "Name <addr>", "\"Name\" <addr>" or "addr" (as the API received and
// checked it) into a mailbox GMime will encode and quote as needed.
Ref<InternetAddress> mailbox(std::string_view text) {
  std::string name, addr;
  auto lt = text.rfind('<');
  if (lt == std::string_view::npos) {
    addr = std::string(trim(text));
  } else {
    auto gt = text.find('>', lt);
    addr = std::string(trim(text.substr(lt + 1, gt == std::string_view::npos ? std::string_view::npos : gt - lt - 1)));
    auto n = trim(text.substr(0, lt));
    if (n.size() >= 2 && n.front() == '"' && n.back() == '"') n = n.substr(1, n.size() - 2);
    name = std::string(n);
  }
  Ref<InternetAddress> ia(internet_address_mailbox_new(name.empty() ? nullptr : name.c_str(), addr.c_str()));
  internet_address_set_charset(ia.get(), "utf-8");
  return ia;
}

void add_addresses(GMimeMessage* msg, GMimeAddressType type, const std::vector<std::string>& list) {
  InternetAddressList* to = g_mime_message_get_addresses(msg, type);
  for (const auto& a : list) internet_address_list_add(to, mailbox(a).get());
}

// Line breaks of any kind as CRLF: text's canonical form (RFC 2049), which
// base64 carries as is and the others keep.
std::string crlf(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 32);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' || s[i] == '\n') {
      out += "\r\n";
      if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

void set_content(GMimePart* part, std::string_view bytes, GMimeEncodingConstraint constraint) {
  Ref<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(bytes.data(), bytes.size()));
  Ref<GMimeDataWrapper> content(g_mime_data_wrapper_new_with_stream(stream.get(), GMIME_CONTENT_ENCODING_DEFAULT));
  g_mime_part_set_content(part, content.get());
  g_mime_part_set_content_encoding(part, g_mime_part_get_best_content_encoding(part, constraint));
}

Ref<GMimeObject> text_part(const std::string& text, const char* subtype) {
  Ref<GMimeObject> part(GMIME_OBJECT(g_mime_text_part_new_with_subtype(subtype)));
  g_mime_object_set_content_type_parameter(part.get(), "charset", "utf-8");
  // 7bit when it can (ASCII, short lines), else quoted-printable or base64.
  set_content(GMIME_PART(part.get()), crlf(text), GMIME_ENCODING_CONSTRAINT_7BIT);
  return part;
}

Ref<GMimeObject> file_part(const FilePart& f, bool inline_part) {
  std::string type = f.mimetype.empty() ? std::string("application/octet-stream") : f.mimetype;
  auto slash = type.find('/');
  std::string major = type.substr(0, slash), minor = type.substr(slash + 1);
  Ref<GMimeObject> part(GMIME_OBJECT(g_mime_part_new_with_type(major.c_str(), minor.c_str())));
  g_mime_object_set_disposition(part.get(), inline_part ? "inline" : "attachment");
  g_mime_part_set_filename(GMIME_PART(part.get()), f.filename.c_str());  // RFC 2231 when not ASCII
  // The provider's inlines are referenced from the HTML as cid:<filename>.
  if (inline_part) g_mime_object_set_header(part.get(), "Content-ID", ("<" + f.filename + ">").c_str(), nullptr);
  Ref<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(f.data.data(), f.data.size()));
  Ref<GMimeDataWrapper> content(g_mime_data_wrapper_new_with_stream(stream.get(), GMIME_CONTENT_ENCODING_DEFAULT));
  g_mime_part_set_content(GMIME_PART(part.get()), content.get());
  g_mime_part_set_content_encoding(GMIME_PART(part.get()), GMIME_CONTENT_ENCODING_BASE64);
  return part;
}

Ref<GMimeObject> multipart(const char* subtype, std::vector<Ref<GMimeObject>> parts, const BoundarySource& boundary) {
  Ref<GMimeObject> mp(GMIME_OBJECT(g_mime_multipart_new_with_subtype(subtype)));
  g_mime_multipart_set_boundary(GMIME_MULTIPART(mp.get()), boundary().c_str());
  for (auto& p : parts) g_mime_multipart_add(GMIME_MULTIPART(mp.get()), p.get());
  return mp;
}

}  // namespace

std::string build_message(const OutgoingMessage& m, const BoundarySource& boundary) {
  parser_options();  // GMime initialised
  Ref<GMimeMessage> msg(g_mime_message_new(FALSE));
  auto* obj = GMIME_OBJECT(msg.get());
  g_mime_object_set_header(obj, "Date", m.date.c_str(), nullptr);
  add_addresses(msg.get(), GMIME_ADDRESS_TYPE_FROM, {m.from});
  add_addresses(msg.get(), GMIME_ADDRESS_TYPE_TO, m.to);
  add_addresses(msg.get(), GMIME_ADDRESS_TYPE_CC, m.cc);
  g_mime_message_set_subject(msg.get(), m.subject.c_str(), "utf-8");
  g_mime_object_set_header(obj, "Message-ID", ("<" + m.message_id + ">").c_str(), nullptr);
  for (const auto& [name, value] : m.custom_headers) g_mime_object_append_header(obj, name.c_str(), value.c_str(), "utf-8");

  Ref<GMimeObject> body;
  if (m.text && m.html) {
    std::vector<Ref<GMimeObject>> alt;
    alt.push_back(text_part(*m.text, "plain"));
    alt.push_back(text_part(*m.html, "html"));
    body = multipart("alternative", std::move(alt), boundary);
  } else {
    body = m.html ? text_part(*m.html, "html") : text_part(m.text.value_or(""), "plain");
  }
  if (!m.inlines.empty()) {
    std::vector<Ref<GMimeObject>> related;
    related.push_back(std::move(body));
    for (const auto& f : m.inlines) related.push_back(file_part(f, true));
    body = multipart("related", std::move(related), boundary);
  }
  if (!m.attachments.empty()) {
    std::vector<Ref<GMimeObject>> mixed;
    mixed.push_back(std::move(body));
    for (const auto& f : m.attachments) mixed.push_back(file_part(f, false));
    body = multipart("mixed", std::move(mixed), boundary);
  }
  g_mime_message_set_mime_part(msg.get(), body.get());
  char* text = g_mime_object_to_string(obj, format_options());
  std::string out = text ? text : "";
  g_free(text);
  return out;
}

}  // namespace relaymock::mime
