#include "mime/mime_build.hpp"

#include <algorithm>
#include <cctype>

#include "util/base64.hpp"
#include "util/hex.hpp"

namespace relaymock::mime {
namespace {

bool plain_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x7f;
  });
}

// Text that may go as 7bit: ASCII, no NUL or bare CR, lines within 998 octets.
bool seven_bit(std::string_view s) {
  std::size_t line = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto u = static_cast<unsigned char>(s[i]);
    if (u == '\n') {
      line = 0;
      continue;
    }
    if (u == '\r') {
      if (i + 1 >= s.size() || s[i + 1] != '\n') return false;
      continue;
    }
    if (u == 0 || u >= 0x80 || ++line > 998) return false;
  }
  return true;
}

// Line breaks of any kind (CRLF, LF, CR) as CRLF.
std::string crlf(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 32);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') {
      out += "\r\n";
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else if (s[i] == '\n') {
      out += "\r\n";
    } else {
      out += s[i];
    }
  }
  return out;
}

// A MIME parameter value: a token as is, anything else quoted; non-ASCII
// names as an RFC 2047 word, which every mail reader accepts in filename=.
std::string param(std::string_view v) {
  if (!plain_ascii(v)) return "\"" + encode_words(v) + "\"";
  bool token = !v.empty() && std::all_of(v.begin(), v.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$&+-.^_`|~").find(c) != std::string_view::npos;
  });
  if (token) return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// "Name: value" folded before 78 columns at the list separators it was given.
std::string address_header(std::string_view name, const std::vector<std::string>& mailboxes) {
  std::string out(name);
  out += ": ";
  std::size_t col = out.size();
  for (std::size_t i = 0; i < mailboxes.size(); ++i) {
    std::string m = encode_mailbox(mailboxes[i]);
    if (i) {
      if (col + 2 + m.size() > 78) {
        out += ",\r\n ";
        col = 1;
      } else {
        out += ", ";
        col += 2;
      }
    }
    out += m;
    col += m.size();
  }
  return out + "\r\n";
}

struct Part {
  std::string headers;  // each line with its CRLF
  std::string body;
};

Part text_part(const std::string& text, const char* subtype) {
  Part p;
  p.headers = std::string("Content-Type: text/") + subtype + "; charset=utf-8\r\n";
  if (seven_bit(text)) {
    p.headers += "Content-Transfer-Encoding: 7bit\r\n";
    p.body = crlf(text);
  } else {
    p.headers += "Content-Transfer-Encoding: quoted-printable\r\n";
    p.body = encode_quoted_printable(text);
  }
  return p;
}

Part file_part(const FilePart& f, bool inline_part) {
  Part p;
  p.headers = "Content-Type: " + (f.mimetype.empty() ? std::string("application/octet-stream") : f.mimetype) +
              "; name=" + param(f.filename) + "\r\n";
  p.headers += "Content-Transfer-Encoding: base64\r\n";
  p.headers += std::string("Content-Disposition: ") + (inline_part ? "inline" : "attachment") +
               "; filename=" + param(f.filename) + "\r\n";
  // The provider's inlines are referenced from the HTML as cid:<filename>.
  if (inline_part) p.headers += "Content-ID: <" + f.filename + ">\r\n";
  p.body = base64_encode_lines(f.data);
  return p;
}

Part multipart(const char* subtype, const std::vector<Part>& parts, const BoundarySource& boundary) {
  std::string b = boundary();
  Part p;
  p.headers = std::string("Content-Type: multipart/") + subtype + "; boundary=\"" + b + "\"\r\n";
  for (const auto& part : parts) {
    // The CRLF before each delimiter belongs to the delimiter (RFC 2046), so
    // a part's own final line break survives.
    p.body += "--" + b + "\r\n" + part.headers + "\r\n" + part.body + "\r\n";
  }
  p.body += "--" + b + "--\r\n";
  return p;
}

}  // namespace

std::string encode_quoted_printable(std::string_view in) {
  std::string text = crlf(in);
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  std::size_t col = 0;
  auto emit = [&](std::string_view piece) {
    if (col + piece.size() > 75) {  // room for the soft break's "="
      out += "=\r\n";
      col = 0;
    }
    out += piece;
    col += piece.size();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto u = static_cast<unsigned char>(text[i]);
    if (u == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      out += "\r\n";
      col = 0;
      ++i;
      continue;
    }
    bool line_end = i + 1 >= text.size() || text[i + 1] == '\r';
    bool literal = (u >= 33 && u <= 126 && u != '=') || ((u == ' ' || u == '\t') && !line_end);
    if (literal) {
      char c = static_cast<char>(u);
      emit(std::string_view(&c, 1));
    } else {
      char enc[3] = {'=', hex_digit(u >> 4, true), hex_digit(u, true)};
      emit(std::string_view(enc, 3));
    }
  }
  return out;
}

std::string encode_words(std::string_view utf8) {
  if (plain_ascii(utf8)) return std::string(utf8);
  // Each word holds at most 45 octets (60 base64 characters): within the
  // 75-character limit, and never splitting a UTF-8 sequence.
  std::string out;
  std::size_t i = 0;
  while (i < utf8.size()) {
    std::size_t end = std::min(utf8.size(), i + 45);
    while (end < utf8.size() && end > i && (static_cast<unsigned char>(utf8[end]) & 0xC0) == 0x80) --end;
    if (end == i) end = std::min(utf8.size(), i + 45);
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64_encode(utf8.substr(i, end - i)) + "?=";
    i = end;
  }
  return out;
}

std::string encode_mailbox(std::string_view mailbox) {
  auto lt = mailbox.rfind('<');
  if (lt == std::string_view::npos) return std::string(mailbox);
  std::string_view name = mailbox.substr(0, lt);
  std::string_view addr = mailbox.substr(lt);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
  while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.remove_prefix(1);
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
  if (name.empty()) return std::string(addr);
  if (!plain_ascii(name)) return encode_words(name) + " " + std::string(addr);
  bool atoms = std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view(" !#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
  });
  if (atoms) return std::string(name) + " " + std::string(addr);
  std::string out = "\"";
  for (char c : name) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\" " + std::string(addr);
}

std::string build_message(const OutgoingMessage& m, const BoundarySource& boundary) {
  std::string h;
  h += "From: " + encode_mailbox(m.from) + "\r\n";
  if (!m.to.empty()) h += address_header("To", m.to);
  if (!m.cc.empty()) h += address_header("Cc", m.cc);
  h += "Subject: " + encode_words(m.subject) + "\r\n";
  h += "Date: " + m.date + "\r\n";
  h += "Message-ID: <" + m.message_id + ">\r\n";
  for (const auto& [name, value] : m.custom_headers) h += name + ": " + encode_words(value) + "\r\n";
  h += "MIME-Version: 1.0\r\n";

  // alternative(text, html), then related(that, inlines), then mixed(that, attachments).
  std::vector<Part> bodies;
  if (m.text) bodies.push_back(text_part(*m.text, "plain"));
  if (m.html) bodies.push_back(text_part(*m.html, "html"));
  if (bodies.empty()) bodies.push_back(text_part("", "plain"));
  Part body = bodies.size() == 1 ? bodies.front() : multipart("alternative", bodies, boundary);
  if (!m.inlines.empty()) {
    std::vector<Part> related{body};
    for (const auto& f : m.inlines) related.push_back(file_part(f, true));
    body = multipart("related", related, boundary);
  }
  if (!m.attachments.empty()) {
    std::vector<Part> mixed{body};
    for (const auto& f : m.attachments) mixed.push_back(file_part(f, false));
    body = multipart("mixed", mixed, boundary);
  }
  return h + body.headers + "\r\n" + body.body;
}

}  // namespace relaymock::mime
