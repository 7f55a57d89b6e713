#include "util/log.hpp"

#include "util/dates.hpp"
#include "util/hex.hpp"
#include "util/strings.hpp"
#include "util/thread_name.hpp"

#include <span>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <utility>

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

namespace {
std::string clipped(std::string_view v) { return clip(v, Logger::kMaxValue); }
}  // namespace

void Logger::log(LogLevel level, std::string_view message, const LogField* begin, const LogField* end) {
  if (!enabled(level)) return;
  std::span<const LogField> fields(begin, end);
  static constexpr const char* names[] = {"debug", "info", "warning", "error"};
  const char* lvl = names[static_cast<int>(level)];
  std::string line;
  line.reserve(128);
  if (format_ == LogFormat::Json) {
    line += "{\"time\":\"" + rfc3339(std::chrono::system_clock::now()) + "\",\"level\":\"" + lvl + "\",\"msg\":\"" + json_escape(message) + "\"";
    for (const auto& [k, v] : fields) line += ",\"" + json_escape(k) + "\":\"" + json_escape(clipped(v)) + "\"";
    line += "}\n";
  } else {
    line += rfc3339(std::chrono::system_clock::now()) + " " + lvl + " " + json_escape(message);
    for (const auto& [k, v] : fields) line += " " + std::string(k) + "=" + text_value(clipped(v));
    line += "\n";
  }
  std::lock_guard lock(mutex_);
  if (pending_.size() + line.size() > kMaxPending) {
    ++dropped_;
    return;
  }
  pending_ += line;
  if (!thread_.joinable() && !stopping_) thread_ = std::thread([this] { writer(); });
  if (level == LogLevel::Error || pending_.size() >= 64 * 1024) wake_.notify_one();
}

void Logger::write_out(std::string& text, std::uint64_t dropped) {
  std::lock_guard lock(write_mutex_);
  if (dropped) {
    std::string note = rfc3339(std::chrono::system_clock::now()) + " warning log lines dropped (stdout too slow) count=" +
                       std::to_string(dropped) + "\n";
    std::fwrite(note.data(), 1, note.size(), stdout);
  }
  if (!text.empty()) std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  text.clear();
}

void Logger::writer() {
  name_this_thread("rm-log");
  std::string out;
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait_for(lock, std::chrono::milliseconds(100));
    out.swap(pending_);
    auto dropped = std::exchange(dropped_, 0);
    bool last = stopping_;
    lock.unlock();
    if (!out.empty() || dropped) write_out(out, dropped);
    lock.lock();
    if (last && pending_.empty()) return;
  }
}

void Logger::flush() {
  std::string out;
  std::uint64_t dropped = 0;
  {
    std::lock_guard lock(mutex_);
    out.swap(pending_);
    dropped = std::exchange(dropped_, 0);
  }
  write_out(out, dropped);
}

Logger::~Logger() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  flush();
}

}  // namespace relaymock
