// `relaymock import`: any bytes as a provider export give a config or
// errors, never a crash; a config it writes is handed to the loader, as the
// command does.
#include <cstdint>
#include <string>

#include "config/import.hpp"
#include "config/loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto res = relaymock::config::import_provider_exports({{"fuzz.json", text}}, "2026-12-05");
  if (res.errors.empty()) {
    auto loaded = relaymock::config::load_config_text(res.yaml, "import.yaml", false);
    if (!loaded.ok()) (void)loaded.format("import.yaml");
  }
  return 0;
}
