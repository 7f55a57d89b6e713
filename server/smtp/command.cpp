#include "smtp/command.hpp"

#include <array>
#include <charconv>

#include "util/strings.hpp"

namespace relaymock::smtp {

namespace {

struct VerbEntry {
  std::string_view name;
  Verb verb;
};

constexpr std::array<VerbEntry, 14> kVerbs{{
    {"HELO", Verb::Helo}, {"EHLO", Verb::Ehlo}, {"MAIL FROM:", Verb::Mail},
    {"RCPT TO:", Verb::Rcpt}, {"DATA", Verb::Data}, {"BDAT", Verb::Bdat},
    {"RSET", Verb::Rset}, {"NOOP", Verb::Noop}, {"QUIT", Verb::Quit},
    {"VRFY", Verb::Vrfy}, {"EXPN", Verb::Expn}, {"HELP", Verb::Help},
    {"STARTTLS", Verb::StartTls}, {"AUTH", Verb::Auth},
}};

// xtext (RFC 3461 4): printable ASCII except '+' and '=' unless '+' starts a hex pair.
bool valid_xtext(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = s[i];
    if (c == '+') {
      if (i + 2 >= s.size()) return false;
      auto hex = [](char h) { return (h >= '0' && h <= '9') || (h >= 'A' && h <= 'F'); };
      if (!hex(s[i + 1]) || !hex(s[i + 2])) return false;
      i += 2;
      continue;
    }
    if (c < 33 || c > 126 || c == '=') return false;
  }
  return true;
}

// Splits "<addr> P1 P2" into the address token and the parameter words.
// The address ends at the '>' that closes it (quotes respected), else at a space.
std::string_view take_address(std::string_view arg, std::string_view& rest) {
  std::size_t end = 0;
  if (!arg.empty() && arg.front() == '<') {
    bool quoted = false;
    std::size_t i = 1;
    for (; i < arg.size(); ++i) {
      if (arg[i] == '\\' && quoted) { ++i; continue; }
      if (arg[i] == '"') quoted = !quoted;
      else if (arg[i] == '>' && !quoted) break;
    }
    end = i < arg.size() ? i + 1 : arg.size();
    // "<a@b" followed by params: the '>' is missing; the address runs to the first space.
    if (i >= arg.size()) {
      auto sp = arg.find(' ');
      end = sp == std::string_view::npos ? arg.size() : sp;
    }
  } else {
    auto sp = arg.find(' ');
    end = sp == std::string_view::npos ? arg.size() : sp;
  }
  rest = trim(arg.substr(end));
  return arg.substr(0, end);
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    s = trim(s);
    if (s.empty()) break;
    auto sp = s.find_first_of(" \t");
    out.push_back(s.substr(0, sp));
    if (sp == std::string_view::npos) break;
    s.remove_prefix(sp);
  }
  return out;
}

void split_param(std::string_view w, std::string_view& name, std::optional<std::string_view>& value) {
  auto eq = w.find('=');
  if (eq == std::string_view::npos) {
    name = w;
    value.reset();
  } else {
    name = w.substr(0, eq);
    value = w.substr(eq + 1);
  }
}

