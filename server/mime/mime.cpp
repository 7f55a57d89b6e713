#include "mime/mime.hpp"

#include <gmime/gmime.h>

#include <algorithm>
#include <memory>
#include <mutex>

#include "mime/gmime_init.hpp"
#include "util/strings.hpp"

namespace relaymock::mime {
namespace {

// Nested multiparts past this are read flat; GMime's parser recurses once
// per level, and a 50 MB message could nest a million deep.
constexpr std::size_t kMaxMultiparts = 100;
constexpr int kMaxDepth = 32;

struct Unref {
  void operator()(gpointer p) const {
    if (p) g_object_unref(p);
  }
};
template <typename T>
using Ref = std::unique_ptr<T, Unref>;

struct GFree {
  void operator()(char* p) const { g_free(p); }
};
std::string take(char* s) {
  std::unique_ptr<char, GFree> owned(s);
  return s ? std::string(s) : std::string();
}

// The header section: up to and including the first empty line.
std::string_view head_of(std::string_view content) {
  std::size_t pos = 0;
  while (pos < content.size()) {
    auto nl = content.find('\n', pos);
    if (nl == std::string_view::npos) return content;
    auto line = content.substr(pos, nl - pos);
    if (line.empty() || line == "\r") return content.substr(0, nl + 1);
    pos = nl + 1;
  }
  return content;
}

// The fields of a header section with their raw values, unfolded (RFC 5322
// 2.2.3). Lines without a colon are not fields and are skipped, as GMime's
// own parser does. The values' syntax (addresses, encoded words) is GMime's.
std::vector<std::pair<std::string, std::string>> split_fields(std::string_view block) {
  std::vector<std::pair<std::string, std::string>> out;
  bool skipping = false;  // continuation lines of a skipped non-field
  std::size_t pos = 0;
  while (pos < block.size()) {
    auto nl = block.find('\n', pos);
    auto line = block.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? block.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t') {
      if (!out.empty() && !skipping) out.back().second.append(line);  // unfold: the line break goes
      continue;
    }
    auto colon = line.find(':');
    skipping = colon == std::string_view::npos || colon == 0 || trim(line.substr(0, colon)).empty();
    if (skipping) continue;
    out.emplace_back(std::string(trim(line.substr(0, colon))), std::string(line.substr(colon + 1)));
  }
  return out;
}

Ref<GMimeMessage> parse(std::string_view bytes) {
  GMimeParserOptions* options = parser_options();
  Ref<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(bytes.data(), bytes.size()));
  Ref<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
  return Ref<GMimeMessage>(g_mime_parser_construct_message(parser.get(), options));
}

HeaderList headers_of(GMimeObject* object) {
  HeaderList out;
  GMimeHeaderList* list = g_mime_object_get_header_list(object);
  int n = list ? g_mime_header_list_get_count(list) : 0;
  for (int i = 0; i < n; ++i) {
    GMimeHeader* h = g_mime_header_list_get_header_at(list, i);
    const char* name = g_mime_header_get_name(h);
    const char* value = g_mime_header_get_value(h);  // unfolded, decoded
    out.emplace_back(name ? name : "", std::string(trim(value ? value : "")));
  }
  return out;
}

void collect(InternetAddressList* list, std::vector<std::string>& out) {
  int n = list ? internet_address_list_length(list) : 0;
  for (int i = 0; i < n; ++i) {
    InternetAddress* a = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_GROUP(a)) {
      collect(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a)), out);
    } else if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
      const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
      if (addr && std::string_view(addr).find('@') != std::string_view::npos) out.emplace_back(addr);
    }
  }
}

std::uint64_t decoded_size(GMimePart* part) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  if (!content) return 0;
  Ref<GMimeStream> sink(g_mime_stream_null_new());
  g_mime_data_wrapper_write_to_stream(content, sink.get());
  return GMIME_STREAM_NULL(sink.get())->written;
}

std::string mime_type(GMimeObject* object) {
  GMimeContentType* ct = g_mime_object_get_content_type(object);
  return ct ? ascii_lower(take(g_mime_content_type_get_mime_type(ct))) : std::string("text/plain");
}

std::string child_id(const std::string& prefix, int i) {
  return prefix.empty() ? std::to_string(i + 1) : prefix + "." + std::to_string(i + 1);
}

std::string content_id_of(GMimeObject* object) {
  const char* cid = g_mime_object_get_content_id(object);  // without < >
  return cid ? std::string(cid) : std::string();
}

