#include "http/link_check.hpp"

#include <curl/curl.h>
#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>
#include <re2/re2.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <boost/beast/http/status.hpp>
#include <memory>
#include <set>

#include "util/cidr.hpp"

namespace relaymock::http {

namespace {

// Mailpit's patterns (Go's regexp is RE2: the same syntax and semantics).
const re2::RE2& link_re() {
  static const re2::RE2 re(R"((?im)\b(http|https):\/\/([\-\w@:%_\+'!.~#?,&\/\/=;]+))");
  return re;
}

void add(std::vector<std::string>& out, std::set<std::string>& seen, std::string s) {
  if (seen.insert(s).second) out.push_back(std::move(s));
}

void html_links(std::string_view html, std::vector<std::string>& out, std::set<std::string>& seen) {
  if (html.empty()) return;
  static const bool ready = [] {
    xmlInitParser();
    return true;
  }();
  (void)ready;
  std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> doc(
      htmlReadMemory(html.data(), static_cast<int>(std::min<std::size_t>(html.size(), INT32_MAX)), nullptr, "UTF-8",
                     HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
                         HTML_PARSE_NOIMPLIED | HTML_PARSE_COMPACT),
      xmlFreeDoc);
  if (!doc) return;
  std::unique_ptr<xmlXPathContext, decltype(&xmlXPathFreeContext)> ctx(xmlXPathNewContext(doc.get()),
                                                                       xmlXPathFreeContext);
  if (!ctx) return;
  const std::pair<const char*, const char*> queries[] = {
      {"//a[@href]", "href"}, {"//link[@rel='stylesheet']", "href"}, {"//img[@src]", "src"}};
  for (auto [xpath, attr] : queries) {
    std::unique_ptr<xmlXPathObject, decltype(&xmlXPathFreeObject)> res(
        xmlXPathEvalExpression(reinterpret_cast<const xmlChar*>(xpath), ctx.get()), xmlXPathFreeObject);
    if (!res || !res->nodesetval) continue;
    for (int i = 0; i < res->nodesetval->nodeNr; ++i) {
      xmlChar* v = xmlGetProp(res->nodesetval->nodeTab[i], reinterpret_cast<const xmlChar*>(attr));
      if (!v) continue;
      std::string value(reinterpret_cast<const char*>(v));
      xmlFree(v);
      if (RE2::PartialMatch(value, link_re())) add(out, seen, std::move(value));
    }
  }
}

void text_links(std::string_view text, std::vector<std::string>& out, std::set<std::string>& seen) {
  static const re2::RE2 plain(R"((?im)([^<]\b)((http|https):\/\/([\-\w@:%_\+'!.~#?,&\/\/=;]+)))");
  static const re2::RE2 bracketed(R"((?im)<((http|https):\/\/([\-\w@:%_\+'!.~#?,&\/\/=;][^>]+))>)");
  re2::StringPiece in(text.data(), text.size());
  std::string link;
  while (RE2::FindAndConsume(&in, plain, static_cast<void*>(nullptr), &link)) add(out, seen, link);
  in = re2::StringPiece(text.data(), text.size());
  while (RE2::FindAndConsume(&in, bracketed, &link)) {
    std::string clean;
    for (char ch : link)
      if (ch != '\n') clean += ch;
    add(out, seen, std::move(clean));
  }
}

struct Job {
  LinkStatus result;
  bool blocked = false;
  std::string blocked_ip;
  bool allow_internal = false;
};

curl_socket_t open_socket(void* user, curlsocktype, curl_sockaddr* addr) {
  auto* job = static_cast<Job*>(user);
  char buf[INET6_ADDRSTRLEN] = {0};
  if (addr->family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&addr->addr)->sin_addr, buf, sizeof buf);
  else if (addr->family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&addr->addr)->sin6_addr, buf, sizeof buf);
  if (!job->allow_internal && (!buf[0] || internal_address(buf))) {
    job->blocked = true;
    job->blocked_ip = buf;
    return CURL_SOCKET_BAD;
  }
  return ::socket(addr->family, addr->socktype, addr->protocol);
}

std::string go_status_text(int code) {
  auto reason = boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(code));
  std::string r(reason.data(), reason.size());
  return r == "<unknown-status>" ? std::string() : r;
}

