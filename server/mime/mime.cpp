#include "mime/mime.hpp"

#include <algorithm>
#include <cctype>

#include "util/base64.hpp"
#include "util/hex.hpp"
#include "util/strings.hpp"

namespace relaymock::mime {
namespace {

constexpr int kMaxDepth = 8;


// Splits a part into its header block and body at the first empty line.
std::pair<std::string_view, std::string_view> split_part(std::string_view part) {
  std::size_t pos = 0;
  while (pos < part.size()) {
    auto nl = part.find('\n', pos);
    if (nl == std::string_view::npos) return {part, {}};
    auto line = part.substr(pos, nl - pos);
    if (line.empty() || line == "\r") return {part.substr(0, pos), part.substr(nl + 1)};
    pos = nl + 1;
  }
  return {part, {}};
}

HeaderList parse_header_block(std::string_view block, bool decode) {
  HeaderList out;
  std::size_t pos = 0;
  while (pos < block.size()) {
    auto nl = block.find('\n', pos);
    auto line = block.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? block.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if ((line.front() == ' ' || line.front() == '\t') && !out.empty()) {
      out.back().second += " ";
      out.back().second += trim(line);  // unfold
      continue;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;  // not a field
    out.emplace_back(std::string(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
  }
  if (decode)
    for (auto& [name, value] : out) value = decode_words(value);
  return out;
}

// A parameter of a structured header: boundary, charset, name, filename.
std::string param(std::string_view value, std::string_view name) {
  std::size_t pos = value.find(';');
  while (pos != std::string_view::npos) {
    auto rest = trim(value.substr(pos + 1));
    auto eq = rest.find('=');
    if (eq == std::string_view::npos) break;
    auto key = trim(rest.substr(0, eq));
    auto v = trim(rest.substr(eq + 1));
    std::string val;
    std::size_t consumed;
    if (!v.empty() && v.front() == '"') {
      auto close = v.find('"', 1);
      val = std::string(v.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
      consumed = close == std::string_view::npos ? v.size() : close + 1;
    } else {
      auto semi = v.find(';');
      val = std::string(trim(v.substr(0, semi)));
      consumed = semi == std::string_view::npos ? v.size() : semi;
    }
    if (iequals(key, name) || (key.size() == name.size() + 1 && key.back() == '*' && iequals(key.substr(0, name.size()), name))) {
      if (key.back() == '*') {  // RFC 2231: charset'lang'percent-encoded
        auto q = val.find('\'');
        auto q2 = q == std::string::npos ? q : val.find('\'', q + 1);
        if (q2 != std::string::npos) {
          std::string dec;
          auto enc = val.substr(q2 + 1);
          for (std::size_t i = 0; i < enc.size(); ++i) {
            if (enc[i] == '%' && i + 2 < enc.size() + 0 && std::isxdigit(static_cast<unsigned char>(enc[i + 1])) &&
                std::isxdigit(static_cast<unsigned char>(enc[i + 2]))) {
              dec += static_cast<char>(std::stoi(enc.substr(i + 1, 2), nullptr, 16));
              i += 2;
            } else {
              dec += enc[i];
            }
          }
          return dec;
        }
      }
      return decode_words(val);
    }
    auto next = v.data() + consumed - value.data();
    pos = value.find(';', static_cast<std::size_t>(next));
  }
  return {};
}

std::string media_type(std::string_view content_type) {
  auto t = ascii_lower(trim(content_type.substr(0, content_type.find(';'))));
  return t.empty() ? "text/plain" : t;
}

std::string latin1_to_utf8(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

std::string to_utf8(std::string bytes, std::string_view charset) {
  auto cs = ascii_lower(charset);
  if (cs == "iso-8859-1" || cs == "latin1" || cs == "iso_8859-1" || cs == "windows-1252") return latin1_to_utf8(bytes);
  return bytes;
}

std::string decode_body(std::string_view body, std::string_view cte) {
  auto enc = ascii_lower(trim(cte));
  if (enc == "base64") return base64_decode_lenient(body);
  if (enc == "quoted-printable") return decode_quoted_printable(body);
  return std::string(body);
}

void walk(std::string_view part, MessageParts& out, int depth, bool top) {
  auto [block, body] = split_part(part);
  auto headers = parse_header_block(block, false);
  if (top) out.headers = parse_header_block(block, true);
  auto ctype_raw = header_value(headers, "Content-Type");
  auto type = media_type(ctype_raw);
  auto disposition = header_value(headers, "Content-Disposition");
  auto cte = header_value(headers, "Content-Transfer-Encoding");

  if (type.rfind("multipart/", 0) == 0 && depth < kMaxDepth) {
    auto boundary = param(ctype_raw, "boundary");
    if (!boundary.empty()) {
      std::string delim = "--" + boundary;
      std::size_t pos = 0;
      bool first = true;
      std::size_t part_start = 0;
      while (true) {
        auto at = body.find(delim, pos);
        // A delimiter starts a line.
        while (at != std::string_view::npos && at > 0 && body[at - 1] != '\n') at = body.find(delim, at + 1);
        if (at == std::string_view::npos) {
          if (!first) walk(body.substr(part_start), out, depth + 1, false);  // unterminated: take what is there
          break;
        }
        if (!first) {
          auto end = at;
          if (end > 0 && body[end - 1] == '\n') --end;
          if (end > 0 && body[end - 1] == '\r') --end;
          walk(body.substr(part_start, end > part_start ? end - part_start : 0), out, depth + 1, false);
        }
        first = false;
        auto after = at + delim.size();
        if (body.substr(after, 2) == "--") break;  // closing delimiter
        auto nl = body.find('\n', after);
        if (nl == std::string_view::npos) break;
        part_start = pos = nl + 1;
      }
      return;
    }
  }
  auto filename = param(disposition, "filename");
  if (filename.empty()) filename = param(ctype_raw, "name");
  bool attachment = iequals(trim(disposition.substr(0, disposition.find(';'))), "attachment") || !filename.empty() ||
                    (type != "text/plain" && type != "text/html");
  if (attachment) {
    if (top && body.empty()) return;
    out.attachments.push_back({filename, type, static_cast<std::uint64_t>(decode_body(body, cte).size())});
    return;
  }
  auto charset = param(ctype_raw, "charset");
  if (type == "text/plain" && !out.has_text) {
    out.text = to_utf8(decode_body(body, cte), charset);
    out.has_text = true;
  } else if (type == "text/html" && !out.has_html) {
    out.html = to_utf8(decode_body(body, cte), charset);
    out.has_html = true;
  } else {
    out.attachments.push_back({filename, type, static_cast<std::uint64_t>(decode_body(body, cte).size())});
  }
}

}  // namespace

std::string decode_quoted_printable(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c != '=') {
      out += c;
      continue;
    }
    if (i + 1 < in.size() && (in[i + 1] == '\n' || in[i + 1] == '\r')) {  // soft line break
      i += in[i + 1] == '\r' && i + 2 < in.size() && in[i + 2] == '\n' ? 2 : 1;
      continue;
    }
    if (i + 2 < in.size() && hex_value(in[i + 1]) >= 0 && hex_value(in[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2]));
      i += 2;
      continue;
    }
    out += c;
  }
  return out;
}

std::string decode_words(std::string_view v) {
  std::string out;
  std::size_t pos = 0;
  bool last_was_word = false;
  std::string pending_space;
  while (pos < v.size()) {
    auto start = v.find("=?", pos);
    if (start == std::string_view::npos) {
      out += pending_space;
      out += v.substr(pos);
      break;
    }
    // =?charset?enc?text?=
    auto q1 = v.find('?', start + 2);
    auto q2 = q1 == std::string_view::npos ? q1 : v.find('?', q1 + 1);
    auto end = q2 == std::string_view::npos ? q2 : v.find("?=", q2 + 1);
    if (end == std::string_view::npos || q2 != q1 + 2) {
      out += pending_space;
      out += v.substr(pos, start + 2 - pos);
      pending_space.clear();
      pos = start + 2;
      last_was_word = false;
      continue;
    }
    auto between = v.substr(pos, start - pos);
    // Whitespace between two encoded words is dropped (RFC 2047 6.2).
    if (!(last_was_word && trim(between).empty())) out += between;
    auto charset = v.substr(start + 2, q1 - start - 2);
    charset = charset.substr(0, charset.find('*'));  // RFC 2231 language suffix
    char enc = static_cast<char>(std::toupper(static_cast<unsigned char>(v[q1 + 1])));
    auto text = v.substr(q2 + 1, end - q2 - 1);
    std::string bytes;
    if (enc == 'B') {
      bytes = base64_decode_lenient(text);
    } else if (enc == 'Q') {
      std::string t(text);
      std::replace(t.begin(), t.end(), '_', ' ');
      bytes = decode_quoted_printable(t);
    } else {
      out += v.substr(start, end + 2 - start);
      pos = end + 2;
      last_was_word = false;
      continue;
    }
    auto cs = ascii_lower(charset);
    if (cs == "utf-8" || cs == "us-ascii" || cs == "iso-8859-1" || cs == "latin1" || cs == "windows-1252")
      out += to_utf8(bytes, cs);
    else
      out += v.substr(start, end + 2 - start);
    pos = end + 2;
    last_was_word = true;
  }
  return out;
}

HeaderList parse_headers(std::string_view content) { return parse_header_block(split_part(content).first, true); }

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

std::vector<std::string> address_list(std::string_view value) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  int angle = 0, comment = 0;
  std::string angle_addr;
  auto flush = [&] {
    std::string a = angle_addr.empty() ? std::string(trim(cur)) : angle_addr;
    // A group "name: a@x, b@y;" keeps only the addresses.
    auto colon = a.find(':');
    if (angle_addr.empty() && colon != std::string::npos) a = std::string(trim(std::string_view(a).substr(colon + 1)));
    while (!a.empty() && a.back() == ';') a.pop_back();
    if (a.find('@') != std::string::npos) out.push_back(a);
    cur.clear();
    angle_addr.clear();
  };
  for (std::size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (quoted) {
      if (c == '\\' && i + 1 < value.size()) ++i;
      else if (c == '"') quoted = false;
      continue;  // display names are not addresses
    }
    if (comment) {
      if (c == '(') ++comment;
      else if (c == ')') --comment;
      continue;
    }
    if (c == '"') quoted = true;
    else if (c == '(') comment = 1;
    else if (c == '<') {
      angle = 1;
      angle_addr.clear();
    } else if (c == '>') angle = 0;
    else if (angle) angle_addr += c;
    else if (c == ',') flush();
    else cur += c;
  }
  flush();
  return out;
}

MessageParts parse_message(std::string_view content) {
  MessageParts out;
  walk(content, out, 0, true);
  return out;
}

}  // namespace relaymock::mime
