// The command parser: any line, any arguments.
#include <cstdint>
#include <string_view>

#include "smtp/command.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  auto cmd = relaymock::smtp::split_command(line);
  relaymock::smtp::MailParams mp;
  relaymock::smtp::RcptParams rp;
  auto m = relaymock::smtp::parse_mail_arg(cmd.arg, mp);
  auto r = relaymock::smtp::parse_rcpt_arg(cmd.arg, rp);
  (void)relaymock::smtp::parse_bdat_arg(cmd.arg);
  // A parsed address always has an error or a mailbox, never both missing.
  if (!m.mailbox && m.error.empty()) __builtin_trap();
  if (!r.mailbox && r.error.empty()) __builtin_trap();
  return 0;
}
