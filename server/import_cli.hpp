// The `relaymock import` command line (server/import_cli.cpp).
#pragma once
#include <string>
#include <vector>

namespace relaymock {

int import_command(const std::vector<std::string>& args);

}  // namespace relaymock
