// GMime's one-time set-up, shared by the reader and the writer.
#pragma once
#include <gmime/gmime.h>

namespace relaymock::mime {

// Initialises GMime on first use (thread-safe) and returns the process's
// parser options: loose RFC compliance (mail in the wild is broken), and
// UTF-8 then windows-1252 for undeclared 8-bit header text.
GMimeParserOptions* parser_options();
// The writer's: CRLF line ends, as SMTP carries them.
GMimeFormatOptions* format_options();

}  // namespace relaymock::mime
