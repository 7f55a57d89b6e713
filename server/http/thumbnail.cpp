#include "http/thumbnail.hpp"

#include <gdk-pixbuf/gdk-pixbuf.h>

#include <algorithm>
#include <cmath>
#include <memory>

namespace relaymock::http {

namespace {

constexpr std::size_t kMaxBytes = 20 * 1024 * 1024;
constexpr double kMaxPixels = 50e6;

struct Unref {
  void operator()(gpointer p) const {
    if (p) g_object_unref(p);
  }
};
using Pixbuf = std::unique_ptr<GdkPixbuf, Unref>;

bool decodable(std::string_view type) {
  return type == "image/png" || type == "image/jpeg" || type == "image/gif" || type == "image/bmp" ||
         type == "image/webp" || type == "image/x-ms-bmp";
}

// Refuses a picture too large to decode before its pixels are allocated: a
// size of 0x0 makes the loaders stop ("Transformed PNG has zero width or
// height"); 1x1 did not, because the PNG loader allocates the full size and
// scales at the end (30 GB for a 100000-pixel square, which a host that
// overcommits hands out and then dies scaling).
void on_size(GdkPixbufLoader* loader, int w, int h, gpointer too_large) {
  if (static_cast<double>(w) * h > kMaxPixels) {
    *static_cast<bool*>(too_large) = true;
    gdk_pixbuf_loader_set_size(loader, 0, 0);
  }
}

Pixbuf decode(std::string_view type, std::string_view data) {
  if (!decodable(type) || data.empty() || data.size() > kMaxBytes) return nullptr;
  std::string mime(type);
  GError* err = nullptr;
  std::unique_ptr<GdkPixbufLoader, Unref> loader(gdk_pixbuf_loader_new_with_mime_type(mime.c_str(), &err));
  if (!loader) {
    g_clear_error(&err);
    return nullptr;
  }
  bool too_large = false;
  g_signal_connect(loader.get(), "size-prepared", G_CALLBACK(on_size), &too_large);
  bool ok = gdk_pixbuf_loader_write(loader.get(), reinterpret_cast<const guchar*>(data.data()), data.size(), &err);
  g_clear_error(&err);
  ok = gdk_pixbuf_loader_close(loader.get(), &err) && ok;
  g_clear_error(&err);
  if (!ok || too_large) return nullptr;
  GdkPixbuf* pb = gdk_pixbuf_loader_get_pixbuf(loader.get());
  if (!pb) return nullptr;
  g_object_ref(pb);
  return Pixbuf(pb);
}

Pixbuf white(int w, int h) {
  Pixbuf pb(gdk_pixbuf_new(GDK_COLORSPACE_RGB, FALSE, 8, w, h));
  gdk_pixbuf_fill(pb.get(), 0xffffffffu);
  return pb;
}

std::string jpeg(GdkPixbuf* pb) {
  gchar* buf = nullptr;
  gsize len = 0;
  GError* err = nullptr;
  if (!gdk_pixbuf_save_to_buffer(pb, &buf, &len, "jpeg", &err, "quality", "70", nullptr)) {
    g_clear_error(&err);
    return {};
  }
  std::string out(buf, len);
  g_free(buf);
  return out;
}

}  // namespace

std::string thumbnail_jpeg(std::string_view type, std::string_view data, int width, int height) {
  auto canvas = white(width, height);
  auto img = decode(type, data);
  if (img) {
    const int iw = gdk_pixbuf_get_width(img.get()), ih = gdk_pixbuf_get_height(img.get());
    if (iw < width || ih < height) {
      // Fit (never enlarged), centred on white.
      double scale = std::min({1.0, static_cast<double>(width) / iw, static_cast<double>(height) / ih});
      int w = std::max(1, static_cast<int>(std::lround(iw * scale))), h = std::max(1, static_cast<int>(std::lround(ih * scale)));
      Pixbuf fitted(gdk_pixbuf_scale_simple(img.get(), w, h, GDK_INTERP_HYPER));
      if (fitted)
        gdk_pixbuf_composite(fitted.get(), canvas.get(), (width - w) / 2, (height - h) / 2, w, h, (width - w) / 2,
                             (height - h) / 2, 1.0, 1.0, GDK_INTERP_NEAREST, 255);
    } else {
      // Fill: scaled to cover, cropped at the centre.
      double scale = std::max(static_cast<double>(width) / iw, static_cast<double>(height) / ih);
      int w = std::max(width, static_cast<int>(std::lround(iw * scale)));
      int h = std::max(height, static_cast<int>(std::lround(ih * scale)));
      Pixbuf filled(gdk_pixbuf_scale_simple(img.get(), w, h, GDK_INTERP_HYPER));
      if (filled)
        gdk_pixbuf_composite(filled.get(), canvas.get(), 0, 0, width, height, -(w - width) / 2.0, -(h - height) / 2.0,
                             1.0, 1.0, GDK_INTERP_NEAREST, 255);
    }
  }
  return jpeg(canvas.get());
}

}  // namespace relaymock::http