std::string disposition_of(GMimeObject* object) {
  const char* d = g_mime_object_get_disposition(object);
  return d ? ascii_lower(d) : std::string();
}

// Calls `leaf` for every part that is not a multipart, with its part id,
// in order; stops when it returns true.
template <typename Leaf>
bool each_leaf(GMimeObject* object, const std::string& id, int depth, Leaf& leaf) {
  if (!object) return false;
  if (GMIME_IS_MULTIPART(object)) {
    if (depth >= kMaxDepth) return false;
    auto* mp = GMIME_MULTIPART(object);
    int n = g_mime_multipart_get_count(mp);
    for (int i = 0; i < n; ++i)
      if (each_leaf(g_mime_multipart_get_part(mp, i), child_id(id, i), depth + 1, leaf)) return true;
    return false;
  }
  return leaf(object, id.empty() ? std::string("1") : id);
}

void walk(GMimeObject* object, MessageParts& out, int depth, const std::string& prefix) {
  if (!object) return;
  if (GMIME_IS_MULTIPART(object)) {
    if (depth >= kMaxDepth) return;
    auto* mp = GMIME_MULTIPART(object);
    int n = g_mime_multipart_get_count(mp);
    for (int i = 0; i < n; ++i) walk(g_mime_multipart_get_part(mp, i), out, depth + 1, child_id(prefix, i));
    // No boundary (or none found): what is there is shown as text.
    const char* prologue = n == 0 ? g_mime_multipart_get_prologue(mp) : nullptr;
    if (prologue && *prologue && !out.has_text) {
      out.text = prologue;
      out.has_text = true;
    }
    return;
  }
  const std::string id = prefix.empty() ? std::string("1") : prefix;
  std::string type = mime_type(object);
  std::string cid = content_id_of(object);
  std::string disposition = disposition_of(object);
  auto is_inline = [&] { return disposition == "inline" || (!cid.empty() && disposition != "attachment"); };
  if (GMIME_IS_MESSAGE_PART(object)) {  // a forwarded message: an attachment of its own
    Ref<GMimeStream> sink(g_mime_stream_null_new());
    if (auto* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object)))
      g_mime_object_write_to_stream(GMIME_OBJECT(inner), nullptr, sink.get());
    out.attachments.push_back({"", type, GMIME_STREAM_NULL(sink.get())->written, id, cid, disposition, false});
    return;
  }
  if (!GMIME_IS_PART(object)) return;
  auto* part = GMIME_PART(object);
  const char* fn = g_mime_part_get_filename(part);  // RFC 2231 and the name parameter
  std::string filename = fn ? fn : "";
  bool attachment = g_mime_part_is_attachment(part) || !filename.empty() || (type != "text/plain" && type != "text/html");
  bool text = GMIME_IS_TEXT_PART(object) && !attachment;
  if (text && type == "text/plain" && !out.has_text) {
    out.text = take(g_mime_text_part_get_text(GMIME_TEXT_PART(object)));  // decoded, in UTF-8
    out.has_text = true;
  } else if (text && type == "text/html" && !out.has_html) {
    out.html = take(g_mime_text_part_get_text(GMIME_TEXT_PART(object)));
    out.has_html = true;
  } else {
    out.attachments.push_back({filename, type, decoded_size(part), id, cid, disposition, is_inline()});
  }
}

// An upper bound on the nesting: every multipart level declares one.
std::size_t multipart_declarations(std::string_view content) {
  std::size_t n = 0;
  for (std::size_t pos = 0; (pos = content.find("ultipart/", pos)) != std::string_view::npos; pos += 9)
    if (pos > 0 && (content[pos - 1] == 'm' || content[pos - 1] == 'M')) ++n;
  return n;
}

}  // namespace

HeaderList parse_headers(std::string_view content) {
  HeaderList out;
  for (auto& [name, raw] : split_fields(head_of(content))) out.emplace_back(std::move(name), decode_words(trim(raw)));
  return out;
}

HeaderList raw_headers(std::string_view content) {
  HeaderList out;
  for (auto& [name, raw] : split_fields(head_of(content))) out.emplace_back(std::move(name), std::string(trim(raw)));
  return out;
}

