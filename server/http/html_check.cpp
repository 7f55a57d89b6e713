#include "http/html_check.hpp"

#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>
#include <re2/re2.h>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <map>
#include <memory>
#include <set>

#include "util/strings.hpp"

extern "C" const char relaymock_caniemail_begin[];
extern "C" const char relaymock_caniemail_end[];

namespace relaymock::http {

namespace json = boost::json;

namespace {

// ---- The tests, as Mailpit's internal/htmlcheck/config.go lists them -------
// Selectors written as XPath (libxml2 has no CSS selectors).

struct NodeTest {
  const char* slug;
  const char* xpath;
};

constexpr NodeTest kHtmlTests[] = {
    {"html-object", "//object|//embed|//image|//pdf"},
    {"html-link", "//link"},
    {"html-hr", "//hr"},
    {"html-dialog", "//dialog"},
    {"html-srcset", "//*[@srcset]"},
    {"html-picture", "//picture"},
    {"html-svg", "//svg"},
    {"html-progress", "//progress"},
    {"html-required", "//*[@required]"},
    {"html-meter", "//meter"},
    {"html-audio", "//audio"},
    {"html-form", "//form"},
    {"html-input-submit", "//submit"},
    {"html-button-reset", "//button[@type='reset']"},
    {"html-button-submit", "//submit|//button[@type='submit']"},
    {"html-base", "//base"},
    {"html-input-checkbox", "//checkbox"},
    {"html-input-hidden", "//*[@type='hidden']"},
    {"html-input-radio", "//radio"},
    {"html-input-text", "//input[@type='text']"},
    {"html-video", "//video"},
    {"html-semantics",
     "//article|//aside|//details|//figcaption|//figure|//footer|//header|//main|//mark|//nav|//section|//summary|//time"},
    {"html-select", "//select"},
    {"html-textarea", "//textarea"},
    {"html-anchor-links", "//a[starts-with(@href,'#')]"},
    {"html-style", "//style"},
    {"html-image-maps", "//map|//img[@usemap]"},
};

struct RegexTest {
  const char* slug;
  const char* pattern;
};

constexpr RegexTest kImageTests[] = {
    {"image-apng", R"((?i)\.apng$)"}, {"image-avif", R"((?i)\.avif$)"}, {"image-base64", R"(^(?i)data:image\/)"},
    {"image-bmp", R"((?i)\.bmp$)"},   {"image-gif", R"((?i)\.gif$)"},   {"image-hdr", R"((?i)\.hdr$)"},
    {"image-heif", R"((?i)\.heif$)"}, {"image-ico", R"((?i)\.ico$)"},   {"image-mp4", R"((?i)\.mp4$)"},
    {"image-ppm", R"((?i)\.ppm$)"},   {"image-svg", R"((?i)\.svg$)"},   {"image-tiff", R"((?i)\.tiff?$)"},
    {"image-webp", R"((?i)\.webp$)"},
};

// [style*="..."] (and an attribute or two) per test.
struct StyleTest {
  const char* slug;
  std::vector<const char*> contains;
  std::vector<const char*> attributes;
};

const std::vector<StyleTest>& style_tests() {
  static const std::vector<StyleTest> t = {
      {"css-accent-color", {"accent-color:"}, {}},
      {"css-align-items", {"align-items:"}, {}},
      {"css-aspect-ratio", {"aspect-ratio:"}, {}},
      {"css-background-blend-mode", {"background-blend-mode:"}, {}},
      {"css-background-clip", {"background-clip:"}, {}},
      {"css-background-color", {"background-color:"}, {"bgcolor"}},
      {"css-background-image", {"background-image:"}, {}},
      {"css-background-origin", {"background-origin:"}, {}},
      {"css-background-position", {"background-position:"}, {}},
      {"css-background-repeat", {"background-repeat:"}, {}},
      {"css-background-size", {"background-size:"}, {}},
      {"css-background", {"background:"}, {"background"}},
      {"css-block-inline-size", {"block-inline-size:"}, {}},
      {"css-border-image", {"border-image:"}, {}},
      {"css-border-inline-block-individual", {"border-inline:"}, {}},
      {"css-border-radius", {"border-radius:"}, {}},
      {"css-border", {"border:"}, {"border"}},
      {"css-box-shadow", {"box-shadow:"}, {}},
      {"css-box-sizing", {"box-sizing:"}, {}},
      {"css-caption-side", {"caption-side:"}, {}},
      {"css-clip-path", {"clip-path:"}, {}},
      {"css-column-count", {"column-count:"}, {}},
      {"css-column-layout-properties", {"column-layout-properties:"}, {}},
      {"css-conic-gradient", {"conic-gradient:"}, {}},
      {"css-direction", {"direction:"}, {}},
      {"css-display-flex", {"display:flex"}, {}},
      {"css-display-grid", {"display:grid"}, {}},
      {"css-display-none", {"display:none"}, {}},
      {"css-display", {"display:"}, {}},
      {"css-filter", {"filter:"}, {}},
      {"css-flex-direction", {"flex-direction:"}, {}},
      {"css-flex-wrap", {"flex-wrap:"}, {}},
      {"css-float", {"float:"}, {}},
      {"css-font-kerning", {"font-kerning:"}, {}},
      {"css-font-weight", {"font-weight:"}, {}},
      {"css-font", {"font:"}, {}},
      {"css-gap", {"gap:"}, {}},
      {"css-grid-template", {"grid-template:"}, {}},
      {"css-height", {"height:"}, {"height"}},
      {"css-hyphens", {"hyphens:"}, {}},
      {"css-important", {"!important"}, {}},
      {"css-inline-size", {"inline-size:"}, {}},
      {"css-intrinsic-size", {"intrinsic-size:"}, {}},
      {"css-justify-content", {"justify-content:"}, {}},
      {"css-letter-spacing", {"letter-spacing:"}, {}},
      {"css-line-height", {"line-height:"}, {}},
      {"css-list-style-image", {"list-style-image:"}, {}},
      {"css-list-style-position", {"list-style-position:"}, {}},
      {"css-list-style", {"list-style:"}, {}},
      {"css-margin-block-start-end", {"margin-block-start:", "margin-block-end:"}, {}},
      {"css-margin-inline-block", {"margin-inline-block:"}, {}},
      {"css-margin-inline-start-end", {"margin-inline-start:", "margin-inline-end:"}, {}},
      {"css-margin-inline", {"margin-inline:"}, {}},
      {"css-margin", {"margin:"}, {}},
      {"css-max-block-size", {"max-block-size:"}, {}},
      {"css-max-height", {"max-height:"}, {}},
      {"css-max-width", {"max-width:"}, {}},
      {"css-min-height", {"min-height:"}, {}},
      {"css-min-inline-size", {"min-inline-size:"}, {}},
      {"css-min-width", {"min-width:"}, {}},
      {"css-mix-blend-mode", {"mix-blend-mode:"}, {}},
      {"css-modern-color", {"modern-color:"}, {}},
      {"css-object-fit", {"object-fit:"}, {}},
      {"css-object-position", {"object-position:"}, {}},
      {"css-opacity", {"opacity:"}, {}},
      {"css-outline-offset", {"outline-offset:"}, {}},
      {"css-outline", {"outline:"}, {}},
      {"css-overflow-wrap", {"overflow-wrap:"}, {}},
      {"css-overflow", {"overflow:"}, {}},
      {"css-padding-block-start-end", {"padding-block-start:", "padding-block-end:"}, {}},
      {"css-padding-inline-block", {"padding-inline-block:"}, {}},
      {"css-padding-inline-start-end", {"padding-inline-start:", "padding-inline-end:"}, {}},
      {"css-padding", {"padding:"}, {"padding"}},
      {"css-position", {"position:"}, {}},
      {"css-radial-gradient", {"radial-gradient:"}, {}},
      {"css-rgb", {"rgb("}, {}},
      {"css-rgba", {"rgba("}, {}},
      {"css-scroll-snap", {"roll-snap:"}, {}},
      {"css-tab-size", {"tab-size:"}, {}},
      {"css-table-layout", {"table-layout:"}, {}},
      {"css-text-align-last", {"text-align-last:"}, {}},
      {"css-text-align", {"text-align:"}, {}},
      {"css-text-decoration-color", {"text-decoration-color:"}, {}},
      {"css-text-decoration-thickness", {"text-decoration-thickness:"}, {}},
      {"css-text-decoration", {"text-decoration:"}, {}},
      {"css-text-emphasis-position", {"text-emphasis-position:"}, {}},
      {"css-text-emphasis", {"text-emphasis:"}, {}},
      {"css-text-indent", {"text-indent:"}, {}},
      {"css-text-overflow", {"text-overflow:"}, {}},
      {"css-text-shadow", {"text-shadow:"}, {}},
      {"css-text-transform", {"text-transform:"}, {}},
      {"css-text-underline-offset", {"text-underline-offset:"}, {}},
      {"css-transform", {"transform:"}, {}},
      {"css-unit-calc", {"calc(:"}, {}},
      {"css-variables", {"variables:"}, {}},
      {"css-visibility", {"visibility:"}, {}},
      {"css-white-space", {"white-space:"}, {}},
      {"css-width", {"width:"}, {"width"}},
      {"css-word-break", {"word-break:"}, {}},
      {"css-writing-mode", {"writing-mode:"}, {}},
      {"css-z-index", {"z-index:"}, {}},
  };
  return t;
}

constexpr RegexTest kUnitTests[] = {
    {"css-unit-ch", R"(\b\d+ch\b)"},   {"css-unit-initial", R"(:\s?initial\b)"}, {"css-unit-rem", R"(\b\d+rem\b)"},
    {"css-unit-vh", R"(\b\d+vh\b)"},   {"css-unit-vmax", R"(\b\d+vmax\b)"},     {"css-unit-vmin", R"(\b\d+vmin\b)"},
    {"css-unit-vw", R"(\b\d+vw\b)"},
};

constexpr RegexTest kCssTests[] = {
    {"css-at-font-face", R"((?mi)@font\-face\s+?{)"},
    {"css-at-import", R"((?mi)@import\s)"},
    {"css-at-keyframes", R"((?mi)@keyframes\s)"},
    {"css-at-media", R"((?mi)@media\s?\()"},
    {"css-at-supports", R"((?mi)@supports\s?\()"},
    {"css-pseudo-class-active", ":active"},
    {"css-pseudo-class-checked", ":checked"},
    {"css-pseudo-class-first-child", R"(:first\-child)"},
    {"css-pseudo-class-first-of-type", R"(:first\-of\-type)"},
    {"css-pseudo-class-focus", ":focus"},
    {"css-pseudo-class-has", ":has"},
    {"css-pseudo-class-hover", ":hover"},
    {"css-pseudo-class-lang", R"(:lang\s?\()"},
    {"css-pseudo-class-last-child", R"(:last\-child)"},
    {"css-pseudo-class-last-of-type", R"(:last\-of\-type)"},
    {"css-pseudo-class-link", ":link"},
    {"css-pseudo-class-not", R"(:not(\s+)?\()"},
    {"css-pseudo-class-nth-child", R"(:nth\-child(\s+)?\()"},
    {"css-pseudo-class-nth-last-child", R"(:nth\-last\-child(\s+)?\()"},
    {"css-pseudo-class-nth-last-of-type", R"(:nth\-last\-of\-type(\s+)?\()"},
    {"css-pseudo-class-nth-of-type", R"(:nth\-of\-type(\s+)?\()"},
    {"css-pseudo-class-only-child", R"(:only\-child(\s+)?\()"},
    {"css-pseudo-class-only-of-type", R"(:only\-of\-type(\s+)?\()"},
    {"css-pseudo-class-target", ":target"},
    {"css-pseudo-class-visited", ":visited"},
    {"css-pseudo-element-after", ":after"},
    {"css-pseudo-element-before", ":before"},
    {"css-pseudo-element-first-letter", R"(::first\-letter)"},
    {"css-pseudo-element-first-line", R"(::first\-line)"},
    {"css-pseudo-element-marker", "::marker"},
    {"css-pseudo-element-placeholder", "::placeholder"},
};

// Bounds on what a sender's HTML can make the check do.
constexpr std::size_t kMaxRules = 5'000;
constexpr std::size_t kMaxCss = 1 << 20;

// ---- The caniemail table -----------------------------------------------------

struct Table {
  json::object nicenames;
  std::map<std::string, const json::object*> by_slug;
  json::value root;
  json::object platforms;  // Mailpit's Platforms: platform -> sorted client families
};

const Table& table() {
  static const Table t = [] {
    Table t;
    boost::system::error_code ec;
    t.root = json::parse(std::string_view(relaymock_caniemail_begin,
                                          static_cast<std::size_t>(relaymock_caniemail_end - relaymock_caniemail_begin)),
                         ec);
    if (ec || !t.root.is_object()) return t;
    const auto& o = t.root.as_object();
    if (auto* n = o.if_contains("nicenames"); n && n->is_object()) t.nicenames = n->as_object();
    std::map<std::string, std::set<std::string>> platforms;
    const json::object* families = nullptr;
    if (auto* f = t.nicenames.if_contains("family"); f && f->is_object()) families = &f->as_object();
    if (auto* d = o.if_contains("data"); d && d->is_array())
      for (const auto& f : d->as_array()) {
        if (!f.is_object()) continue;
        const auto& feature = f.as_object();
        if (auto* slug = feature.if_contains("slug"); slug && slug->is_string())
          t.by_slug[std::string(slug->as_string())] = &feature;
        auto* stats = feature.if_contains("stats");
        if (!stats || !stats->is_object()) continue;
        for (const auto& [family, per_platform] : stats->as_object()) {
          std::string nice(family);
          if (families)
            if (auto* n = families->if_contains(family); n && n->is_string()) nice = std::string(n->as_string());
          if (!per_platform.is_object()) continue;
          for (const auto& [platform, versions] : per_platform.as_object()) platforms[std::string(platform)].insert(nice);
        }
      }
    for (const auto& [platform, clients] : platforms) {
      json::array a;
      for (const auto& c : clients) a.emplace_back(c);
      t.platforms[platform] = std::move(a);
    }
    return t;
  }();
  return t;
}

std::string nice(const char* kind, std::string_view key) {
  const auto& n = table().nicenames;
  if (auto* k = n.if_contains(kind); k && k->is_object())
    if (auto* v = k->as_object().if_contains(key); v && v->is_string()) return std::string(v->as_string());
  return "";
}

std::string str(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// ---- Markdown (caniemail's descriptions and notes) to HTML, as Mailpit
// renders them with gomarkdown: escaped text, `code`, **strong**, *em*,
// [links](url) opening in a new tab; the outer <p> dropped.

std::string escape_html(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string md_to_html(std::string_view md) {
  std::string out;
  std::size_t i = 0;
  auto rest_find = [&](std::string_view what, std::size_t from) { return md.find(what, from); };
  while (i < md.size()) {
    char c = md[i];
    if (c == '`') {
      auto end = rest_find("`", i + 1);
      if (end != std::string_view::npos) {
        out += "<code>" + escape_html(md.substr(i + 1, end - i - 1)) + "</code>";
        i = end + 1;
        continue;
      }
    } else if (c == '*' && i + 1 < md.size() && md[i + 1] == '*') {
      auto end = rest_find("**", i + 2);
      if (end != std::string_view::npos && end > i + 2) {
        out += "<strong>" + md_to_html(md.substr(i + 2, end - i - 2)) + "</strong>";
        i = end + 2;
        continue;
      }
    } else if ((c == '*' || c == '_') && i + 1 < md.size() && md[i + 1] != ' ' &&
               (i == 0 || md[i - 1] == ' ' || md[i - 1] == '(')) {
      auto end = md.find(c, i + 1);
      if (end != std::string_view::npos && end > i + 1 && md[end - 1] != ' ') {
        out += "<em>" + md_to_html(md.substr(i + 1, end - i - 1)) + "</em>";
        i = end + 1;
        continue;
      }
    } else if (c == '[') {
      auto close = rest_find("](", i + 1);
      auto end = close == std::string_view::npos ? close : rest_find(")", close + 2);
      if (close != std::string_view::npos && end != std::string_view::npos &&
          md.substr(i + 1, close - i - 1).find('\n') == std::string_view::npos) {
        auto url = md.substr(close + 2, end - close - 2);
        out += "<a href=\"" + escape_html(url) + "\" target=\"_blank\">" + md_to_html(md.substr(i + 1, close - i - 1)) +
               "</a>";
        i = end + 1;
        continue;
      }
    }
    out += escape_html(std::string_view(&md[i], 1));
    ++i;
  }
  return out;
}

// A float32 as Go writes one (strconv with 32 bits: 33.333332, not
// 33.33333206176758), held as the double that prints that way.
double f32(float f) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, f);
  double d = 0;
  std::from_chars(buf, r.ptr, d);
  return d;
}

struct Warning {
  std::string slug, title, description, url, category;
  json::array tags;
  json::array results;
  json::object notes;
  int found = 0;
  float supported = 0, partial = 0, unsupported = 0;
};

// cie.getTest: the feature's results for every client; nullopt when the
// table lacks the slug.
std::optional<Warning> feature(std::string_view slug) {
  const auto& t = table();
  auto it = t.by_slug.find(std::string(slug));
  if (it == t.by_slug.end()) return std::nullopt;
  const auto& f = *it->second;
  Warning w;
  w.slug = str(f, "slug");
  w.title = str(f, "title");
  w.description = md_to_html(str(f, "description"));
  w.category = str(f, "category");
  w.url = str(f, "url");
  if (auto* tags = f.if_contains("tags"); tags && tags->is_array()) w.tags = tags->as_array();
  if (auto* notes = f.if_contains("notes_by_num"); notes && notes->is_object()) {
    std::map<std::string, std::string> sorted;  // Go writes a map's keys sorted
    for (const auto& [k, v] : notes->as_object())
      if (v.is_string()) sorted[std::string(k)] = md_to_html(v.as_string());
    for (const auto& [k, v] : sorted) w.notes[k] = v;
  }
  static const re2::RE2 note_re(R"( #(\d)+$)");
  float y = 0, n = 0, p = 0;
  if (auto* stats = f.if_contains("stats"); stats && stats->is_object())
    for (const auto& [family, per_platform] : stats->as_object()) {
      if (!per_platform.is_object()) continue;
      for (const auto& [platform, versions] : per_platform.as_object()) {
        if (!versions.is_object()) continue;
        for (const auto& [version, support] : versions.as_object()) {
          std::string s = support.is_string() ? std::string(support.as_string()) : std::string();
          std::string result, note;
          if (s == "y") {
            ++y;
            result = "yes";
          } else if (s == "n") {
            ++n;
            result = "no";
          } else {
            ++p;  // "a" (partial) and "u" (unknown) alike, as Mailpit counts them
            result = "partial";
            std::string digit;
            if (RE2::PartialMatch(s, note_re, &digit)) note = digit;
          }
          w.results.push_back(json::object{
              {"Name", nice("family", family) + " " + nice("platform", platform) + " (" + std::string(version) + ")"},
              {"Platform", platform},
              {"Family", family},
              {"Version", version},
              {"Support", result},
              {"NoteNumber", note}});
        }
      }
    }
  const float total = y + n + p;
  if (total > 0) {
    w.supported = y / total * 100;
    w.unsupported = n / total * 100;
    w.partial = p / total * 100;
  }
  return w;
}

// ---- libxml2 ----------------------------------------------------------------

using Doc = std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)>;
using XPathCtx = std::unique_ptr<xmlXPathContext, decltype(&xmlXPathFreeContext)>;
using XPathObj = std::unique_ptr<xmlXPathObject, decltype(&xmlXPathFreeObject)>;

Doc parse_html(std::string_view html) {
  static const bool ready = [] {
    xmlInitParser();
    return true;
  }();
  (void)ready;
  return Doc(htmlReadMemory(html.data(), static_cast<int>(std::min<std::size_t>(html.size(), INT32_MAX)), nullptr,
                            "UTF-8",
                            HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
                                HTML_PARSE_COMPACT),
             xmlFreeDoc);
}

std::vector<xmlNodePtr> select(xmlXPathContext* ctx, const std::string& xpath) {
  std::vector<xmlNodePtr> out;
  XPathObj res(xmlXPathEvalExpression(reinterpret_cast<const xmlChar*>(xpath.c_str()), ctx), xmlXPathFreeObject);
  if (!res || !res->nodesetval) return out;
  for (int i = 0; i < res->nodesetval->nodeNr; ++i) out.push_back(res->nodesetval->nodeTab[i]);
  return out;
}

std::string attr(xmlNodePtr n, const char* name) {
  xmlChar* v = xmlGetProp(n, reinterpret_cast<const xmlChar*>(name));
  if (!v) return {};
  std::string s(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return s;
}

std::string text_of(xmlNodePtr n) {
  xmlChar* v = xmlNodeGetContent(n);
  if (!v) return {};
  std::string s(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return s;
}

// ---- The premailer step: <style> rules merged into style attributes --------

// An XPath literal for a value (nullopt when it holds both quote kinds).
std::optional<std::string> literal(std::string_view v) {
  if (v.find('\'') == std::string_view::npos) return "'" + std::string(v) + "'";
  if (v.find('"') == std::string_view::npos) return "\"" + std::string(v) + "\"";
  return std::nullopt;
}

bool ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}

// One CSS selector as XPath, for the subset premailer's users write;
// nullopt for anything else (pseudo-classes, siblings, attribute operators).
std::optional<std::string> to_xpath(std::string_view sel) {
  std::string out;
  std::size_t i = 0;
  std::string axis = "//";
  bool any = false;
  while (i < sel.size()) {
    while (i < sel.size() && std::isspace(static_cast<unsigned char>(sel[i]))) ++i;
    if (i >= sel.size()) break;
    if (sel[i] == '>') {
      if (!any || axis == "/") return std::nullopt;
      axis = "/";
      ++i;
      continue;
    }
    // A compound selector.
    std::string tag = "*";
    std::string preds;
    if (sel[i] == '*') {
      ++i;
    } else if (ident_char(sel[i])) {
      std::size_t s = i;
      while (i < sel.size() && ident_char(sel[i])) ++i;
      tag = ascii_lower(sel.substr(s, i - s));
    }
    while (i < sel.size() && !std::isspace(static_cast<unsigned char>(sel[i])) && sel[i] != '>') {
      if (sel[i] == '.' || sel[i] == '#') {
        char kind = sel[i++];
        std::size_t s = i;
        while (i < sel.size() && ident_char(sel[i])) ++i;
        if (i == s) return std::nullopt;
        auto name = sel.substr(s, i - s);
        auto lit = literal(kind == '.' ? " " + std::string(name) + " " : std::string(name));
        if (!lit) return std::nullopt;
        preds += kind == '.' ? "[contains(concat(' ',normalize-space(@class),' ')," + *lit + ")]" : "[@id=" + *lit + "]";
      } else if (sel[i] == '[') {
        auto close = sel.find(']', i);
        if (close == std::string_view::npos) return std::nullopt;
        auto inner = sel.substr(i + 1, close - i - 1);
        i = close + 1;
        auto eq = inner.find('=');
        auto name = trim(inner.substr(0, eq));
        if (name.empty() || !std::all_of(name.begin(), name.end(), ident_char)) return std::nullopt;
        if (eq == std::string_view::npos) {
          preds += "[@" + ascii_lower(name) + "]";
          continue;
        }
        if (eq > 0 && std::string_view("~|^$*").find(inner[eq - 1]) != std::string_view::npos) return std::nullopt;
        auto value = trim(inner.substr(eq + 1));
        if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
          value = value.substr(1, value.size() - 2);
        auto lit = literal(value);
        if (!lit) return std::nullopt;
        preds += "[@" + ascii_lower(name) + "=" + *lit + "]";
      } else {
        return std::nullopt;  // ':' pseudo-classes, '+' and '~' combinators, ...
      }
    }
    out += axis + tag + preds;
    axis = "//";
    any = true;
  }
  if (!any || axis == "/") return std::nullopt;
  return out;
}

struct Rule {
  std::vector<std::string> xpaths;
  std::vector<std::pair<std::string, std::string>> declarations;  // property (lower case), value
};

std::vector<std::pair<std::string, std::string>> declarations(std::string_view block) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t pos = 0;
  while (pos <= block.size()) {
    auto semi = block.find(';', pos);
    auto decl = block.substr(pos, semi == std::string_view::npos ? std::string_view::npos : semi - pos);
    pos = semi == std::string_view::npos ? block.size() + 1 : semi + 1;
    auto colon = decl.find(':');
    if (colon == std::string_view::npos) continue;
    auto prop = ascii_lower(trim(decl.substr(0, colon)));
    auto value = std::string(trim(decl.substr(colon + 1)));
    if (!prop.empty() && !value.empty()) out.emplace_back(std::move(prop), std::move(value));
  }
  return out;
}

// The rules premailer would inline: outside any at-rule, without comments.
std::vector<Rule> parse_css(std::string_view css) {
  std::string clean;
  for (std::size_t i = 0; i < css.size(); ++i) {
    if (css[i] == '/' && i + 1 < css.size() && css[i + 1] == '*') {
      auto end = css.find("*/", i + 2);
      if (end == std::string_view::npos) break;
      i = end + 1;
      continue;
    }
    clean += css[i];
  }
  std::vector<Rule> rules;
  std::size_t i = 0;
  while (i < clean.size() && rules.size() < kMaxRules) {
    while (i < clean.size() && std::isspace(static_cast<unsigned char>(clean[i]))) ++i;
    if (i >= clean.size()) break;
    if (clean[i] == '@') {
      // An at-rule: to its ';' or past its block, braces counted.
      auto semi = clean.find(';', i), open = clean.find('{', i);
      if (open == std::string::npos || (semi != std::string::npos && semi < open)) {
        i = semi == std::string::npos ? clean.size() : semi + 1;
        continue;
      }
      int depth = 0;
      std::size_t j = open;
      for (; j < clean.size(); ++j) {
        if (clean[j] == '{') ++depth;
        else if (clean[j] == '}' && --depth == 0) break;
      }
      i = j + 1;
      continue;
    }
    auto open = clean.find('{', i);
    if (open == std::string::npos) break;
    auto close = clean.find('}', open);
    if (close == std::string::npos) close = clean.size();
    Rule r;
    std::string_view selectors(clean.data() + i, open - i);
    std::size_t s = 0;
    while (s <= selectors.size()) {
      auto comma = selectors.find(',', s);
      auto one = trim(selectors.substr(s, comma == std::string_view::npos ? std::string_view::npos : comma - s));
      s = comma == std::string_view::npos ? selectors.size() + 1 : comma + 1;
      if (auto x = to_xpath(one)) r.xpaths.push_back(*x);
    }
    r.declarations = declarations(std::string_view(clean.data() + open + 1, close - open - 1));
    if (!r.xpaths.empty() && !r.declarations.empty()) rules.push_back(std::move(r));
    i = close + 1;
  }
  return rules;
}

void merge_styles(xmlXPathContext* ctx, const std::string& css) {
  auto rules = parse_css(std::string_view(css).substr(0, kMaxCss));
  // Per element: its properties in the order they were set, later rules
  // winning, its own style attribute last (it outranks the sheet).
  std::map<xmlNodePtr, std::vector<std::pair<std::string, std::string>>> merged;
  auto set = [](std::vector<std::pair<std::string, std::string>>& props, const std::string& k, const std::string& v) {
    for (auto& [pk, pv] : props)
      if (pk == k) {
        pv = v;
        return;
      }
    props.emplace_back(k, v);
  };
  for (const auto& r : rules)
    for (const auto& x : r.xpaths)
      for (auto* n : select(ctx, x))
        for (const auto& [k, v] : r.declarations) set(merged[n], k, v);
  for (auto& [n, props] : merged) {
    for (const auto& [k, v] : declarations(attr(n, "style"))) set(props, k, v);
    std::string style;
    for (const auto& [k, v] : props) style += (style.empty() ? "" : ";") + k + ":" + v;
    xmlSetProp(n, reinterpret_cast<const xmlChar*>("style"), reinterpret_cast<const xmlChar*>(style.c_str()));
  }
}

json::value warning_json(const Warning& w) {
  return json::object{{"Slug", w.slug},
                      {"Title", w.title},
                      {"Description", w.description},
                      {"URL", w.url},
                      {"Category", w.category},
                      {"Tags", w.tags},
                      {"Keywords", ""},
                      {"Results", w.results},
                      {"NotesByNumber", w.notes},
                      {"Score", json::object{{"Found", w.found},
                                             {"Supported", f32(w.supported)},
                                             {"Partial", f32(w.partial)},
                                             {"Unsupported", f32(w.unsupported)}}}};
}

template <std::size_t N>
std::vector<std::unique_ptr<re2::RE2>> compile(const RegexTest (&tests)[N]) {
  std::vector<std::unique_ptr<re2::RE2>> out;
  for (const auto& t : tests) out.push_back(std::make_unique<re2::RE2>(t.pattern));
  return out;
}

std::string xpath_contains(const StyleTest& t) {
  std::string x;
  for (const char* c : t.contains) x += std::string(x.empty() ? "" : "|") + "//*[contains(@style,'" + c + "')]";
  for (const char* a : t.attributes) x += std::string("|//*[@") + a + "]";
  return x;
}

}  // namespace

