#include "util/stage.hpp"

namespace relaymock {
namespace {

constexpr struct {
  Stage stage;
  const char* name;
} kNames[] = {
    {Stage::Connect, "connect"}, {Stage::Ehlo, "ehlo"}, {Stage::Auth, "auth"},
    {Stage::Mail, "mail"},       {Stage::Rcpt, "rcpt"}, {Stage::Data, "data"},
    {Stage::EndOfData, "end_of_data"}, {Stage::Session, "session"},
};

}  // namespace

const char* stage_name(Stage s) {
  for (const auto& n : kNames)
    if (n.stage == s) return n.name;
  return "?";
}

std::optional<Stage> stage_from_name(std::string_view name) {
  for (const auto& n : kNames)
    if (name == n.name) return n.stage;
  return std::nullopt;
}

}  // namespace relaymock
