// Mailpit's link check (internal/linkcheck): the links a message's HTML
// (a[href], link[rel=stylesheet], img[src]) and text carry, each asked for
// with a HEAD request through libcurl, five at a time, 10 s each, never to
// a private or reserved address unless allowed (Mailpit's
// --allow-internal-http-requests). Blocking: run it on the worker pool.
#pragma once
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace relaymock::http {

struct LinkStatus {
  std::string url;
  int code = 0;        // 0: no answer
  std::string status;  // Go's status text, or why there was no answer
};

// In order of appearance, each once: the HTML's links first, then the text's.
std::vector<std::string> extract_links(std::string_view html, std::string_view text);

struct LinkCheckOptions {
  bool follow_redirects = false;
  bool allow_internal = false;
  std::string user_agent;
  std::chrono::seconds per_link{10};
  std::chrono::seconds overall{120};  // what is still open then counts as timed out
};
std::vector<LinkStatus> check_links(const std::vector<std::string>& links, const LinkCheckOptions& o);

// Loopback, private, link-local, shared (CGNAT), unspecified, multicast
// and the documentation/benchmark ranges.
bool internal_address(const std::string& ip_text);

}  // namespace relaymock::http
