// What DNS says about the envelope sender's domain (sender_verification.mode
// system). The net layer looks it up; policy/ only judges the answer.
#pragma once
#include <string>

namespace relaymock::policy {

struct SenderRoute {
  enum class Kind {
    Routable,   // an MX host, or (no MX) an A/AAAA record
    NoDomain,   // NXDOMAIN
    NullMx,     // "MX 0 ." (RFC 7505): the domain accepts no mail
    NoAddress,  // the domain exists but has neither MX nor A/AAAA
    TempFail,   // timeout or SERVFAIL: cannot tell now
  };
  Kind kind = Kind::Routable;
  std::string detail;  // e.g. "MX 10 mx.example.net" or "query timed out"
};

const char* route_kind_name(SenderRoute::Kind k);

}  // namespace relaymock::policy
