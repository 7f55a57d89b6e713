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
    // GObject makes a type's class when the first instance is made, on
    // whichever thread that is (an HTTP worker, the indexer), under GLib's
    // own futex locks, which ThreadSanitizer cannot see. Made here, once,
    // before any of those threads, every later use reads a finished class.
    for (GType t : {GMIME_TYPE_MESSAGE, GMIME_TYPE_MESSAGE_PART, GMIME_TYPE_MESSAGE_PARTIAL, GMIME_TYPE_MULTIPART,
                    GMIME_TYPE_MULTIPART_ENCRYPTED, GMIME_TYPE_MULTIPART_SIGNED, GMIME_TYPE_PART, GMIME_TYPE_TEXT_PART,
                    GMIME_TYPE_APPLICATION_PKCS7_MIME, GMIME_TYPE_OBJECT, GMIME_TYPE_PARSER, GMIME_TYPE_DATA_WRAPPER,
                    GMIME_TYPE_CONTENT_TYPE, GMIME_TYPE_CONTENT_DISPOSITION, GMIME_TYPE_HEADER, GMIME_TYPE_HEADER_LIST,
                    GMIME_TYPE_PARAM, GMIME_TYPE_PARAM_LIST, GMIME_TYPE_STREAM, GMIME_TYPE_STREAM_MEM,
                    GMIME_TYPE_STREAM_FILTER, GMIME_TYPE_STREAM_NULL, GMIME_TYPE_STREAM_CAT, GMIME_TYPE_STREAM_BUFFER,
                    GMIME_TYPE_STREAM_FS, GMIME_TYPE_STREAM_FILE, GMIME_TYPE_STREAM_MMAP, GMIME_TYPE_FILTER,
                    GMIME_TYPE_FILTER_BASIC, GMIME_TYPE_FILTER_BEST, GMIME_TYPE_FILTER_CHARSET,
                    GMIME_TYPE_FILTER_CHECKSUM, GMIME_TYPE_FILTER_DOS2UNIX, GMIME_TYPE_FILTER_UNIX2DOS,
                    GMIME_TYPE_FILTER_FROM, GMIME_TYPE_FILTER_STRIP, GMIME_TYPE_FILTER_SMTP_DATA,
                    GMIME_TYPE_FILTER_WINDOWS, GMIME_TYPE_FILTER_HTML, GMIME_TYPE_FILTER_ENRICHED,
                    GMIME_TYPE_FILTER_YENC, GMIME_TYPE_FILTER_GZIP, GMIME_TYPE_FILTER_OPENPGP,
                    INTERNET_ADDRESS_TYPE, INTERNET_ADDRESS_LIST_TYPE, INTERNET_ADDRESS_TYPE_MAILBOX,
                    INTERNET_ADDRESS_TYPE_GROUP})
      if (G_TYPE_IS_CLASSED(t)) g_type_class_ref(t);  // kept for the process's life
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
