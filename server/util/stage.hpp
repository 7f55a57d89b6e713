// The one list of stages, with one name table, shared by the protocol
// (where a reply was given), scenarios (where they fire), the config that
// names them and the events that report them.
#pragma once
#include <optional>
#include <string_view>

namespace relaymock {

enum class Stage {
  Connect,    // the greeting, before any command
  Ehlo,       // HELO/EHLO, STARTTLS
  Auth,
  Mail,
  Rcpt,
  Data,       // DATA or BDAT, and the message's bytes
  EndOfData,  // the final dot, or BDAT LAST: the message as a whole
  Session,    // the session as a whole, at no one command: unknown commands,
              // synchronisation errors, over-long lines, an HTTP request
};

const char* stage_name(Stage s);  // "connect", ..., "end_of_data", "session"
std::optional<Stage> stage_from_name(std::string_view name);

}  // namespace relaymock
