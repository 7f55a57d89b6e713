// Mailpit's attachment thumbnail: a JPEG of width x height on white (quality
// 70): an image smaller than that either way is scaled down to fit and
// centred, a larger one scaled to fill and cropped at the centre; anything
// that is not a PNG, JPEG, GIF, BMP or WebP image (or too large to decode:
// over 50 megapixels or 20 MB) gives a blank one. Decoded by GdkPixbuf.
#pragma once
#include <string>
#include <string_view>

namespace relaymock::http {

std::string thumbnail_jpeg(std::string_view type, std::string_view data, int width, int height);

}  // namespace relaymock::http
