// Startup failures with a one-line cause (port in use, permission, ...):
// main prints the line and exits 1.
#pragma once
#include <stdexcept>

namespace relaymock {

struct StartupError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace relaymock
