// The YAML config loader: any text gives a config or problems, never a crash.
#include <cstdint>
#include <string_view>

#include "config/loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto res = relaymock::config::load_config_text(text, "fuzz.yaml", false);
  if (!res.ok()) (void)res.format("fuzz.yaml");
  return 0;
}
