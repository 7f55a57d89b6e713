// One line per record on stdout, as text ("time level message key=value") or
// JSON (one object per line). Control characters in values are always escaped,
// so nothing a client sends can forge a log line.
#pragma once
#include <atomic>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.hpp"

namespace relaymock::net {

using Field = std::pair<std::string_view, std::string_view>;

class Logger {
 public:
  void configure(config::LogLevel level, config::LogFormat format);
  bool enabled(config::LogLevel level) const { return level >= level_; }

  void log(config::LogLevel level, std::string_view message, std::initializer_list<Field> fields = {}) {
    log(level, message, fields.begin(), fields.end());
  }
  void log(config::LogLevel level, std::string_view message, const std::vector<Field>& fields) {
    log(level, message, fields.data(), fields.data() + fields.size());
  }
  void log(config::LogLevel level, std::string_view message, const Field* begin, const Field* end);
  void debug(std::string_view m, std::initializer_list<Field> f = {}) { log(config::LogLevel::Debug, m, f); }
  void info(std::string_view m, std::initializer_list<Field> f = {}) { log(config::LogLevel::Info, m, f); }
  void info(std::string_view m, const std::vector<Field>& f) { log(config::LogLevel::Info, m, f); }
  void warning(std::string_view m, std::initializer_list<Field> f = {}) { log(config::LogLevel::Warning, m, f); }
  void error(std::string_view m, std::initializer_list<Field> f = {}) { log(config::LogLevel::Error, m, f); }

 private:
  std::mutex mutex_;
  std::atomic<config::LogLevel> level_{config::LogLevel::Info};
  std::atomic<config::LogFormat> format_{config::LogFormat::Text};
};

Logger& logger();

// Escapes for a JSON string body (no quotes added).
std::string json_escape(std::string_view s);
// Renders a value for the text format: bare when safe, else quoted with escapes.
std::string text_value(std::string_view s);
// Current UTC time as RFC 3339 with milliseconds.
std::string utc_now_rfc3339();

}  // namespace relaymock::net