bool take_mail_param(std::string_view w, MailParams& p) {
  std::string_view name;
  std::optional<std::string_view> value;
  split_param(w, name, value);
  if (iequals(name, "SIZE") && value) {
    if (value->empty() || value->size() > 20) return false;
    std::uint64_t n = 0;
    auto [ptr, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
    if (ec != std::errc() || ptr != value->data() + value->size()) return false;
    p.size = n;
    return true;
  }
  if (iequals(name, "BODY") && value) {
    for (auto b : {"7BIT", "8BITMIME", "BINARYMIME"})
      if (iequals(*value, b)) { p.body = b; return true; }
    return false;
  }
  if (iequals(name, "SMTPUTF8") && !value) { p.smtputf8 = true; return true; }
  if (iequals(name, "PRDR") && !value) { p.prdr = true; return true; }
  if (iequals(name, "RET") && value) {
    for (auto b : {"FULL", "HDRS"})
      if (iequals(*value, b)) { p.ret = b; return true; }
    return false;
  }
  if (iequals(name, "ENVID") && value) {
    if (value->empty() || value->size() > 100 || !valid_xtext(*value)) return false;
    p.envid = std::string(*value);
    return true;
  }
  if (iequals(name, "AUTH") && value) {
    if (*value != "<>" && (value->empty() || !valid_xtext(*value))) return false;
    p.auth = std::string(*value);
    return true;
  }
  return false;
}

bool take_rcpt_param(std::string_view w, RcptParams& p) {
  std::string_view name;
  std::optional<std::string_view> value;
  split_param(w, name, value);
  if (iequals(name, "NOTIFY") && value) {
    if (iequals(*value, "NEVER")) { p.notify = "NEVER"; return true; }
    std::string out;
    std::string_view v = *value;
    while (true) {
      auto comma = v.find(',');
      auto item = v.substr(0, comma);
      bool ok = false;
      for (auto b : {"SUCCESS", "FAILURE", "DELAY"})
        if (iequals(item, b)) { out += out.empty() ? "" : ","; out += b; ok = true; }
      if (!ok) return false;
      if (comma == std::string_view::npos) break;
      v.remove_prefix(comma + 1);
    }
    p.notify = out;
    return true;
  }
  if (iequals(name, "ORCPT") && value) {
    auto semi = value->find(';');
    if (semi == std::string_view::npos || semi == 0 || value->size() > 500) return false;
    if (!valid_xtext(value->substr(semi + 1))) return false;
    p.orcpt = std::string(*value);
    return true;
  }
  return false;
}

// Exim takes known options off the end of the line one at a time; the first
// unknown or invalid one stops it, and what is left is a malformed address.
template <typename Params, typename Take>
PathArg parse_path(std::string_view arg, Params& params, Take take, const char* unqualified_reason) {
  PathArg out;
  arg = trim(arg);
  std::string_view rest;
  auto addr = take_address(arg, rest);
  auto ws = words(rest);
  std::size_t keep = ws.size();
  while (keep > 0 && take(ws[keep - 1], params)) --keep;
  if (keep > 0) {
    // Text after the address that is not a known option.
    auto left_end = ws[keep - 1].data() + ws[keep - 1].size() - arg.data();
    auto left = arg.substr(0, static_cast<std::size_t>(left_end));
    auto trailing = arg.substr(static_cast<std::size_t>(ws[0].data() - arg.data()),
                               static_cast<std::size_t>(left_end) - static_cast<std::size_t>(ws[0].data() - arg.data()));
    out.error = std::string(left) + ": malformed address: " + std::string(trailing) +
                " may not follow " + std::string(addr) + " ";
    return out;
  }
  auto res = parse_mailbox(addr);
  if (res.mailbox) {
    out.mailbox = std::move(res.mailbox);
  } else if (res.unqualified) {
    out.unqualified = true;
    out.error = std::string(addr) + ": " + unqualified_reason;
  } else {
    out.error = std::string(addr) + ": " + res.error;
  }
  return out;
}

}  // namespace

CommandLine split_command(std::string_view line) {
  for (const auto& e : kVerbs) {
    if (!istarts_with(line, e.name)) continue;
    auto rest = line.substr(e.name.size());
    // A verb must end at a space or at the end ("HELOX" is unknown); "MAIL FROM:" ends in ':'.
    if (e.name.back() != ':' && !rest.empty() && rest.front() != ' ' && rest.front() != '\t')
      continue;
    return {e.verb, trim(rest)};
  }
  return {Verb::Unknown, trim(line)};
}

const char* verb_name(Verb v) {
  switch (v) {
    case Verb::Helo: return "HELO";
    case Verb::Ehlo: return "EHLO";
    case Verb::Mail: return "MAIL";
    case Verb::Rcpt: return "RCPT";
    case Verb::Data: return "DATA";
    case Verb::Bdat: return "BDAT";
    case Verb::Rset: return "RSET";
    case Verb::Noop: return "NOOP";
    case Verb::Quit: return "QUIT";
    case Verb::Vrfy: return "VRFY";
    case Verb::Expn: return "EXPN";
    case Verb::Help: return "HELP";
    case Verb::StartTls: return "STARTTLS";
    case Verb::Auth: return "AUTH";
    case Verb::Unknown: break;
  }
  return "UNKNOWN";
}

PathArg parse_mail_arg(std::string_view arg, MailParams& params) {
  return parse_path(arg, params, take_mail_param, "sender address must contain a domain");
}

PathArg parse_rcpt_arg(std::string_view arg, RcptParams& params) {
  auto out = parse_path(arg, params, take_rcpt_param, "recipient address must contain a domain");
  if (out.mailbox && out.mailbox->null()) {
    out.mailbox.reset();
    out.error = "<>: empty address";
  }
  return out;
}

BdatArg parse_bdat_arg(std::string_view arg) {
  BdatArg out;
  auto ws = words(arg);
  if (ws.empty() || ws.size() > 2) return out;
  auto n = ws[0];
  if (n.empty() || n.size() > 19) return out;
  auto [ptr, ec] = std::from_chars(n.data(), n.data() + n.size(), out.size);
  if (ec != std::errc() || ptr != n.data() + n.size()) return out;
  if (ws.size() == 2) {
    if (!iequals(ws[1], "LAST")) return out;
    out.last = true;
  }
  out.ok = true;
  return out;
}

}  // namespace relaymock::smtp
