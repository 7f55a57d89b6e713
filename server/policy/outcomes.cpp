#include "policy/outcomes.hpp"

#include <algorithm>

#include "policy/scenarios.hpp"
#include "util/digest.hpp"
#include "util/strings.hpp"

namespace relaymock::policy {

using namespace std::chrono_literals;
using config::OutcomeKind;

const char* delivery_event_name(DeliveryEvent e) {
  switch (e) {
    case DeliveryEvent::Processed: return "processed";
    case DeliveryEvent::Delivered: return "delivered";
    case DeliveryEvent::SoftBounce: return "soft_bounce";
    case DeliveryEvent::HardBounce: return "hard_bounce";
    case DeliveryEvent::Spam: return "spam";
    case DeliveryEvent::Open: return "open";
    case DeliveryEvent::Click: return "click";
    case DeliveryEvent::Unsubscribe: return "unsubscribe";
    case DeliveryEvent::Reject: return "reject";
  }
  return "delivered";
}

namespace {

std::string_view domain_of(std::string_view addr) {
  auto at = addr.rfind('@');
  return at == std::string_view::npos ? std::string_view() : addr.substr(at + 1);
}

// The remote server's queue id: the same for the same message and recipient.
std::string queue_id(std::string_view message_id, std::string_view recipient) {
  std::string key(message_id);
  key += '\n';
  key += recipient;
  return ascii_upper(digest_hex("sha256", key).substr(0, 12));
}

// Defaults per outcome; a rule's reply replaces the one its outcome sends.
std::string delivered_reply(const MessageFacts& m, std::string_view rcpt) {
  return "250 2.0.0 Ok: " + std::to_string(m.size) + " bytes queued as " + queue_id(m.message_id, rcpt);
}
std::string bounce_reply(std::string_view rcpt) {
  return "550 5.1.1 <" + std::string(rcpt) + ">: Recipient address rejected: User unknown in local recipient table";
}
constexpr std::string_view kDeferReply = "452 4.2.2 Mailbox full";

std::string one_line(const Reply& r) {
  auto spec = reply_spec(r);
  std::replace(spec.begin(), spec.end(), '\n', ' ');
  return spec;
}

}  // namespace

std::optional<OutcomeKind> magic_outcome(std::string_view recipient) {
  auto at = recipient.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  auto local = recipient.substr(0, at);
  if (auto plus = local.find('+'); plus != std::string_view::npos) local = local.substr(0, plus);
  const auto l = ascii_lower(local);
  if (l == "delivered" || l == "success") return OutcomeKind::Delivered;
  if (l == "bounce" || l == "hardbounce") return OutcomeKind::HardBounce;
  if (l == "softbounce") return OutcomeKind::SoftBounce;
  if (l == "complaint" || l == "spam") return OutcomeKind::Spam;
  if (l == "open") return OutcomeKind::Open;
  if (l == "click") return OutcomeKind::Click;
  if (l == "unsubscribe") return OutcomeKind::Unsubscribe;
  return std::nullopt;
}

std::string first_link(std::string_view content) {
  std::size_t best = std::string_view::npos;
  for (std::string_view scheme : {"https://", "http://"}) {
    auto p = content.find(scheme);
    if (p < best) best = p;
  }
  if (best == std::string_view::npos) return {};
  auto end = content.find_first_of(" \t\r\n\"'<>", best);
  auto url = content.substr(best, end == std::string_view::npos ? content.size() - best : end - best);
  if (url.size() > 2048) url = url.substr(0, 2048);
  return std::string(url);
}

std::vector<PlannedEvent> plan_outcomes(const config::Outcomes& cfg, const MessageFacts& m,
                                        const std::vector<config::OutcomeRule>* first) {
  std::vector<PlannedEvent> out;
  const TimePoint t0 = m.accepted_at;
  out.push_back({t0, DeliveryEvent::Processed, {}, {}, {}, {}, {}, 0, m.sandbox ? "sandbox" : ""});
  std::string link;
  bool link_read = false;
  // What the rules read: the message's facts, one recipient at a time.
  StageFacts facts;
  facts.stage = Stage::EndOfData;
  facts.client_ip = m.client_ip;
  facts.port = m.port;
  facts.user = m.user;
  facts.api_key = m.api_key;
  facts.sender = m.sender;
  facts.content = m.head;
  for (const auto& rcpt : m.recipients) {
    auto add = [&](TimePoint due, DeliveryEvent e, std::string host, std::string reply, std::string context,
                   std::uint32_t attempt, const std::string& why) {
      out.push_back({due, e, rcpt, std::move(host), std::move(reply), std::move(context), {}, attempt, why});
      return &out.back();
    };
    if (m.sandbox) {
      // The provider accepts sandboxed mail and shows it as rejected.
      add(t0, DeliveryEvent::Reject, {}, {}, "sandbox: accepted, not delivered", 0, "sandbox");
      continue;
    }
    if (auto type = m.suppressed ? m.suppressed(rcpt) : std::nullopt) {
      // The provider does not send to a suppressed address: a reject event.
      add(t0, DeliveryEvent::Reject, {}, {}, "suppressed: " + *type, 0, "suppression");
      continue;
    }
    // The first rule that matches, else a magic address, else delivered.
    const config::OutcomeRule* rule = nullptr;
    facts.recipients = {rcpt};
    for (const auto* rules : {first, &cfg.rules}) {
      if (!rules || rule) continue;
      for (const auto& r : *rules)
        if (match_facts(r.match, facts)) {
          rule = &r;
          break;
        }
    }
    config::OutcomeRule magic;
    std::string why = "default";
    if (rule) {
      why = "rule " + rule->name;
    } else if (auto kind = cfg.magic_addresses ? magic_outcome(rcpt) : std::nullopt) {
      magic.outcome = *kind;
      rule = &magic;
      auto local = rcpt.substr(0, rcpt.rfind('@'));
      why = "magic address " + ascii_lower(local.substr(0, local.find('+'))) + "@";
    } else {
      rule = &magic;  // delivered
    }
    const auto kind = rule->outcome;
    const std::string host =
        !rule->host.empty() ? rule->host : "mx." + ascii_lower(domain_of(rcpt)) + " [192.0.2.10]";
    const bool engagement = kind == OutcomeKind::Spam || kind == OutcomeKind::Open || kind == OutcomeKind::Click ||
                            kind == OutcomeKind::Unsubscribe;
    const Millis after = rule->after.value_or(kind == OutcomeKind::Spam ? Millis(300'000)
                                              : engagement              ? Millis(60'000)
                                                                        : Millis(0));
    const std::string custom =
        rule->reply ? fill_placeholders(one_line(*rule->reply), {{"rcpt", rcpt}}) : std::string();
    switch (kind) {
      case OutcomeKind::HardBounce:
        add(t0 + after, DeliveryEvent::HardBounce, host, custom.empty() ? bounce_reply(rcpt) : custom,
            "RCPT TO:<" + rcpt + ">", 1, why);
        break;
      case OutcomeKind::SoftBounce: {
        const std::string defer = custom.empty() ? std::string(kDeferReply) : custom;
        TimePoint at = t0 + after;
        for (std::uint32_t i = 0; i < rule->retries; ++i, at += rule->retry_every)
          add(at, DeliveryEvent::SoftBounce, host, defer, "DATA: " + defer, i + 1, why);
        if (rule->then == OutcomeKind::HardBounce)
          add(at, DeliveryEvent::HardBounce, host, bounce_reply(rcpt), "RCPT TO:<" + rcpt + ">", rule->retries + 1, why);
        else
          add(at, DeliveryEvent::Delivered, host, delivered_reply(m, rcpt), {}, rule->retries + 1, why);
        break;
      }
      default: {
        add(engagement ? t0 : t0 + after, DeliveryEvent::Delivered, host,
            custom.empty() ? delivered_reply(m, rcpt) : custom, {}, 1, why);
        if (!engagement) break;
        const TimePoint at = t0 + after;
        if (kind == OutcomeKind::Spam) {
          add(at, DeliveryEvent::Spam, {}, {}, {}, 0, why);
          break;
        }
        // A click or an unsubscribe comes from a reader who opened it first.
        add(at, DeliveryEvent::Open, {}, {}, {}, 0, why);
        if (kind == OutcomeKind::Click) {
          if (!link_read) link = first_link(m.content), link_read = true;
          add(at + 1min, DeliveryEvent::Click, {}, {}, {}, 0, why)->url = link;
        } else if (kind == OutcomeKind::Unsubscribe) {
          add(at + 1min, DeliveryEvent::Unsubscribe, {}, {}, {}, 0, why);
        }
      }
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const PlannedEvent& a, const PlannedEvent& b) { return a.due < b.due; });
  return out;
}

}  // namespace relaymock::policy