std::vector<std::string> html_check_missing_slugs() {
  std::vector<std::string> missing;
  auto check = [&](const char* s) {
    if (!table().by_slug.count(s)) missing.push_back(s);
  };
  check("html-body");
  for (const auto& t : kHtmlTests) check(t.slug);
  for (const auto& t : kImageTests) check(t.slug);
  for (const auto& t : style_tests()) check(t.slug);
  for (const auto& t : kUnitTests) check(t.slug);
  for (const auto& t : kCssTests) check(t.slug);
  return missing;
}

json::value html_check(std::string_view html) {
  const auto& t = table();
  std::vector<Warning> warnings;
  int tests = 0;
  auto doc = parse_html(html);
  if (!doc) doc = parse_html("<html></html>");  // libxml2 gives no document for an empty or blank page
  if (!doc) throw std::runtime_error("the HTML could not be parsed");
  XPathCtx ctx(xmlXPathNewContext(doc.get()), xmlXPathFreeContext);
  if (!ctx) throw std::runtime_error("the HTML could not be read");

  static const re2::RE2 body_end(R"((?im)</body>)");
  const bool has_body = RE2::PartialMatch(re2::StringPiece(html.data(), html.size()), body_end);
  // Mailpit's crude node count: everything in <body>, or (a whole document)
  // every element but html, head and meta.
  const int nodes = static_cast<int>(
      select(ctx.get(), has_body ? "//*[not(self::html) and not(self::head) and not(self::meta)]" : "//body//*|//script")
          .size());

  // HTML.
  if (auto n = select(ctx.get(), "//script[not(@type='application/ld+json') and not(@type='application/json')]").size()) {
    Warning w;
    w.slug = "html-script";
    w.title = "<script> element";
    w.category = "html";
    w.description = "JavaScript is not supported in any email client.";
    w.found = static_cast<int>(n);
    w.unsupported = 100;
    warnings.push_back(std::move(w));
    ++tests;
  }
  ++tests;
  if (has_body)
    if (auto w = feature("html-body")) {
      w->found = 1;
      warnings.push_back(std::move(*w));
    }
  for (const auto& test : kHtmlTests) {
    ++tests;
    auto found = select(ctx.get(), test.xpath).size();
    if (!found) continue;
    ++tests;  // Mailpit counts a test that finds something twice
    if (auto w = feature(test.slug)) {
      w->found = static_cast<int>(found);
      warnings.push_back(std::move(*w));
    }
  }
  tests += static_cast<int>(std::size(kImageTests));
  std::map<std::string, int> images;
  static const auto image_res = compile(kImageTests);
  for (auto* img : select(ctx.get(), "//img[@src]")) {
    auto src = attr(img, "src");
    for (std::size_t i = 0; i < std::size(kImageTests); ++i)
      if (RE2::PartialMatch(src, *image_res[i])) ++images[kImageTests[i].slug];
  }
  for (const auto& [slug, found] : images)
    if (auto w = feature(slug)) {
      w->found = found;
      warnings.push_back(std::move(*w));
    }

  // CSS: the <style> blocks' text (for the at-rule and pseudo-class
  // tests), then merged into the elements (for the property tests).
  std::string css;
  for (auto* style : select(ctx.get(), "//style")) {
    css += text_of(style);
    if (css.size() > kMaxCss) break;
  }
  merge_styles(ctx.get(), css);
  for (const auto& test : style_tests()) {
    ++tests;
    auto found = select(ctx.get(), xpath_contains(test)).size();
    if (!found) continue;
    if (auto w = feature(test.slug)) {
      w->found = static_cast<int>(found);
      warnings.push_back(std::move(*w));
    }
  }
  std::vector<std::string> styles;
  for (auto* n : select(ctx.get(), "//*[@style]")) styles.push_back(attr(n, "style"));
  static const auto unit_res = compile(kUnitTests);
  for (std::size_t t_i = 0; t_i < std::size(kUnitTests); ++t_i) {
    const auto& test = kUnitTests[t_i];
    const auto& re = *unit_res[t_i];
    ++tests;
    int found = 0;
    for (const auto& s : styles) {
      re2::StringPiece in(s);
      while (RE2::FindAndConsume(&in, re)) {
        ++found;
        if (in.empty()) break;
      }
    }
    if (found)
      if (auto w = feature(test.slug)) {
        w->found = found;
        warnings.push_back(std::move(*w));
      }
  }
  static const auto css_res = compile(kCssTests);
  for (std::size_t t_i = 0; t_i < std::size(kCssTests); ++t_i) {
    const auto& test = kCssTests[t_i];
    const auto& re = *css_res[t_i];
    ++tests;
    int found = 0;
    re2::StringPiece in(css);
    while (!in.empty() && RE2::FindAndConsume(&in, re)) ++found;
    if (found)
      if (auto w = feature(test.slug)) {
        w->found = found;
        warnings.push_back(std::move(*w));
      }
  }

  // Mailpit's totals: the worst partial and unsupported shares, each
  // weighted by how often the feature occurs among the nodes.
  float partial = 0, unsupported = 0;
  const float n = static_cast<float>(std::max(nodes, 1));  // Mailpit divides by 0 here (and fails)
  for (const auto& w : warnings) {
    if (w.found == 0) continue;
    if (w.partial > 0) partial = std::max(partial, w.partial * static_cast<float>(w.found) / n);
    if (w.unsupported > 0) unsupported = std::max(unsupported, w.unsupported * static_cast<float>(w.found) / n);
  }
  std::stable_sort(warnings.begin(), warnings.end(), [n](const Warning& a, const Warning& b) {
    return (a.unsupported + a.partial) * static_cast<float>(a.found) / n >
           (b.unsupported + b.partial) * static_cast<float>(b.found) / n;
  });
  json::array list;
  for (const auto& w : warnings) list.push_back(warning_json(w));
  return json::object{{"Warnings", std::move(list)},
                      {"Platforms", t.platforms},
                      {"Total", json::object{{"Tests", tests},
                                             {"Nodes", nodes},
                                             {"Supported", f32(100 - partial - unsupported)},
                                             {"Partial", f32(partial)},
                                             {"Unsupported", f32(unsupported)}}}};
}

}  // namespace relaymock::http
