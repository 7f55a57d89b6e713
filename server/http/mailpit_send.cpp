// Mailpit's POST /api/v1/send (server/apiv1/send.go): the message is built
// as Mailpit builds it, then submitted through relaymock's own rules as the
// identity compat.mailpit.send_as names (an SMTP user; empty: the client
// address's ip_auth entry), so a refusal comes back as the SMTP reply text.
#include <boost/json.hpp>

#include "http/compat_ids.hpp"
#include "http/go_json.hpp"
#include "http/mailpit.hpp"
#include "http/mailpit_body.hpp"
#include "http/provider_api.hpp"
#include "mime/mime_build.hpp"
#include "relay/submit.hpp"
#include "smtp/message_id.hpp"
#include "util/address.hpp"
#include "util/base64.hpp"
#include "util/dates.hpp"
#include "util/random.hpp"
#include "util/strings.hpp"

namespace relaymock::http::mailpit {

namespace json = boost::json;

namespace {

Response json_error(Call& c, const std::string& msg) {
  auto res = make_response(status::bad_request, go_json(json::object{{"Error", msg}}) + "\n", "application/json",
                           c.version());
  return res;
}

// Go's http.DetectContentType for what mail attaches most.
std::string sniff(std::string_view b) {
  auto starts = [&](std::string_view m) { return b.substr(0, m.size()) == m; };
  if (starts("\x89PNG\r\n\x1a\n")) return "image/png";
  if (starts("\xFF\xD8\xFF")) return "image/jpeg";
  if (starts("GIF87a") || starts("GIF89a")) return "image/gif";
  if (starts("%PDF-")) return "application/pdf";
  if (starts("PK\x03\x04")) return "application/zip";
  if (starts("RIFF") && b.substr(8, 4) == "WEBP") return "image/webp";
  for (unsigned char c : b.substr(0, 512))
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') return "application/octet-stream";
  return "text/plain; charset=utf-8";
}

struct Person {
  std::string name, email;
};

// A {Email, Name} object; false with the error set.
bool person(const json::value& v, Person& out, std::string& error) {
  if (!v.is_object()) {
    error = "json: cannot unmarshal " + GoBody::type_name(v) + " into Go struct field of type struct";
    return false;
  }
  for (auto [field, dst] : {std::pair<const char*, std::string*>{"Email", &out.email}, {"Name", &out.name}}) {
    auto* f = GoBody::find_in(v.as_object(), field);
    if (!f || f->is_null()) continue;
    if (!f->is_string()) {
      error = "json: cannot unmarshal " + GoBody::type_name(*f) + " into Go struct field ." + field + " of type string";
      return false;
    }
    *dst = std::string(f->as_string());
  }
  return true;
}

std::string display(const Person& p) { return p.name.empty() ? p.email : p.name + " <" + p.email + ">"; }

bool valid_email(const std::string& e) { return parse_plain_address(e).has_value(); }

}  // namespace

Handled send(Call& c) {
  GoBody body(c.req.body());
  if (!body.ok()) co_return json_error(c, body.error());
  const auto& root = body.root().as_object();
  std::string error;
  Person from;
  if (auto* f = GoBody::find_in(root, "From"); f && !f->is_null() && !person(*f, from, error)) co_return json_error(c, error);
  mime::OutgoingMessage out;
  std::vector<std::string> rcpts;
  auto people = [&](const char* field, const char* label, std::vector<std::string>* into) -> bool {
    const json::array* a = nullptr;
    if (!body.array(field, a)) {
      error = body.error();
      return false;
    }
    if (!a) return true;
    for (const auto& v : *a) {
      Person p;
      if (!person(v, p, error)) return false;
      if (!valid_email(p.email)) {
        error = std::string("invalid ") + label + " address: " + p.email;
        return false;
      }
      if (into) into->push_back(display(p));
      if (std::string_view(field) != "ReplyTo") rcpts.push_back(p.email);
      else out.custom_headers.emplace_back("Reply-To", display(p));
    }
    return true;
  };
  if (!people("To", "To", &out.to) || !people("Cc", "Cc", &out.cc)) co_return json_error(c, error);
  std::vector<std::string> bcc, tags;
  if (!body.strings("Bcc", bcc)) co_return json_error(c, body.error());
  for (const auto& b : bcc) {
    if (!valid_email(b)) co_return json_error(c, "invalid Bcc address: " + b);
    rcpts.push_back(b);
  }
  if (!people("ReplyTo", "Reply-To", nullptr)) co_return json_error(c, error);
  std::string subject, text, html;
  if (!body.string("Subject", subject) || !body.string("Text", text) || !body.string("HTML", html) ||
      !body.strings("Tags", tags))
    co_return json_error(c, body.error());
  if (from.email.empty() || !valid_email(from.email)) co_return json_error(c, "error building message: from not set");
  if (subject.empty()) co_return json_error(c, "error building message: subject not set");
  if (rcpts.empty()) co_return json_error(c, "error building message: no recipients (to, cc, bcc) set");
  out.from = display(from);
  out.subject = subject;
  out.text = text;
  if (!html.empty()) out.html = html;

  std::vector<std::string> restricted{"To", "From", "Cc", "Bcc", "Reply-To", "Date", "Subject", "Content-Type", "Mime-Version"};
  if (!tags.empty()) {
    std::string joined;
    for (const auto& t : tags) joined += (joined.empty() ? "" : ", ") + t;
    out.custom_headers.emplace_back("X-Tags", joined);
    restricted.push_back("X-Tags");
  }
  const json::object* headers = nullptr;
  if (!body.object("Headers", headers)) co_return json_error(c, body.error());
  if (headers)
    for (const auto& kv : *headers) {
      std::string k(kv.key());
      for (const auto& r : restricted)
        if (iequals(r, k)) co_return json_error(c, "cannot overwrite header: \"" + k + "\"");
      if (!kv.value().is_string())
        co_return json_error(c, "json: cannot unmarshal " + GoBody::type_name(kv.value()) +
                                    " into Go struct field .Headers of type string");
      if (k.empty() || k.size() > 100 || k.find_first_of(": \t\r\n") != std::string::npos)
        co_return json_error(c, "invalid header name: \"" + k + "\"");
      std::string value(kv.value().as_string());
      if (value.find_first_of("\r\n") != std::string::npos) co_return json_error(c, "invalid header value for \"" + k + "\"");
      out.custom_headers.emplace_back(k, value);
    }
  const json::array* files = nullptr;
  if (!body.array("Attachments", files)) co_return json_error(c, body.error());
  if (files)
    for (const auto& f : *files) {
      if (!f.is_object()) co_return json_error(c, "json: cannot unmarshal " + GoBody::type_name(f) + " into Go struct field .Attachments of type struct");
      auto get = [&](const char* k) {
        auto* v = GoBody::find_in(f.as_object(), k);
        return v && v->is_string() ? std::string(v->as_string()) : std::string();
      };
      std::string content = get("Content"), name = get("Filename"), type = get("ContentType"), cid = get("ContentID");
      // A data: URL's base64 (readAsDataURL) is read after its comma.
      if (auto comma = content.rfind(','); comma != std::string::npos) content = content.substr(comma + 1);
      auto decoded = base64_decode(content);
      if (!decoded) co_return json_error(c, "error decoding base64 attachment \"" + name + "\": illegal base64 data");
      if (type.empty()) type = sniff(*decoded);
      auto semi = type.find(';');
      mime::FilePart part{name.empty() ? cid : name, std::string(trim(type.substr(0, semi))), std::move(*decoded)};
      (cid.empty() ? out.attachments : out.inlines).push_back(std::move(part));
    }

  auto cfg = c.ctx.engine.config();
  const auto now = c.ctx.clock.now();
  out.message_id = random_token(22) + "@mailpit";
  out.date = rfc5322_date(now);
  std::string content;
  try {
    content = mime::build_message(out, mime_boundary);
  } catch (const std::exception& e) {
    co_return json_error(c, std::string("error building message: ") + e.what());
  }
  const auto& send_as = cfg->compat.mailpit.send_as;
  // The server's profile decides, as on its SMTP listeners.
  const config::Profile* profile = config::find_profile(cfg->server.profile);
  auto identity = c.ctx.service.identify(send_as.empty() ? std::nullopt : std::optional<std::string>(send_as), c.peer.ip,
                                         profile);
  auto sender = parse_plain_address(from.email);
  relay::Submission sub{{"mailpit-" + random_token(12), c.peer.ip, c.peer.port, false, profile}, identity, *sender,
                        rcpts, std::move(content)};
  auto result = co_await relay::submit(c.ctx.service, std::move(sub));
  if (result.disconnect) {
    auto res = make_response(status::internal_server_error, "", "text/plain", c.version());
    res.set(kDropConnection, "1");
    co_return res;
  }
  if (!result.accepted)
    co_return json_error(c, result.refusal ? std::to_string(result.refusal->code) + " " + result.refusal->text
                                           : std::string("the message was not accepted"));
  co_return answer_json(c, json::object{{"ID", mailpit_id(result.message_id)}});
}

}  // namespace relaymock::http::mailpit
