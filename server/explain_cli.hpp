// The `relaymock explain` command line (server/explain_cli.cpp).
#pragma once
#include <string>
#include <vector>

namespace relaymock {

int explain_command(const std::vector<std::string>& args);

}  // namespace relaymock
