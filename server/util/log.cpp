#include "util/log.hpp"

#include "util/dates.hpp"
#include "util/hex.hpp"

#include <span>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace relaymock {

Logger& logger() {
  static Logger instance;
  return instance;
}

void Logger::configure(LogLevel level, LogFormat format) {
  std::lock_guard lock(mutex_);
  level_ = level;
  format_ = format;
}

std::string json_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\u00";
          append_hex(out, c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

std::string text_value(std::string_view s) {
  bool plain = !s.empty();
  for (unsigned char c : s)
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) plain = false;
  if (plain) return std::string(s);
  return "\"" + json_escape(s) + "\"";
}

void Logger::log(LogLevel level, std::string_view message, const LogField* begin, const LogField* end) {
  if (!enabled(level)) return;
  std::span<const LogField> fields(begin, end);
  static constexpr const char* names[] = {"debug", "info", "warning", "error"};
  const char* lvl = names[static_cast<int>(level)];
  std::string line;
  line.reserve(128);
  if (format_ == LogFormat::Json) {
    line += "{\"time\":\"" + rfc3339(std::chrono::system_clock::now()) + "\",\"level\":\"" + lvl + "\",\"msg\":\"" + json_escape(message) + "\"";
    for (const auto& [k, v] : fields) line += ",\"" + json_escape(k) + "\":\"" + json_escape(v) + "\"";
    line += "}\n";
  } else {
    line += rfc3339(std::chrono::system_clock::now()) + " " + lvl + " " + json_escape(message);
    for (const auto& [k, v] : fields) line += " " + std::string(k) + "=" + text_value(v);
    line += "\n";
  }
  std::lock_guard lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

}  // namespace relaymock