std::string utf8_lower(std::string_view s) {
  // Plain ASCII (most headers and bodies) lowers byte by byte, as GLib would:
  // GLib's way cost the indexer a quarter of its time.
  if (std::all_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x80; })) return ascii_lower(s);
  if (!g_utf8_validate(s.data(), static_cast<gssize>(s.size()), nullptr)) return ascii_lower(s);
  return take(g_utf8_strdown(s.data(), static_cast<gssize>(s.size())));
}

std::string header_value(const HeaderList& h, std::string_view name) {
  for (const auto& [n, v] : h)
    if (iequals(n, name)) return v;
  return {};
}

std::vector<std::string> header_values(const HeaderList& h, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& [n, v] : h)
    if (iequals(n, name)) out.push_back(v);
  return out;
}

std::string decode_words(std::string_view value) {
  if (value.find("=?") == std::string_view::npos && std::all_of(value.begin(), value.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x80;
      }))
    return std::string(value);  // plain ASCII: nothing to decode
  std::string text(value);
  return take(g_mime_utils_header_decode_text(parser_options(), text.c_str()));
}


namespace {

bool plain_addr_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
         c == '_' || c == '+';
}

// One "a@b.c", "<a@b.c>" or "Plain Name <a@b.c>" (the name's words of
// letters, digits and spaces), without building GMime's objects: what
// nearly all mail sends. Anything else is GMime's to read.
std::optional<std::string> simple_address(std::string_view v) {
  v = trim(v);
  auto lt = v.find('<');
  if (lt != std::string_view::npos) {
    if (v.back() != '>') return std::nullopt;
    for (char c : v.substr(0, lt))
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ')) return std::nullopt;
    v = v.substr(lt + 1, v.size() - lt - 2);
  }
  auto at = v.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == v.size() || v.find('@', at + 1) != std::string_view::npos)
    return std::nullopt;
  if (v.front() == '.' || v.back() == '.' || v.find("..") != std::string_view::npos || v[at - 1] == '.' || v[at + 1] == '.')
    return std::nullopt;
  for (char c : v)
    if (c != '@' && !plain_addr_char(c)) return std::nullopt;
  // GMime turns punycode labels (xn--...) into UTF-8, or mangles invalid ones.
  if (ascii_lower(v.substr(at + 1)).find("xn--") != std::string::npos) return std::nullopt;
  return std::string(v);
}

}  // namespace

std::optional<std::vector<std::string>> simple_addresses(std::string_view raw) {
  std::vector<std::string> out;
  while (true) {
    auto comma = raw.find(',');
    auto a = simple_address(raw.substr(0, comma));
    if (!a) return std::nullopt;
    out.push_back(std::move(*a));
    if (comma == std::string_view::npos) return out;
    raw.remove_prefix(comma + 1);
  }
}

std::vector<std::string> gmime_addresses(std::string_view raw) {
  std::string text(raw);
  Ref<InternetAddressList> addrs(internet_address_list_parse(parser_options(), text.c_str()));
  std::vector<std::string> found;
  collect(addrs.get(), found);
  return found;
}

namespace {

std::vector<std::string> addresses_of(std::string_view raw) {
  if (auto simple = simple_addresses(raw)) return std::move(*simple);
  return gmime_addresses(raw);
}

void set_from(From& out, const std::string& raw) {
  auto found = addresses_of(raw);
  out.text = found.empty() ? decode_words(trim(raw)) : found.front();
  if (!found.empty()) out.mailbox = parse_plain_address(found.front());
}

}  // namespace

std::vector<std::string> address_list(std::string_view value) { return addresses_of(value); }

From from_header(std::string_view content) {
  From out;
  for (const auto& [name, raw] : split_fields(head_of(content)))
    if (iequals(name, "From")) {
      set_from(out, raw);
      break;
    }
  return out;
}

Summary summarize(std::string_view content) {
  Summary out;
  bool from_seen = false, subject_seen = false;
  for (const auto& [name, raw] : split_fields(head_of(content))) {
    auto* into = iequals(name, "To") ? &out.to : iequals(name, "Cc") ? &out.cc : iequals(name, "Bcc") ? &out.bcc : nullptr;
    if (into) {
      for (auto& a : addresses_of(raw)) into->push_back(std::move(a));
    } else if (!from_seen && iequals(name, "From")) {
      set_from(out.from, raw);
      from_seen = true;
    } else if (!subject_seen && iequals(name, "Subject")) {
      out.subject = decode_words(trim(raw));
      subject_seen = true;
    } else if (iequals(name, "X-Tags")) {
      out.x_tags.push_back(decode_words(trim(raw)));
    }
  }
  return out;
}

