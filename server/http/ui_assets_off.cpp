// Built with -DRELAYMOCK_WEB_UI=OFF: no UI files (GET / says how to get them).
#include "http/ui_assets.hpp"

namespace relaymock::http {

std::span<const UiAsset> ui_assets() { return {}; }

}  // namespace relaymock::http
