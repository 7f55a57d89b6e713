// Mailpit's HTML check (internal/htmlcheck): which HTML elements, CSS
// properties, units, at-rules, pseudo-classes and image formats a message's
// HTML uses, each scored against the email clients that support it
// (caniemail.com's table, embedded), with Mailpit's weighted totals.
// CSS in <style> blocks is merged into the elements it selects before the
// inline tests, as Mailpit merges it with premailer, by a selector subset
// (type, *, .class, #id, [attr], [attr=value], descendant and child
// combinators; a selector with anything else is skipped). Remote
// stylesheets are not fetched (Mailpit's --block-remote-css-and-fonts).
// Pure: no I/O (the fuzz target reads HTML through it too).
#pragma once
#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace relaymock::http {

// Mailpit's HTMLCheckResponse: {Warnings, Platforms, Total}.
boost::json::value html_check(std::string_view html);

// The caniemail slugs html_check asks for that the embedded table lacks
// (a newer table can drop one; the check then skips it).
std::vector<std::string> html_check_missing_slugs();

}  // namespace relaymock::http
