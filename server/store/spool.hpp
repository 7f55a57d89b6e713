// A message too large to hold in memory: an unnamed temporary file (gone when
// closed, even after kill -9) plus the first bytes kept for the header checks.
// Durable mode copies it into the store; memory mode keeps it as the content.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace relaymock::store {

class Spool {
 public:
  static constexpr std::size_t kHeadBytes = 256 * 1024;  // the header section must fit here

  explicit Spool(const std::string& dir);  // throws StoreError
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  void append(std::string_view bytes);  // throws StoreError (disk full...)
  int fd() const { return fd_; }
  std::uint64_t size() const { return size_; }
  const std::string& head() const { return head_; }
  std::string read_all() const;  // throws StoreError
  std::string read_prefix(std::uint64_t max) const;  // at most `max` bytes from the start

 private:
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::string head_;
};

}  // namespace relaymock::store
