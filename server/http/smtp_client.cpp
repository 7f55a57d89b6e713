#include "http/smtp_client.hpp"

#include <curl/curl.h>

#include <cstring>
#include <memory>

namespace relaymock::http {

namespace {

struct Upload {
  const std::string& data;
  std::size_t pos = 0;
};

std::size_t read_cb(char* buf, std::size_t size, std::size_t n, void* user) {
  auto* u = static_cast<Upload*>(user);
  std::size_t take = std::min(size * n, u->data.size() - u->pos);
  std::memcpy(buf, u->data.data() + u->pos, take);
  u->pos += take;
  return take;
}

// SMTP wants CRLF line ends; libcurl adds the dot-stuffing and the final dot.
std::string crlf(const std::string& in) {
  std::string out;
  out.reserve(in.size() + in.size() / 40);
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r')) out += '\r';
    out += in[i];
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out;
}

std::string bracket_host(const std::string& h) { return h.find(':') != std::string::npos ? "[" + h + "]" : h; }

}  // namespace

std::string smtp_send(const SmtpTarget& to, const std::string& from, const std::vector<std::string>& recipients,
                      std::string message) {
  static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  if (!initialised) return "libcurl failed to start";
  if (to.host.empty()) return "no SMTP server to relay to";
  if (recipients.empty()) return "no recipients";
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return "libcurl failed to start";
  CURL* h = curl.get();
  const std::string url = std::string(to.tls ? "smtps://" : "smtp://") + bracket_host(to.host) + ":" +
                          std::to_string(to.port) + "/" + to.helo;
  std::string data = crlf(message);
  Upload up{data};
  curl_slist* rcpt = nullptr;
  for (const auto& r : recipients) rcpt = curl_slist_append(rcpt, ("<" + r + ">").c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> rcpt_guard(rcpt, curl_slist_free_all);
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, ("<" + from + ">").c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
  curl_easy_setopt(h, CURLOPT_READDATA, &up);
  curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(data.size()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  if (to.starttls) curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  if (to.allow_insecure) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!to.username.empty()) {
    curl_easy_setopt(h, CURLOPT_USERNAME, to.username.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, to.password.c_str());
  }
  CURLcode rc = curl_easy_perform(h);
  if (rc == CURLE_OK) return {};
  std::string why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  if (code >= 400 && why.find(std::to_string(code)) == std::string::npos) why += " (" + std::to_string(code) + ")";
  return why;
}

}  // namespace relaymock::http
