#include "policy/rules.hpp"

namespace relaymock::policy {

Reply expand(const Reply& tmpl, const Substitutions& subs) {
  Reply out = tmpl;
  out.text = fill_placeholders(tmpl.text, {{"addr", subs.addr}, {"domain", subs.domain}, {"user", subs.user}, {"ip", subs.ip},
                                         {"from", subs.from}, {"region", subs.region}});
  return out;
}

}  // namespace relaymock::policy
