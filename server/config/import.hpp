// `relaymock import`: a customer's account, as the provider's API v3 view
// endpoints answer it (users/smtp/view, domain/view, single_sender_emails/view,
// allowed_senders/view, ip_auth/view, api_keys/view, stats/email_cycle),
// turned into a commented relaymock config. Each file is recognised by the
// shape of its `data`; what relaymock cannot use is noted, not fatal.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace relaymock::config {

struct ImportFile {
  std::string name;  // as given, for messages
  std::string text;
};

struct ImportResult {
  std::string yaml;                  // empty when there are errors
  std::vector<std::string> errors;   // "FILE:LINE:COL: ..." or "FILE: data.x: ..."
  std::vector<std::string> notes;    // fields not used, values approximated
  // Secrets the export lacks, made up: (what, value), shown to the user once.
  std::vector<std::pair<std::string, std::string>> generated;
};

// `today` ("2026-12-05") goes into the header comment.
ImportResult import_provider_exports(const std::vector<ImportFile>& files, const std::string& today);

}  // namespace relaymock::config
