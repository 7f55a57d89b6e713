// SpamAssassin's answer to a REPORT request, read as Mailpit's spamc
// package reads it. Pure (the fuzz target reads it too).
#pragma once
#include <string>
#include <vector>

namespace relaymock::http {

struct SpamRule {
  std::string points, name, description;
};

struct SpamReport {
  std::string error;  // set when spamd could not be asked (Go's dial/read words)
  bool spam = false;
  double score = 0, threshold = 0;
  std::vector<SpamRule> rules;
};

SpamReport parse_spamd_report(const std::string& output);

}  // namespace relaymock::http
