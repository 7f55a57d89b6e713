#include "mime/gmime_init.hpp"

#include <mutex>

namespace relaymock::mime {
namespace {

struct Setup {
  GMimeParserOptions* parser = nullptr;
  GMimeFormatOptions* format = nullptr;
};

Setup& setup() {
  static Setup s;
  static std::once_flag once;
  std::call_once(once, [] {
    g_mime_init();
    s.parser = g_mime_parser_options_new();
    g_mime_parser_options_set_rfc2047_compliance_mode(s.parser, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_address_compliance_mode(s.parser, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_parameter_compliance_mode(s.parser, GMIME_RFC_COMPLIANCE_LOOSE);
    static const char* fallback[] = {"UTF-8", "windows-1252", nullptr};
    g_mime_parser_options_set_fallback_charsets(s.parser, fallback);
    s.format = g_mime_format_options_new();
    g_mime_format_options_set_newline_format(s.format, GMIME_NEWLINE_FORMAT_DOS);
  });
  return s;
}

}  // namespace

GMimeParserOptions* parser_options() { return setup().parser; }
GMimeFormatOptions* format_options() { return setup().format; }

}  // namespace relaymock::mime
