#include "smtp/reply.hpp"

#include <vector>

#include "util/hex.hpp"

namespace relaymock::smtp {
namespace {

std::string default_enhanced(int code) {
  switch (code / 100) {
    case 2: return "2.0.0";
    case 4: return "4.0.0";
    default: return "5.0.0";
  }
}

}  // namespace

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n') || u == 0x7f) {
      out += "\\x";
      append_hex(out, u);
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
  for (auto line : reply_lines(text)) {
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
