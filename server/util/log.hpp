// One line per record on stdout, as text ("time level message key=value") or
// JSON (one object per line). Control characters in values are always escaped,
// so nothing a client sends can forge a log line, and a value is cut at
// kMaxValue bytes. Lines are buffered and written by a thread of their own at
// least every 100 ms (at once for errors, and at exit): a slow reader of
// stdout (`docker logs`) never stalls an event loop. Past kMaxPending bytes
// waiting, lines are dropped and the next write says how many.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace relaymock {

enum class LogLevel { Debug, Info, Warning, Error };
enum class LogFormat { Text, Json };

using LogField = std::pair<std::string_view, std::string_view>;

class Logger {
 public:
  static constexpr std::size_t kMaxValue = 2048;
  static constexpr std::size_t kMaxPending = 8 * 1024 * 1024;
  Logger() = default;
  ~Logger();  // writes what is pending
  // Writes what is pending now, from the calling thread.
  void flush();

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
  void writer();
  void write_out(std::string& text, std::uint64_t dropped);

  std::mutex mutex_;
  std::condition_variable wake_;
  std::string pending_;
  std::uint64_t dropped_ = 0;
  bool stopping_ = false;
  std::thread thread_;       // started by the first line
  std::mutex write_mutex_;   // one writer at a time (the thread, flush())
  std::atomic<LogLevel> level_{LogLevel::Info};
  std::atomic<LogFormat> format_{LogFormat::Text};
};

Logger& logger();

// Escapes for a JSON string body (no quotes added).
std::string json_escape(std::string_view s);
// Renders a value for the text format: bare when safe, else quoted with escapes.
std::string text_value(std::string_view s);

}  // namespace relaymock
