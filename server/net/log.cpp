#include "net/log.hpp"

#include <span>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace relaymock::net {

Logger& logger() {
  static Logger instance;
  return instance;
}

void Logger::configure(config::LogLevel level, config::LogFormat format) {
  std::lock_guard lock(mutex_);
  level_ = level;
  format_ = format;
}

std::string json_escape(std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
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
          out += hex[c >> 4];
          out += hex[c & 15];
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

std::string utc_now_rfc3339() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

void Logger::log(config::LogLevel level, std::string_view message, const Field* begin, const Field* end) {
  if (!enabled(level)) return;
  std::span<const Field> fields(begin, end);
  static constexpr const char* names[] = {"debug", "info", "warning", "error"};
  const char* lvl = names[static_cast<int>(level)];
  std::string line;
  line.reserve(128);
  if (format_ == config::LogFormat::Json) {
    line += "{\"time\":\"" + utc_now_rfc3339() + "\",\"level\":\"" + lvl + "\",\"msg\":\"" + json_escape(message) + "\"";
    for (const auto& [k, v] : fields) line += ",\"" + json_escape(k) + "\":\"" + json_escape(v) + "\"";
    line += "}\n";
  } else {
    line += utc_now_rfc3339() + " " + lvl + " " + json_escape(message);
    for (const auto& [k, v] : fields) line += " " + std::string(k) + "=" + text_value(v);
    line += "\n";
  }
  std::lock_guard lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

}  // namespace relaymock::net