// What Mailpit's httpErrorSummary keeps of Go's error: the last part.
std::string failure(CURLcode rc, const Job& job, const std::string& host) {
  if (job.blocked) return "private/reserved address";
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST: return "no such host";
    case CURLE_COULDNT_CONNECT: return "connection refused";
    case CURLE_OPERATION_TIMEDOUT: return "context deadline exceeded (Client.Timeout exceeded while awaiting headers)";
    case CURLE_TOO_MANY_REDIRECTS: return "stopped after 10 redirects";
    case CURLE_PEER_FAILED_VERIFICATION: return "x509: certificate is not valid for " + host;
    case CURLE_UNSUPPORTED_PROTOCOL: return "unsupported protocol scheme";
    default: return curl_easy_strerror(rc);
  }
}

}  // namespace

bool internal_address(const std::string& ip_text) {
  auto ip = parse_ip(ip_text);
  if (!ip) return true;
  static const char* blocks[] = {"0.0.0.0/8",     "10.0.0.0/8",     "100.64.0.0/10", "127.0.0.0/8",
                                 "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",  "192.0.2.0/24",
                                 "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
                                 "224.0.0.0/4",    "240.0.0.0/4",   "::/128",          "::1/128",
                                 "fc00::/7",       "fe80::/10",     "ff00::/8",        "2001:db8::/32",
                                 "64:ff9b::/96"};
  static const std::vector<Cidr> cidrs = [] {
    std::vector<Cidr> v;
    for (auto b : blocks) v.push_back(*parse_cidr(b));
    return v;
  }();
  for (const auto& c : cidrs)
    if (c.contains(*ip)) return true;
  return false;
}

std::vector<std::string> extract_links(std::string_view html, std::string_view text) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  html_links(html, out, seen);
  text_links(text, out, seen);
  return out;
}

std::vector<LinkStatus> check_links(const std::vector<std::string>& links, const LinkCheckOptions& o) {
  static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  std::vector<Job> jobs(links.size());
  for (std::size_t i = 0; i < links.size(); ++i) {
    jobs[i].result.url = links[i];
    jobs[i].allow_internal = o.allow_internal;
  }
  if (!initialised) {
    for (auto& j : jobs) j.result.status = "libcurl failed to start";
  }
  std::unique_ptr<CURLM, decltype(&curl_multi_cleanup)> multi(initialised ? curl_multi_init() : nullptr,
                                                              curl_multi_cleanup);
  if (!multi) {
    std::vector<LinkStatus> out;
    for (auto& j : jobs) out.push_back(j.result);
    return out;
  }
  curl_multi_setopt(multi.get(), CURLMOPT_MAX_TOTAL_CONNECTIONS, 5L);
  std::vector<std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>> easies;
  std::size_t next = 0, running_jobs = 0;
  auto start_one = [&] {
    auto& job = jobs[next];
    CURL* h = curl_easy_init();
    easies.emplace_back(h, curl_easy_cleanup);
    curl_easy_setopt(h, CURLOPT_URL, links[next].c_str());
    curl_easy_setopt(h, CURLOPT_PRIVATE, &job);
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, o.follow_redirects ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(o.per_link.count() * 1000));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, o.user_agent.c_str());
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &job);
    curl_multi_add_handle(multi.get(), h);
    ++next;
    ++running_jobs;
  };
  const auto deadline = std::chrono::steady_clock::now() + o.overall;
  while (next < jobs.size() && running_jobs < 5) start_one();
  while (running_jobs > 0 && std::chrono::steady_clock::now() < deadline) {
    int still = 0;
    curl_multi_perform(multi.get(), &still);
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi.get(), &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      Job* job = nullptr;
      curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&job));
      long code = 0;
      curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &code);
      if (m->data.result == CURLE_OK && code > 0) {
        job->result.code = static_cast<int>(code);
        job->result.status = go_status_text(static_cast<int>(code));
      } else {
        char* host = nullptr;
        curl_easy_getinfo(m->easy_handle, CURLINFO_EFFECTIVE_URL, &host);
        job->result.status = failure(m->data.result, *job, host ? host : "");
      }
      curl_multi_remove_handle(multi.get(), m->easy_handle);
      --running_jobs;
      if (next < jobs.size()) start_one();
    }
    if (running_jobs > 0) curl_multi_poll(multi.get(), nullptr, 0, 200, nullptr);
  }
  for (auto& e : easies) curl_multi_remove_handle(multi.get(), e.get());
  std::vector<LinkStatus> out;
  for (auto& j : jobs) {
    if (j.result.code == 0 && j.result.status.empty())
      j.result.status = "context deadline exceeded (Client.Timeout exceeded while awaiting headers)";
    out.push_back(std::move(j.result));
  }
  return out;
}

}  // namespace relaymock::http
