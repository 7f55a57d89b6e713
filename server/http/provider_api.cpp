#include "http/provider_api.hpp"
#include "util/random.hpp"

#include "http/resources.hpp"
#include "http/provider_errors.hpp"
#include "http/provider_account.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <cctype>
#include <random>
#include <set>

#include "config/loader.hpp"
#include "config/provider_account.hpp"
#include "util/log.hpp"
#include "util/base64.hpp"
#include "util/dates.hpp"
#include "util/strings.hpp"
#include "util/address.hpp"
#include "smtp/message_id.hpp"
#include "smtp/reply.hpp"
#include "smtp/sasl.hpp"
#include "store/codec.hpp"
#include "mime/mime.hpp"
#include "mime/mime_build.hpp"
#include "util/duration.hpp"

namespace relaymock::http {

namespace asio = boost::asio;
namespace json = boost::json;
using beast_http::field;
using beast_http::status;
using beast_http::verb;

namespace {

// The provider's limits for /email/send.
constexpr std::size_t kMaxTo = 100;
constexpr std::size_t kMaxCcBcc = 100;
// relaymock's own bounds (the provider documents none): a header line, a
// Content-ID and a filename parameter must all fit SMTP's 998 octets.
constexpr std::size_t kMaxHeaderName = 100;
constexpr std::size_t kMaxFilename = 255;
constexpr std::size_t kMaxMediaToken = 127;  // RFC 6838 4.2

// A header the API writes itself from a request field: a custom header of
// that name would make a second one (or, for Bcc, show the hidden copies).
const char* api_field_of(std::string_view lower_name) {
  static const std::pair<std::string_view, const char*> kFields[] = {
      {"from", "sender"}, {"to", "to"}, {"cc", "cc"}, {"bcc", "bcc"}, {"subject", "subject"},
      {"date", "the time it is sent"}, {"message-id", "the email_id"}};
  for (const auto& [n, f] : kFields)
    if (n == lower_name) return f;
  return nullptr;
}

// The other fields RFC 5322 3.6 allows at most once.
bool once_only(std::string_view lower_name) {
  return lower_name == "sender" || lower_name == "reply-to" || lower_name == "in-reply-to" ||
         lower_name == "references";
}

// type/subtype, both RFC 2045 tokens, nothing after (a parameter or a quote
// would pass into the Content-Type the API writes).
bool media_type(std::string_view t) {
  auto token = [](std::string_view s) {
    if (s.empty() || s.size() > kMaxMediaToken) return false;
    for (unsigned char c : s)
      if (c <= 32 || c >= 127 || std::string_view("()<>@,;:\\\"/[]?=").find(static_cast<char>(c)) != std::string_view::npos)
        return false;
    return true;
  };
  auto slash = t.find('/');
  return slash != std::string_view::npos && token(t.substr(0, slash)) && token(t.substr(slash + 1));
}

// "Name <addr>" or "addr": the address, or why not.
std::optional<Mailbox> mailbox_of(std::string_view text, std::string& why) {
  auto lt = text.rfind('<');
  std::string_view addr = text;
  if (lt != std::string_view::npos) {
    auto gt = text.find('>', lt);
    if (gt == std::string_view::npos || gt + 1 != text.size()) {
      why = "'<' without a closing '>' at the end";
      return std::nullopt;
    }
    addr = text.substr(lt + 1, gt - lt - 1);
  }
  while (!addr.empty() && addr.front() == ' ') addr.remove_prefix(1);
  while (!addr.empty() && addr.back() == ' ') addr.remove_suffix(1);
  if (addr.empty()) {
    why = "no address";
    return std::nullopt;
  }
  auto r = parse_mailbox(addr);
  if (!r.mailbox) {
    why = r.unqualified ? "the address has no domain" : r.error;
    return std::nullopt;
  }
  return r.mailbox;
}

bool has_line_break(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos || s.find('\0') != std::string_view::npos; }

// Base64 as clients send it (maybe wrapped in lines); nullopt if not base64.
std::optional<std::string> decode_blob(std::string_view in) {
  std::string compact;
  compact.reserve(in.size());
  for (char c : in)
    if (c != '\r' && c != '\n' && c != ' ') compact += c;
  return base64_decode(compact);
}

// A list of "Name <addr>" strings; false with `fail` set on a bad one.
bool read_addresses(const json::object& body, const char* name, std::size_t min, std::size_t max,
                    std::vector<std::string>& out, std::vector<Mailbox>& boxes, Failure& fail) {
  auto* v = body.if_contains(name);
  if (!v || v->is_null()) {
    if (min == 0) return true;
    fail = field_error(name, std::string(name) + " is required: a list of 1 to " + std::to_string(max) + " addresses");
    return false;
  }
  if (!v->is_array()) {
    fail = field_error(name, std::string(name) + " must be a list of addresses such as [\"Name <a@example.com>\"]");
    return false;
  }
  const auto& arr = v->as_array();
  if (arr.size() < min || arr.size() > max) {
    fail = field_error(name, std::string(name) + " holds " + std::to_string(arr.size()) + " addresses; it takes " +
                                 std::to_string(min) + " to " + std::to_string(max));
    return false;
  }
  for (std::size_t i = 0; i < arr.size(); ++i) {
    std::string where = std::string(name) + "[" + std::to_string(i) + "]";
    if (!arr[i].is_string()) {
      fail = field_error(name, where + " must be a string");
      return false;
    }
    std::string s(arr[i].as_string());
    std::string why;
    auto box = has_line_break(s) ? std::nullopt : mailbox_of(s, why);
    if (!box) {
      fail = field_error(name, where + " '" + s + "' is not a valid email address" + (why.empty() ? "" : ": " + why));
      return false;
    }
    out.push_back(s);
    boxes.push_back(*box);
  }
  return true;
}

bool optional_string(const json::object& body, const char* name, std::optional<std::string>& out, Failure& fail) {
  auto* v = body.if_contains(name);
  if (!v || v->is_null()) return true;
  if (!v->is_string()) {
    fail = field_error(name, std::string(name) + " must be a string");
    return false;
  }
  out = std::string(v->as_string());
  return true;
}

bool read_files(const json::object& body, const char* name, std::vector<mime::FilePart>& out, Failure& fail) {
  auto* v = body.if_contains(name);
  if (!v || v->is_null()) return true;
  if (!v->is_array()) {
    fail = field_error(name, std::string(name) + " must be a list of {filename, fileblob, mimetype}");
    return false;
  }
  std::size_t i = 0;
  for (const auto& item : v->as_array()) {
    std::string where = std::string(name) + "[" + std::to_string(i++) + "]";
    if (!item.is_object()) {
      fail = field_error(name, where + " must be an object {filename, fileblob, mimetype}");
      return false;
    }
    const auto& o = item.as_object();
    for (const auto& kv : o) {
      std::string_view k = kv.key();
      if (k == "url") {
        fail = field_error(name, where + ".url: relaymock fetches nothing; send the file as fileblob (base64)");
        return false;
      }
      if (k != "filename" && k != "fileblob" && k != "mimetype") {
        fail = field_error(name, where + " has an unknown field '" + std::string(k) + "'");
        return false;
      }
    }
    mime::FilePart f;
    auto* fn = o.if_contains("filename");
    auto* blob = o.if_contains("fileblob");
    auto* mt = o.if_contains("mimetype");
    if (!fn || !fn->is_string() || fn->as_string().empty() || has_line_break(fn->as_string()) ||
        fn->as_string().find_first_of("<>\"") != json::string::npos) {
      fail = field_error(name, where + ".filename is required: a file name without line breaks, quotes or <>");
      return false;
    }
    if (fn->as_string().size() > kMaxFilename) {
      fail = field_error(name, where + ".filename is " + std::to_string(fn->as_string().size()) +
                                   " bytes; a file name may have at most 255");
      return false;
    }
    if (!blob || !blob->is_string()) {
      fail = field_error(name, where + ".fileblob is required: the file's bytes in base64");
      return false;
    }
    auto data = decode_blob(blob->as_string());
    if (!data) {
      fail = field_error(name, where + ".fileblob is not valid base64");
      return false;
    }
    f.filename = std::string(fn->as_string());
    f.data = std::move(*data);
    if (mt && !mt->is_null()) {
      if (!mt->is_string() || !media_type(mt->as_string())) {
        std::string shown = mt->is_string() ? std::string(mt->as_string().subview(0, 40)) : std::string("(not text)");
        fail = field_error(name, where + ".mimetype '" + utf8_clean(shown) +
                                     "' is not a type/subtype such as application/pdf (RFC 2045 tokens of at most 127 "
                                     "characters, no parameters)");
        return false;
      }
      f.mimetype = std::string(mt->as_string());
    }
    out.push_back(std::move(f));
  }
  return true;
}

// "Bcc:", or "Bcc :" with blanks before the colon (RFC 5322's obsolete
// syntax, which the reader accepts and delivers to).
bool is_bcc_field(std::string_view line) {
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  auto name = line.substr(0, colon);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
  return ascii_lower(name) == "bcc";
}

// The header section of `content`, without its Bcc field(s): what a
// submission server does with a message that names its own recipients.
std::string without_bcc(std::string_view content) {
  std::string out;
  out.reserve(content.size());
  std::size_t pos = 0;
  bool skipping = false;
  while (pos < content.size()) {
    auto nl = content.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? content.size() : nl + 1;
    std::string_view line = content.substr(pos, end - pos);
    std::string_view bare = line;
    while (!bare.empty() && (bare.back() == '\n' || bare.back() == '\r')) bare.remove_suffix(1);
    if (bare.empty()) {  // end of the header section: the rest as is
      out.append(content.substr(pos));
      return out;
    }
    bool continuation = line.front() == ' ' || line.front() == '\t';
    if (!continuation) skipping = is_bcc_field(bare);
    if (!skipping) out.append(line);
    pos = end;
  }
  return out;
}

// The rejection text as the API shows it: no code, lines joined by "\n".
std::string failure_text(const Reply& r) {
  return "An error occurred during the SMTP request: " + r.text;
}

// A scenario's delay, on a timer (the server goes on meanwhile).
asio::awaitable<void> hold_for(const std::optional<policy::Firing>& f) {
  if (!f || !f->delay) co_return;
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(*f->delay);
  boost::system::error_code ec;
  co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

// Why a key cannot be used, if it cannot.
std::optional<Failure> key_refusal(const ApiContext& ctx, const std::string& key) {
  if (key.empty())
    return Failure{status::unauthorized,
                   "no API key given: send it in the X-Smtp2go-Api-Key header or the api_key field", kPermissionDenied};
  if (!config::api_key_format(key))
    return field_error("api_key",
                       "The API Key passed was not in the correct format, Please check the key is correct and try "
                       "again, The full API key can be found in the API Keys section in the admin console.");
  if (!ctx.engine.identify_api_key(key))
    return Failure{status::unauthorized, "the API key is not one of this account's api_keys", kPermissionDenied};
  return std::nullopt;
}

struct Send {
  Mailbox sender;
  std::vector<Mailbox> rcpts;
  std::string content;
};

}  // namespace

std::optional<Response> provider_answer_before_body(const ApiContext& ctx, const Request& header) {
  auto h = header.find("X-Smtp2go-Api-Key");
  if (h == header.end()) return std::nullopt;  // the key may be in the body (older clients)
  auto refused = key_refusal(ctx, std::string(h->value()));
  if (!refused) return std::nullopt;
  return failure_response(*refused, uuid4(), header.version());
}

asio::awaitable<Response> provider_api(ApiContext& ctx, const Request& req, const Peer& peer, std::string_view path) {
  const unsigned v = req.version();
  const std::string request_id = uuid4();
  auto fail = [&](const Failure& f) { return failure_response(f, request_id, v); };

  const bool send = path == "/v3/email/send", mime = path == "/v3/email/mime",
             stats = path == "/v3/stats/email_cycle";
  const std::string_view endpoint = path.substr(std::min<std::size_t>(path.size(), 4));  // after /v3/
  const bool account = config::account_endpoint(endpoint);
  const bool suppression = suppression_endpoint(endpoint);
  const bool activity = activity_endpoint(endpoint);
  if (!send && !mime && !stats && !account && !suppression && !activity)
    co_return fail({status::not_found,
                    "no such endpoint " + std::string(path) + "; relaymock serves " + config::provider_endpoints_text("/v3/"),
                    kApiException});
  if (req.method() != verb::post) {
    auto res = fail({status::method_not_allowed, "the API takes POST with a JSON body", kApiException});
    res.set(field::allow, "POST");
    co_return res;
  }

  json::object body;
  if (!req.body().empty()) {
    boost::system::error_code ec;
    auto parsed = json::parse(req.body(), ec);
    if (ec) co_return fail(field_error("", "the request body is not valid JSON: " + ec.message()));
    if (!parsed.is_object()) co_return fail(field_error("", "the request body must be a JSON object"));
    body = std::move(parsed.as_object());
  }

  // The key: header first, then the body's api_key (the older clients' way).
  std::string key;
  if (auto h = req.find("X-Smtp2go-Api-Key"); h != req.end()) {
    key = std::string(h->value());
  } else if (auto* k = body.if_contains("api_key")) {
    if (!k->is_string()) co_return fail(field_error("api_key", "api_key must be a string"));
    key = std::string(k->as_string());
  }
  if (auto refused = key_refusal(ctx, key)) co_return fail(*refused);
  auto id = ctx.engine.identify_api_key(key);

  auto cfg = ctx.engine.config();
  // The key's permissions (api_keys' endpoints): the provider's
  // ENDPOINT_PERMISSION_DENIED for the rest.
  for (const auto& k : cfg->api_keys)
    if (smtp::secure_equals(key, k.key) && !config::key_may_call(k, endpoint)) {
      std::string may;
      for (const auto& e : k.endpoints) may += (may.empty() ? "" : ", ") + e;
      co_return fail({status::bad_request,
                      "the API key '" + k.name + "' has no permission for /" + std::string(endpoint) +
                          "; it may call " + may + " (change its endpoints with /v3/api_keys/edit or in api_keys)",
                      kPermissionDenied});
    }
  if (account) {
    body.erase("api_key");  // the caller's own, not a field of the change
    co_return provider_account(ctx, endpoint, std::move(body), *id, peer, request_id, v);
  }
  if (suppression) {
    body.erase("api_key");
    co_return provider_suppression(ctx, endpoint, std::move(body), *id, peer, request_id, v);
  }
  if (activity) {
    body.erase("api_key");
    co_return provider_activity(ctx, endpoint, std::move(body), request_id, v);
  }
  if (stats) {
    co_return json_response(status::ok, json::object{{"request_id", request_id}, {"data", email_cycle(ctx)}}, v);
  }

  for (const char* unsupported : {"template_id", "template_data", "schedule"})
    if (auto* x = body.if_contains(unsupported); x && !x->is_null())
      co_return fail(field_error(unsupported, std::string(unsupported) +
                                                  ": relaymock neither renders templates nor schedules; send "
                                                  "text_body or html_body now"));
  if (auto* fa = body.if_contains("fastaccept"); fa && !fa->is_null() && !fa->is_bool())
    co_return fail(field_error("fastaccept", "fastaccept must be true or false"));

  Send s;
  Failure f;
  std::string planned_id;  // /email/send: the id its Message-ID already names
  if (send) {
    mime::OutgoingMessage m;
    auto* sender = body.if_contains("sender");
    if (!sender || !sender->is_string()) co_return fail(field_error("sender", "sender is required: \"Name <a@example.com>\" or an address"));
    m.from = std::string(sender->as_string());
    std::string why;
    auto from = has_line_break(m.from) ? std::nullopt : mailbox_of(m.from, why);
    if (!from) co_return fail(field_error("sender", "sender '" + m.from + "' is not a valid email address" + (why.empty() ? "" : ": " + why)));
    s.sender = *from;
    std::vector<std::string> bcc;
    if (!read_addresses(body, "to", 1, kMaxTo, m.to, s.rcpts, f) ||
        !read_addresses(body, "cc", 0, kMaxCcBcc, m.cc, s.rcpts, f) ||
        !read_addresses(body, "bcc", 0, kMaxCcBcc, bcc, s.rcpts, f))
      co_return fail(f);
    std::optional<std::string> subject;
    if (!optional_string(body, "subject", subject, f) || !optional_string(body, "text_body", m.text, f) ||
        !optional_string(body, "html_body", m.html, f))
      co_return fail(f);
    if (!subject) co_return fail(field_error("subject", "subject is required"));
    if (has_line_break(*subject)) co_return fail(field_error("subject", "subject must not contain line breaks"));
    m.subject = *subject;
    if (!m.text && !m.html) co_return fail(field_error("text_body", "text_body or html_body is required"));
    if (auto* ch = body.if_contains("custom_headers"); ch && !ch->is_null()) {
      if (!ch->is_array()) co_return fail(field_error("custom_headers", "custom_headers must be a list of {header, value}"));
      std::size_t i = 0;
      std::set<std::string> once_seen;
      for (const auto& item : ch->as_array()) {
        std::string where = "custom_headers[" + std::to_string(i++) + "]";
        auto* h = item.is_object() ? item.as_object().if_contains("header") : nullptr;
        auto* val = item.is_object() ? item.as_object().if_contains("value") : nullptr;
        if (!h || !h->is_string() || !val || !val->is_string())
          co_return fail(field_error("custom_headers", where + " must be {\"header\": name, \"value\": text}"));
        std::string name(h->as_string());
        bool name_ok = !name.empty();
        for (char c : name) name_ok = name_ok && c > 32 && c < 127 && c != ':';
        if (!name_ok) co_return fail(field_error("custom_headers", where + ".header '" + name + "' is not a header field name"));
        if (name.size() > kMaxHeaderName)
          co_return fail(field_error("custom_headers", where + ".header is longer than 100 characters"));
        std::string lower = ascii_lower(name);
        if (lower == "content-type" || lower == "content-transfer-encoding" || lower == "mime-version")
          co_return fail(field_error("custom_headers", where + ": " + name +
                                                           " is set by the API from the body and attachments; it "
                                                           "cannot be a custom header"));
        if (auto from = api_field_of(lower))
          co_return fail(field_error("custom_headers", where + ": " + name + " is set by the API from " + from +
                                                           "; it cannot be a custom header"));
        if (once_only(lower) && !once_seen.insert(lower).second)
          co_return fail(field_error("custom_headers", where + ": " + name +
                                                           " may appear only once in a message (RFC 5322 3.6)"));
        std::string value(val->as_string());
        if (has_line_break(value)) co_return fail(field_error("custom_headers", where + ".value must not contain line breaks"));
        m.custom_headers.emplace_back(std::move(name), std::move(value));
      }
    }
    if (!read_files(body, "attachments", m.attachments, f) || !read_files(body, "inlines", m.inlines, f)) co_return fail(f);
    // The Message-ID carries the id the message is captured under.
    m.message_id = smtp::make_message_id(ctx.clock.now()) + "@" + cfg->server.hostname;
    m.date = rfc5322_date(ctx.clock.now());
    planned_id = m.message_id.substr(0, m.message_id.find('@'));
    s.content = mime::build_message(m, mime_boundary);
  } else {
    auto* me = body.if_contains("mime_email");
    if (!me || !me->is_string() || me->as_string().empty())
      co_return fail(field_error("mime_email", "mime_email is required: the whole message in base64"));
    auto decoded = decode_blob(me->as_string());
    if (!decoded) co_return fail(field_error("mime_email", "mime_email is not valid base64"));
    std::string raw = std::move(*decoded);
    if (raw.size() > cfg->server.max_message_size)
      co_return fail(field_error("mime_email", "the message is " + std::to_string(raw.size()) + " bytes; the limit is " +
                                                   std::to_string(cfg->server.max_message_size)));
    // The same reader as the From rule's and the store's.
    auto summary = mime::summarize(raw);
    if (!summary.from.mailbox) co_return fail(field_error("mime_email", "the message has no valid From: address to send as"));
    s.sender = *summary.from.mailbox;
    std::string why;
    for (auto [h, list] : {std::pair{"To", &summary.to}, std::pair{"Cc", &summary.cc}, std::pair{"Bcc", &summary.bcc}})
      for (const auto& a : *list) {
        auto box = mailbox_of(a, why);
        if (!box) co_return fail(field_error("mime_email", std::string(h) + ": '" + a + "' is not a valid email address"));
        s.rcpts.push_back(*box);
      }
    if (s.rcpts.empty()) co_return fail(field_error("mime_email", "the message names no recipient in To, Cc or Bcc"));
    if (s.rcpts.size() > kMaxTo + 2 * kMaxCcBcc)
      co_return fail(field_error("mime_email", "the message names " + std::to_string(s.rcpts.size()) + " recipients; the limit is 300"));
    s.content = without_bcc(raw);
  }
  if (s.content.size() > cfg->server.max_message_size)
    co_return fail(field_error(send ? "attachments" : "mime_email",
                               "the message would be " + std::to_string(s.content.size()) + " bytes; the limit is " +
                                   std::to_string(cfg->server.max_message_size)));

  // The same transaction as SMTP's, recipient by recipient. Scenarios
  // first, as for SMTP: mail (once), rcpt (each), end_of_data. A reply is a
  // failure; a delay holds the answer; a disconnect closes the connection
  // without one. The transaction releases what it reserved on every way out.
  relay::Service& svc = ctx.service;
  const relay::Origin origin{"api-" + request_id, peer.ip, peer.port, false};
  relay::Transaction tx(svc, origin);
  const std::string sender_text = s.sender.str();
  bool drop = false;
  auto scenario = [&](Stage st, std::vector<std::string_view> rcpts,
                      std::string_view content) -> std::optional<policy::Firing> {
    policy::StageFacts facts{st, peer.ip, peer.port, {}, id->name, sender_text, std::move(rcpts), content};
    auto fired = svc.scenario(origin, facts, *id);
    drop = drop || (fired && fired->disconnect);
    return fired;
  };
  auto dropped = [&] {
    Response res = make_response(status::internal_server_error, "", "text/plain", v);
    res.set(kDropConnection, "1");
    return res;
  };

  std::vector<std::string> accepted;
  json::array failures;
  std::uint64_t failed = 0;
  auto add_failure = [&](const std::string& text) {
    for (const auto& x : failures)
      if (x.as_string() == text) return;
    failures.emplace_back(text);
  };

  auto at_mail = scenario(Stage::Mail, {}, {});
  co_await hold_for(at_mail);
  if (drop) co_return dropped();
  bool mail_refused = at_mail && at_mail->reply;

  // Sender verification through the same cache as SMTP's.
  if (!mail_refused)
    if (auto domain = tx.needs_lookup(s.sender)) co_await tx.lookup(std::move(*domain));

  for (const auto& r : s.rcpts) {
    if (mail_refused) {
      ++failed;
      add_failure(failure_text(*at_mail->reply));
      continue;
    }
    const std::string addr = r.str();
    auto at_rcpt = scenario(Stage::Rcpt, {addr}, {});
    co_await hold_for(at_rcpt);
    if (drop) co_return dropped();
    if (at_rcpt && at_rcpt->reply) {
      ++failed;
      add_failure(failure_text(*at_rcpt->reply));
      continue;
    }
    auto d = tx.check_rcpt(*id, s.sender, addr);
    if (d.accept) {
      accepted.push_back(addr);
      continue;
    }
    if (d.rule == "api_key_rate_limited") {
      auto res = fail({status::too_many_requests, d.reply.text, kRateLimited});
      if (id->rate_limit) res.set("X-Ratelimit-Limit", std::to_string(id->rate_limit->count));
      res.set("X-Ratelimit-Remaining", "0");
      co_return res;
    }
    ++failed;
    add_failure(failure_text(d.api_reply.value_or(d.reply)));
  }

  std::string email_id;
  if (!accepted.empty()) {
    std::vector<std::string_view> all(accepted.begin(), accepted.end());
    auto at_end = scenario(Stage::EndOfData, all, s.content);
    co_await hold_for(at_end);
    if (drop) co_return dropped();
    if (at_end && at_end->reply) {
      tx.abandon();
      failed += accepted.size();
      accepted.clear();
      add_failure(failure_text(*at_end->reply));
    }
  }
  if (!accepted.empty()) {
    auto msg = std::make_shared<store::Message>();
    msg->id = planned_id;
    msg->envelope_from = sender_text;
    msg->envelope_to = accepted;
    msg->notify.assign(accepted.size(), "");
    msg->orcpt.assign(accepted.size(), "");
    msg->content = std::move(s.content);
    auto result = tx.finish(msg, msg->content);
    if (result.accepted) {
      email_id = result.message_id;
    } else if (result.rule == "store_failed") {
      co_return fail({status::internal_server_error, result.detail, kApiException});
    } else {
      failed += accepted.size();
      accepted.clear();
      add_failure(failure_text(result.reply));
    }
  }
  co_return json_response(status::ok,
                          json::object{{"request_id", request_id},
                                       {"data", json::object{{"succeeded", accepted.size()},
                                                             {"failed", failed},
                                                             {"failures", failures},
                                                             {"email_id", email_id}}}},
                          v);
}

}  // namespace relaymock::http

namespace relaymock::http::resource {

Handled provider(Call& c) { co_return co_await provider_api(c.ctx, c.req, c.peer, c.path); }

}  // namespace relaymock::http::resource
