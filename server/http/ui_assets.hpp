// The web UI's files (web/, built by Vite), embedded in the binary at build
// time (cmake/embed_ui.cmake), each also gzip-compressed. Empty when built
// with -DRELAYMOCK_WEB_UI=OFF.
#pragma once
#include <span>
#include <string_view>

namespace relaymock::http {

struct UiAsset {
  std::string_view path;  // "/index.html", "/assets/index-1a2b3c.js"
  std::string_view type;  // Content-Type
  std::string_view data;
  std::string_view gzip;  // the same, gzip-compressed (empty when it would not be smaller)
};

std::span<const UiAsset> ui_assets();

}  // namespace relaymock::http