MessageParts parse_message(std::string_view content) {
  MessageParts out;
  if (content.empty()) return out;
  if (multipart_declarations(content) > kMaxMultiparts) {
    // Hostile nesting: the headers, and the rest as one opaque part.
    out.headers = parse_headers(content);
    out.attachments.push_back({"", "application/octet-stream", content.size() - head_of(content).size()});
    return out;
  }
  auto msg = parse(content);
  if (!msg) return out;
  out.headers = headers_of(GMIME_OBJECT(msg.get()));
  walk(g_mime_message_get_mime_part(msg.get()), out, 0, "");
  return out;
}

namespace {
PartContent read_part(GMimeObject* object) {
  PartContent pc;
  pc.type = mime_type(object);
  Ref<GMimeStream> mem(g_mime_stream_mem_new());
  if (GMIME_IS_MESSAGE_PART(object)) {
    if (auto* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object)))
      g_mime_object_write_to_stream(GMIME_OBJECT(inner), nullptr, mem.get());
  } else if (GMIME_IS_PART(object)) {
    const char* fn = g_mime_part_get_filename(GMIME_PART(object));
    pc.name = fn ? fn : "";
    if (auto* wrapper = g_mime_part_get_content(GMIME_PART(object)))
      g_mime_data_wrapper_write_to_stream(wrapper, mem.get());  // transfer encoding undone
  }
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
  if (bytes && bytes->len) pc.bytes.assign(reinterpret_cast<const char*>(bytes->data), bytes->len);
  return pc;
}
}  // namespace

std::vector<std::pair<std::string, PartContent>> parts_with_content_id(std::string_view content, std::size_t max_bytes) {
  std::vector<std::pair<std::string, PartContent>> out;
  if (content.empty() || multipart_declarations(content) > kMaxMultiparts) return out;
  auto msg = parse(content);
  if (!msg) return out;
  std::size_t total = 0;
  auto leaf = [&](GMimeObject* object, const std::string&) {
    auto cid = content_id_of(object);
    if (cid.empty() || !GMIME_IS_PART(object)) return false;
    if (total + decoded_size(GMIME_PART(object)) > max_bytes) return false;
    auto pc = read_part(object);
    total += pc.bytes.size();
    out.emplace_back(std::move(cid), std::move(pc));
    return false;
  };
  each_leaf(g_mime_message_get_mime_part(msg.get()), "", 0, leaf);
  return out;
}

std::optional<PartContent> part_content(std::string_view content, std::string_view id, bool by_cid) {
  if (content.empty() || id.empty() || multipart_declarations(content) > kMaxMultiparts) return std::nullopt;
  auto msg = parse(content);
  if (!msg) return std::nullopt;
  std::optional<PartContent> found;
  auto leaf = [&](GMimeObject* object, const std::string& part_id) {
    if (by_cid ? content_id_of(object) != id : part_id != id) return false;
    if (!GMIME_IS_MESSAGE_PART(object) && !GMIME_IS_PART(object)) return false;
    found = read_part(object);
    return true;
  };
  each_leaf(g_mime_message_get_mime_part(msg.get()), "", 0, leaf);
  return found;
}

namespace {
void collect_named(InternetAddressList* list, std::vector<NamedAddress>& out, int depth) {
  int n = list ? internet_address_list_length(list) : 0;
  for (int i = 0; i < n; ++i) {
    InternetAddress* a = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_GROUP(a)) {
      if (depth < 4) collect_named(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a)), out, depth + 1);
    } else if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
      const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
      const char* name = internet_address_get_name(a);
      if (addr && *addr) out.push_back({name ? name : "", addr});
    }
  }
}
}  // namespace

