#include "http/message_json.hpp"

#include <boost/json.hpp>

#include "store/codec.hpp"
#include "util/dates.hpp"

namespace relaymock::http {

namespace json = boost::json;

namespace {
json::value or_null(const std::string& s) { return s.empty() ? json::value(nullptr) : json::value(json::string(s)); }
json::array named_list(const std::vector<store::NamedAddress>& v) {
  json::array a;
  for (const auto& x : v) a.push_back(named_json(x));
  return a;
}
}  // namespace

json::object named_json(const store::NamedAddress& a) { return json::object{{"name", a.name}, {"address", a.address}}; }

json::object summary_json(const store::Listed& l, const store::Derived* d) {
  auto o = store::message_summary(*l.message);
  o["read"] = l.read;
  o["tags"] = store::json_strings(*l.tags);
  if (d) {
    o["from_name"] = d->from.name;
    o["attachments"] = d->attachments;
    o["inlines"] = d->inlines;
    o["snippet"] = d->snippet;
    o["message_id"] = d->message_id;
  }
  return o;
}

json::object detail_json(const store::Listed& l, const store::Derived* d, const mime::MessageParts& parts) {
  const auto& m = *l.message;
  auto o = summary_json(l, d);
  json::array headers;
  for (const auto& [n, v] : parts.headers) headers.push_back(json::array{json::string(n), json::string(v)});
  o["headers"] = headers;
  o["text"] = parts.has_text ? json::value(json::string(parts.text)) : json::value(nullptr);
  o["html"] = parts.has_html ? json::value(json::string(parts.html)) : json::value(nullptr);
  json::array atts;
  for (const auto& a : parts.attachments)
    atts.push_back(json::object{{"name", a.name},
                                {"type", a.type},
                                {"size", a.size},
                                {"part_id", a.part_id},
                                {"content_id", or_null(a.content_id)},
                                {"inline", a.is_inline}});
  o["attachments"] = atts;
  if (d) {
    o["attachment_count"] = d->attachments;
    o["from_address"] = named_json(d->from);
    o["to_addresses"] = named_list(d->to);
    o["cc_addresses"] = named_list(d->cc);
    o["bcc_addresses"] = named_list(d->bcc);
    o["reply_to"] = named_list(d->reply_to);
    o["return_path"] = d->return_path;
    o["date"] = d->date ? json::value(json::string(rfc3339(*d->date))) : json::value(nullptr);
  }
  o["session_id"] = m.session_id;
  o["helo"] = m.helo;
  o["mail_parameters"] = json::object{{"body", or_null(m.body_param)},
                                      {"smtputf8", m.smtputf8},
                                      {"ret", or_null(m.ret_param)},
                                      {"envid", or_null(m.envid_param)}};
  json::array rcpts;
  for (std::size_t i = 0; i < m.envelope_to.size(); ++i) {
    rcpts.push_back(json::object{{"address", m.envelope_to[i]},
                                 {"notify", or_null(i < m.notify.size() ? m.notify[i] : std::string())},
                                 {"orcpt", or_null(i < m.orcpt.size() ? m.orcpt[i] : std::string())}});
  }
  o["recipient_parameters"] = rcpts;
  return o;
}

}  // namespace relaymock::http
