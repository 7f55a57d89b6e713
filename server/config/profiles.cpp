#include "config/profiles.hpp"

#include <algorithm>

#include "config/config.hpp"

namespace relaymock::config {
namespace {

// Sources, as ../shared/reference/other-providers.md names them.
constexpr std::string_view kSes = "SES developer guide, SMTP response codes";
constexpr std::string_view kSesThrottle = "SES, seen in nodemailer issue 436";
constexpr std::string_view kSgTranscript = "sendgrid/docs issue 2491 (2022 transcript)";
constexpr std::string_view kSgErrors = "SendGrid SMTP errors page";
constexpr std::string_view kMailgun = "Mailgun help, Relaying Denied";
constexpr std::string_view kPostmark = "mautic issue 1700 (2016 transcript)";
constexpr std::string_view kSparkPost = "SparkPost support, SMTP error messages";
constexpr std::string_view kBrevo = "Brevo SMTP errors";
constexpr std::string_view kMailerSend = "MailerSend SMTP errors";
constexpr std::string_view kGeneric = "RFC style, as Mailpit answers";
constexpr std::string_view kInferred = "inferred";

// The rules of an account with SMTP users, verified senders, a quota and a
// rate: what each of the other providers has. Relaying for an address
// (ip_auth), the Exim sender callouts, restrict_senders and blank senders
// are the provider's own (SMTP2GO's).
const std::vector<std::string_view> kCommonRules = {"auth_failed",     "relay_denied",      "user_not_allowed",
                                                    "quota_exhausted", "user_rate_limited", "from_header_unverified"};

std::vector<Profile> make_profiles() {
  std::vector<Profile> v;
  // SMTP2GO: the rules table's texts and SuccessReplies' defaults.
  v.push_back(Profile{"smtp2go",
                      "{host} ESMTP Exim 4.97.1-S2G",
                      "{host} Hello {helo} [{ip}]",
                      {"SIZE", "8BITMIME", "DSN", "PIPELINING", "PIPECONNECT", "AUTH CRAM-MD5 PLAIN LOGIN", "CHUNKING",
                       "ENHANCEDSTATUSCODES", "STARTTLS", "PRDR", "SMTPUTF8", "HELP"},
                      std::nullopt,
                      true,
                      {},
                      {}});
  v.push_back(Profile{
      "ses", "", "", {}, false, false, kCommonRules,
      {
          {"auth_succeeded", "235 Authentication successful", kSes},
          {"message_accepted", "250 Ok {id}", kSes},
          {"auth_failed", "535 Authentication Credentials Invalid", kSes},
          {"relay_denied", "530 Authentication required", kSes},
          {"user_not_allowed",
           "554 Access denied: User {user} is not authorized to perform ses:SendRawEmail on resource {addr}", kSes},
          {"quota_exhausted", "454 Throttling failure: Daily message quota exceeded", kSes},
          {"user_rate_limited", "454 Throttling failure: Maximum sending rate exceeded", kSesThrottle},
          {"size_exceeded", "552 Message is too long.", kSes},
          {"from_header_unverified",
           "554 Message rejected: Email address is not verified. The following identities failed the check in "
           "region {region}: {from}",
           kSes},
      }});
  v.push_back(Profile{
      "sendgrid", "SG ESMTP service ready at {host}", "{host}",
      {"8BITMIME", "PIPELINING", "SIZE", "STARTTLS", "AUTH PLAIN LOGIN", "AUTH=PLAIN LOGIN"}, false, false, kCommonRules,
      {
          {"starttls_ready", "220 Begin TLS negotiation now", kSgTranscript},
          {"quit", "221 See you later", kSgTranscript},
          {"auth_failed", "535 Authentication failed: Bad username / password", kSgErrors},
          {"relay_denied", "550 Unauthenticated senders not allowed", kSgErrors},
          {"quota_exhausted", "451 Authentication failed: Maximum credits exceeded", kSgErrors},
          {"from_header_unverified",
           "550 The from address does not match a verified Sender Identity. Mail cannot be sent until this error is "
           "resolved. Visit https://sendgrid.com/docs/for-developers/sending-email/sender-identity/ to see the Sender "
           "Identity requirements",
           kSgErrors},
      }});
  // Mailgun signs with the login's domain: the From header is not checked.
  v.push_back(Profile{"mailgun", "", "", {}, true, false,
                      {"auth_failed", "relay_denied", "user_not_allowed", "quota_exhausted", "user_rate_limited"},
                      {
                          {"relay_denied", "550 5.7.1 Relaying denied", kMailgun},
                      }});
  // Postfix behind it: ETRN and DIGEST-MD5, which relaymock does not do, are left out.
  v.push_back(Profile{"postmark", "{host} ESMTP", "{host}",
                      {"PIPELINING", "SIZE", "VRFY", "STARTTLS", "AUTH PLAIN LOGIN CRAM-MD5", "ENHANCEDSTATUSCODES",
                       "8BITMIME", "DSN"},
                      true, false, kCommonRules,
                      {
                          {"starttls_ready", "220 2.0.0 Ready to start TLS", kPostmark},
                          {"auth_failed", "535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6", kPostmark},
                      }});
  v.push_back(Profile{"sparkpost", "", "", {}, true, false, kCommonRules,
                      {
                          {"auth_failed", "535 5.7.8 Sorry. *** No authentication type succeeded", kSparkPost},
                          {"from_header_unverified", "550 5.7.1 Unconfigured Sending Domain <{domain}>", kSparkPost},
                      }});
  v.push_back(Profile{"brevo", "", "", {}, true, false, kCommonRules,
                      {
                          {"auth_failed", "535 5.7.0 Invalid login or password", kBrevo},
                          {"relay_denied", "502 5.7.0 Please authenticate first", kBrevo, Stage::Mail},
                      }});
  v.push_back(Profile{"mailersend", "", "", {}, false, false, kCommonRules,
                      {
                          {"quota_exhausted",
                           "450 Your account reached its email quota limit. Contact support to increase it. #MS42204",
                           kMailerSend},
                      }});
  // Every id has a text here: the fallback of all the others.
  v.push_back(Profile{
      "generic", "{host} ESMTP Service ready", "{host} greets {helo}",
      {"SIZE", "8BITMIME", "PIPELINING", "DSN", "ENHANCEDSTATUSCODES", "STARTTLS", "AUTH PLAIN LOGIN CRAM-MD5",
       "CHUNKING", "SMTPUTF8"},
      true, true, {},
      {
          {"mail_accepted", "250 2.1.0 Ok", kGeneric},
          {"rcpt_accepted", "250 2.1.5 Ok", kGeneric},
          {"data_ready", "354 Start mail input; end with <CR><LF>.<CR><LF>", kGeneric},
          {"message_accepted", "250 2.0.0 Ok: queued as {id}", kGeneric},
          {"auth_succeeded", "235 2.7.0 Authentication successful", kGeneric},
          {"starttls_ready", "220 2.0.0 Ready to start TLS", kInferred},
          {"quit", "221 2.0.0 Bye", kInferred},
          {"auth_failed", "535 5.7.8 Authentication credentials invalid", kGeneric},
          {"relay_denied", "530 5.7.0 Authentication required", kGeneric},
          {"too_many_recipients", "452 4.5.3 Too many recipients", kGeneric},
          {"size_exceeded", "552 5.3.4 Message size exceeds fixed maximum message size", kInferred},
          {"user_not_allowed", "550 5.7.1 User {user} is not allowed to send", kInferred},
          {"ip_not_allowed", "550 5.7.1 Client address {ip} is not allowed to send", kInferred},
          {"api_key_not_allowed", "550 5.7.1 API key is not allowed to send", kInferred},
          {"blank_sender", "550 5.1.7 Null sender is not allowed", kInferred},
          {"sender_unroutable_domain", "550 5.1.8 <{addr}>: Sender address rejected: Domain not found", kInferred},
          {"sender_verify_deferred", "451 4.4.3 <{addr}>: Sender address verification deferred", kInferred},
          {"sender_unrouteable_address", "550 5.1.7 <{addr}>: Sender address rejected: undeliverable address",
           kInferred},
          {"sender_not_allowed", "550 5.7.1 <{addr}>: Sender address rejected: Access denied", kInferred},
          {"quota_exhausted", "554 5.7.1 Sending quota exhausted", kInferred},
          {"user_rate_limited", "451 4.7.1 Sending rate exceeded, try again later", kInferred},
          {"ip_rate_limited", "451 4.7.1 Sending rate exceeded, try again later", kInferred},
          {"api_key_rate_limited", "451 4.7.1 Sending rate exceeded, try again later", kInferred},
          {"from_header_unverified", "550 5.7.1 From header domain {domain} is not verified", kInferred},
      }});
  return v;
}

const ProfileReply* own_reply(const Profile& p, std::string_view id) {
  for (const auto& r : p.replies)
    if (r.id == id) return &r;
  return nullptr;
}

// "535 5.7.8 text" -> {535, "5.7.8", "text"}; the code alone when the text has no enhanced code.
Reply parse_profile_text(std::string_view text) {
  Reply r;
  parse_reply_text(text, r);
  const auto& t = r.text;
  bool enhanced = t.size() > 6 && t[0] >= '2' && t[0] <= '5' && t[0] == text[0] && t[1] == '.';
  if (enhanced) {
    auto sp = t.find(' ');
    if (sp != std::string::npos && sp <= 11) {
      r.enhanced = t.substr(0, sp);
      r.text = t.substr(sp + 1);
    }
  }
  return r;
}

}  // namespace

const std::vector<Profile>& profiles() {
  static const std::vector<Profile> all = make_profiles();
  return all;
}

const Profile* find_profile(std::string_view name) {
  for (const auto& p : profiles())
    if (p.name == name) return &p;
  return nullptr;
}

const Profile& default_profile() { return profiles().front(); }

std::string profile_names() {
  std::string out;
  for (const auto& p : profiles()) out += (out.empty() ? "" : ", ") + std::string(p.name);
  return out;
}

bool profile_has_rule(const Profile& p, std::string_view rule) {
  return p.rules.empty() || std::find(p.rules.begin(), p.rules.end(), rule) != p.rules.end();
}

std::optional<ResolvedReply> profile_reply(const Profile& p, std::string_view id) {
  if (p.name == "smtp2go") return std::nullopt;
  ResolvedReply out;
  const ProfileReply* entry = own_reply(p, id);
  if (!entry) {
    entry = own_reply(*find_profile("generic"), id);
    out.fallback = true;
  }
  if (!entry) return std::nullopt;
  out.reply = parse_profile_text(entry->text);
  if (!p.enhanced_codes.value_or(false)) out.reply.enhanced.clear();
  out.source = entry->source;
  out.stage = entry->stage;
  return out;
}

Reply success_reply(const Config& cfg, const Profile* p, std::string_view id) {
  const Reply* configured = cfg.success.find(id);  // smtp2go's, overrides applied
  if (!configured) return {};
  if (!p || p->name == "smtp2go") return *configured;
  static const SuccessReplies kDefaults;
  Reply r = *kDefaults.find(id);  // PRDR's: no other profile offers it
  if (auto face = profile_reply(*p, id)) r = face->reply;
  if (auto it = cfg.replies.find(std::string(id)); it != cfg.replies.end()) SuccessReplies::override_with(r, it->second);
  return r;
}

SuccessReplies success_replies(const Config& cfg, const Profile* p) {
  if (!p || p->name == "smtp2go") return cfg.success;
  SuccessReplies s;
  for (const auto& id : SuccessReplies::ids()) s.*(id.member) = success_reply(cfg, p, id.name);
  return s;
}

}  // namespace relaymock::config
