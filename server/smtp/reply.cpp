#include "smtp/reply.hpp"

#include <vector>

namespace relaymock::smtp {
namespace {

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (true) {
    auto nl = text.find('\n', start);
    lines.push_back(text.substr(start, nl == std::string_view::npos ? nl : nl - start));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return lines;
}

std::string default_enhanced(int code) {
  switch (code / 100) {
    case 2: return "2.0.0";
    case 4: return "4.0.0";
    default: return "5.0.0";
  }
}

}  // namespace

bool parse_reply_text(std::string_view spec, Reply& out) {
  auto lines = split_lines(spec);
  std::string text;
  int code = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto line = lines[i];
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    bool has_code = line.size() >= 3 && line[0] >= '2' && line[0] <= '5' &&
                    line[1] >= '0' && line[1] <= '9' && line[2] >= '0' && line[2] <= '9' &&
                    (line.size() == 3 || line[3] == ' ' || line[3] == '-');
    if (i == 0) {
      if (!has_code) return false;
      code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    }
    if (has_code && (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0') == code)
      line.remove_prefix(line.size() > 3 ? 4 : 3);
    if (i) text += '\n';
    text.append(line);
  }
  out.code = code;
  out.enhanced.clear();
  out.text = std::move(text);
  return true;
}

std::string reply_spec(const Reply& r) {
  std::string out, code = std::to_string(r.code);
  auto lines = split_lines(r.text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i) out += '\n';
    out += code;
    out += i + 1 < lines.size() ? '-' : ' ';
    out.append(lines[i]);
  }
  return out;
}

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n') || u == 0x7f) {
      static const char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

void append_reply(std::string& out, const Reply& r, bool enhanced_codes) {
  // Client text echoed in a reply (addresses, mechanisms) can never carry a
  // control character onto the wire, whatever the caller passed.
  const std::string text = printable(r.text);
  std::string code = std::to_string(r.code);
  std::string prefix_extra;
  if (enhanced_codes) prefix_extra = (r.enhanced.empty() ? default_enhanced(r.code) : r.enhanced) + " ";
  // Room for text in one line: 512 minus "NNN-", the enhanced code and CRLF.
  const std::size_t room = kMaxReplyLine - 4 - prefix_extra.size() - 2;

  std::vector<std::string_view> pieces;
  for (auto line : split_lines(text)) {
    while (line.size() > room) {
      // Wrap at the last space inside the room when there is one.
      auto cut = line.substr(0, room).rfind(' ');
      if (cut == std::string_view::npos || cut == 0) cut = room;
      pieces.push_back(line.substr(0, cut));
      line.remove_prefix(cut);
      if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    }
    pieces.push_back(line);
  }
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    out += code;
    out += (i + 1 == pieces.size()) ? ' ' : '-';
    out += prefix_extra;
    out.append(pieces[i]);
    out += "\r\n";
  }
}

}  // namespace relaymock::smtp
