// Command lines: the verb table and the MAIL/RCPT argument grammar.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/address.hpp"

namespace relaymock::smtp {

enum class Verb {
  Helo, Ehlo, Mail, Rcpt, Data, Bdat, Rset, Noop, Quit, Vrfy, Expn, Help, StartTls, Auth, Unknown
};

struct CommandLine {
  Verb verb = Verb::Unknown;
  std::string_view arg;  // after the verb (and "FROM:"/"TO:"), surrounding spaces removed
};

// Splits a command line (without its CRLF). Like Exim, "MAIL FROM:" and
// "RCPT TO:" are whole command names: "MAIL" alone is an unknown command.
CommandLine split_command(std::string_view line);

const char* verb_name(Verb v);

// ESMTP parameters given with MAIL FROM (RFC 1870, 6152, 3030, 3461, 6531, 4954).
struct MailParams {
  std::optional<std::uint64_t> size;
  std::string body;            // "7BIT" | "8BITMIME" | "BINARYMIME" | ""
  bool smtputf8 = false;
  std::string ret;             // "FULL" | "HDRS" | ""
  std::string envid;
  std::optional<std::string> auth;  // AUTH=<mailbox> as given
  bool prdr = false;                // per-recipient data responses (Exim's PRDR)
};

// Parameters given with RCPT TO (RFC 3461).
struct RcptParams {
  std::string notify;  // "NEVER" or a comma list of SUCCESS,FAILURE,DELAY
  std::string orcpt;   // "rfc822;addr" as given
};

// The result of parsing "FROM:<addr> PARAMS" or "TO:<addr> PARAMS".
struct PathArg {
  std::optional<Mailbox> mailbox;
  std::string error;  // the complete 501 text (without code) when parsing failed
  bool unqualified = false;
};

PathArg parse_mail_arg(std::string_view arg, MailParams& params);
PathArg parse_rcpt_arg(std::string_view arg, RcptParams& params);

// "BDAT <size> [LAST]"
struct BdatArg {
  bool ok = false;
  std::uint64_t size = 0;
  bool last = false;
};
BdatArg parse_bdat_arg(std::string_view arg);


}  // namespace relaymock::smtp
