// Editing a message's header section in its own bytes, as Mailpit's
// tools.RemoveMessageHeaders and tools.SetMessageHeader do before a
// release: the body and every other line stay as they were.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace relaymock::http {

// Drops every field named (case-insensitive), continuation lines included.
std::string remove_headers(std::string_view msg, const std::vector<std::string_view>& names);
// Replaces the first field named with "Name: value" (dropping any more of
// it), or adds it at the top when there is none.
std::string set_header(std::string_view msg, std::string_view name, std::string_view value);

}  // namespace relaymock::http
