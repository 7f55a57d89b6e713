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

namespace relaymock {

enum class LogLevel { Debug, Info, Warning, Error };
enum class LogFormat { Text, Json };

using LogField = std::pair<std::string_view, std::string_view>;

class Logger {
 public:
  void configure(LogLevel level, LogFormat format);
  bool enabled(LogLevel level) const { return level >= level_; }

  void log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {}) {
    log(level, message, fields.begin(), fields.end());
  }
  void log(LogLevel level, std::string_view message, const std::vector<LogField>& fields) {
    log(level, message, fields.data(), fields.data() + fields.size());
  }
  void log(LogLevel level, std::string_view message, const LogField* begin, const LogField* end);
  void debug(std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::Debug, m, f); }
  void info(std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::Info, m, f); }
  void info(std::string_view m, const std::vector<LogField>& f) { log(LogLevel::Info, m, f); }
  void warning(std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::Warning, m, f); }
  void error(std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::Error, m, f); }

 private:
  std::mutex mutex_;
  std::atomic<LogLevel> level_{LogLevel::Info};
  std::atomic<LogFormat> format_{LogFormat::Text};
};

Logger& logger();

// Escapes for a JSON string body (no quotes added).
std::string json_escape(std::string_view s);
// Renders a value for the text format: bare when safe, else quoted with escapes.
std::string text_value(std::string_view s);

}  // namespace relaymock
