#include "smtp/message_id.hpp"

#include "util/random.hpp"

#include <atomic>

namespace relaymock::smtp {
namespace {
constexpr char kDigits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

void append_base62(std::string& out, std::uint64_t v, int width) {
  std::string part(static_cast<std::size_t>(width), '0');
  for (int i = width - 1; i >= 0; --i) {
    part[static_cast<std::size_t>(i)] = kDigits[v % 62];
    v /= 62;
  }
  out += part;
}

std::uint64_t process_key() {
  static const std::uint64_t key = [] {
    // Throws if the CSPRNG fails: main makes the first id at start, so that
    // is a startup error, never a predictable id.
    return random_u64();
  }();
  return key;
}

std::atomic<std::uint64_t> counter{0};
}  // namespace

std::string make_message_id(std::int64_t unix_seconds, std::uint32_t micros) {
  std::string id;
  id.reserve(23);
  append_base62(id, static_cast<std::uint64_t>(unix_seconds), 6);
  id += '-';
  // Multiplying by an odd constant and xoring a key are both bijections on
  // 64-bit values, so distinct counters give distinct middles; 62^11 > 2^64.
  std::uint64_t n = counter.fetch_add(1, std::memory_order_relaxed);
  append_base62(id, (n * 0xD6E8FEB86659FD93ull) ^ process_key(), 11);
  id += '-';
  append_base62(id, micros % (62u * 62 * 62 * 62), 4);
  return id;
}

bool looks_like_message_id(const std::string& id) {
  if (id.size() != 23 || id[6] != '-' || id[18] != '-') return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    if (i == 6 || i == 18) continue;
    char c = id[i];
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return false;
  }
  return true;
}

}  // namespace relaymock::smtp
