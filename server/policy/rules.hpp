// Reply templates: the rules' texts (config/rules.hpp) with their placeholders
// filled: {addr} (envelope sender), {domain} (From header domain), {user}, {ip}.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "config/rules.hpp"
#include "util/reply.hpp"

namespace relaymock::policy {

// Fills placeholders ({addr}, {domain}, {user}, {ip}, {from}: the From
// header address, {region}: server.region) in a reply.
struct Substitutions {
  std::string addr, domain, user, ip, from, region;
};
Reply expand(const Reply& tmpl, const Substitutions& subs);

}  // namespace relaymock::policy
