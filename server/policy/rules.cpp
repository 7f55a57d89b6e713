#include "policy/rules.hpp"

namespace relaymock::policy {

Reply expand(const Reply& tmpl, const Substitutions& subs) {
  Reply out = tmpl;
  std::string text;
  text.reserve(tmpl.text.size() + 32);
  const std::string& t = tmpl.text;
  for (std::size_t i = 0; i < t.size();) {
    if (t[i] == '{') {
      auto close = t.find('}', i);
      if (close != std::string::npos) {
        auto name = std::string_view(t).substr(i + 1, close - i - 1);
        const std::string* value = name == "addr"     ? &subs.addr
                                   : name == "domain" ? &subs.domain
                                   : name == "user"   ? &subs.user
                                   : name == "ip"     ? &subs.ip
                                                      : nullptr;
        if (value) {
          text += *value;
          i = close + 1;
          continue;
        }
      }
    }
    text += t[i++];
  }
  out.text = std::move(text);
  return out;
}

}  // namespace relaymock::policy