std::vector<NamedAddress> named_addresses(std::string_view raw) {
  std::vector<NamedAddress> out;
  if (auto simple = simple_addresses(raw)) {
    // The plain shapes: "a@b.c", "<a@b.c>" or "Plain Name <a@b.c>".
    std::size_t start = 0;
    for (auto& a : *simple) {
      auto end = raw.find(',', start);
      auto one = trim(raw.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
      auto lt = one.find('<');
      out.push_back({lt == std::string_view::npos ? std::string() : std::string(trim(one.substr(0, lt))), std::move(a)});
      start = end == std::string_view::npos ? raw.size() : end + 1;
    }
    return out;
  }
  std::string text(raw);
  Ref<InternetAddressList> addrs(internet_address_list_parse(parser_options(), text.c_str()));
  collect_named(addrs.get(), out, 0);
  return out;
}

std::optional<std::int64_t> parse_date(std::string_view value) {
  auto v = trim(value);
  if (v.empty() || v.size() > 256) return std::nullopt;
  (void)parser_options();  // GMime initialised
  std::string text(v);
  GDateTime* dt = g_mime_utils_header_decode_date(text.c_str());
  if (!dt) return std::nullopt;
  std::int64_t t = g_date_time_to_unix(dt);
  g_date_time_unref(dt);
  return t;
}

namespace {
// The named entities mail uses most; others stay as written.
struct Entity {
  const char* name;
  const char* text;
};
constexpr Entity kEntities[] = {{"amp", "&"},   {"lt", "<"},         {"gt", ">"},          {"quot", "\""},
                                {"apos", "'"},  {"nbsp", " "},       {"copy", "\xC2\xA9"}, {"reg", "\xC2\xAE"},
                                {"hellip", "..."}, {"mdash", "\xE2\x80\x94"}, {"ndash", "\xE2\x80\x93"},
                                {"zwnj", ""},   {"rsquo", "\xE2\x80\x99"}, {"lsquo", "\xE2\x80\x98"},
                                {"ldquo", "\xE2\x80\x9C"}, {"rdquo", "\xE2\x80\x9D"}, {"euro", "\xE2\x82\xAC"}};

void append_utf8(std::string& out, unsigned long cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}
}  // namespace

std::string html_to_text(std::string_view html) {
  std::string out;
  out.reserve(std::min<std::size_t>(html.size(), 1 << 20));
  bool space = true;  // collapse runs, trim the front
  auto put_space = [&] {
    if (!space) {
      out += ' ';
      space = true;
    }
  };
  std::size_t i = 0;
  while (i < html.size()) {
    char c = html[i];
    if (c == '<') {
      // Comments, and the content of script and style, are not text.
      if (html.substr(i, 4) == "<!--") {
        auto end = html.find("-->", i + 4);
        i = end == std::string_view::npos ? html.size() : end + 3;
        continue;
      }
      auto close = html.find('>', i + 1);
      if (close == std::string_view::npos) break;
      auto tag = ascii_lower(html.substr(i + 1, std::min<std::size_t>(close - i - 1, 16)));
      i = close + 1;
      for (const char* skip : {"script", "style", "head", "title"}) {
        std::string_view name(skip);
        if (tag.rfind(name, 0) == 0 && (tag.size() == name.size() || tag[name.size()] == ' ' || tag[name.size()] == '>' ||
                                         tag[name.size()] == '\t' || tag[name.size()] == '\n')) {
          // The closing tag, found without case and without copying.
          std::size_t end = i;
          while ((end = html.find("</", end)) != std::string_view::npos &&
                 !istarts_with(html.substr(end + 2), name))
            end += 2;
          i = end == std::string_view::npos ? html.size() : end;
          break;
        }
      }
      put_space();
      continue;
    }
    if (c == '&') {
      auto semi = html.find(';', i + 1);
      if (semi != std::string_view::npos && semi - i <= 10) {
        auto ent = html.substr(i + 1, semi - i - 1);
        std::string decoded;
        bool known = false;
        if (!ent.empty() && ent[0] == '#') {
          unsigned long cp = 0;
          bool hex = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X');
          auto digits = ent.substr(hex ? 2 : 1);
          known = !digits.empty();
          for (char d : digits) {
            int v = (d >= '0' && d <= '9') ? d - '0' : hex && (d >= 'a' && d <= 'f') ? d - 'a' + 10 : hex && (d >= 'A' && d <= 'F') ? d - 'A' + 10 : -1;
            if (v < 0 || cp > 0x10FFFF) {
              known = false;
              break;
            }
            cp = cp * (hex ? 16 : 10) + static_cast<unsigned long>(v);
          }
          if (known) append_utf8(decoded, cp);
        } else {
          for (const auto& e : kEntities)
            if (ent == e.name) {
              decoded = e.text;
              known = true;
              break;
            }
        }
        if (known) {
          for (char d : decoded) {
            if (d == ' ') put_space();
            else {
              out += d;
              space = false;
            }
          }
          i = semi + 1;
          continue;
        }
      }
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f') {
      put_space();
    } else {
      out += c;
      space = false;
    }
    ++i;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace relaymock::mime
