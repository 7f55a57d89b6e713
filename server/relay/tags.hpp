// Message tags, as Mailpit makes them: from X-Tags header fields (comma
// separated) and from plus-addressed recipients (user+tag@example.com), at
// capture; the UI and the compatible APIs then set, rename and remove them.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relaymock::relay {

// Mailpit's CleanTag and its validity rule: characters outside letters,
// digits, '-', '_', '.' and space become spaces, runs of spaces one, both
// ends trimmed; nullopt when nothing valid is left. At most 100 bytes.
std::optional<std::string> clean_tag(std::string_view raw);

// Cleaned, without duplicates (compared without case), sorted.
std::vector<std::string> unique_tags(const std::vector<std::string>& raw);

// The tags a message gets at capture.
std::vector<std::string> capture_tags(const std::vector<std::string>& x_tags_fields,
                                      const std::vector<std::string>& recipients);

}  // namespace relaymock::relay
