#include "store/spool.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>

#include "store/durable.hpp"

namespace relaymock::store {

Spool::Spool(const std::string& dir) {
  fd_ = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    // Filesystems without O_TMPFILE: a named file, unlinked at once.
    std::string tmpl = dir + "/.incoming-XXXXXX";
    fd_ = ::mkostemp(tmpl.data(), O_CLOEXEC);
    if (fd_ >= 0) ::unlink(tmpl.c_str());
  }
  if (fd_ < 0) throw StoreError("cannot create a spool file in " + dir + ": " + std::strerror(errno));
}

Spool::~Spool() {
  if (fd_ >= 0) ::close(fd_);
}

void Spool::append(std::string_view bytes) {
  if (head_.size() < kHeadBytes) head_.append(bytes.substr(0, kHeadBytes - head_.size()));
  while (!bytes.empty()) {
    auto n = ::pwrite(fd_, bytes.data(), bytes.size(), static_cast<off_t>(size_));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw StoreError(std::string("spool write failed: ") + std::strerror(errno));
    size_ += static_cast<std::uint64_t>(n);
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string Spool::read_all() const { return read_prefix(size_); }

std::string Spool::read_prefix(std::uint64_t max) const {
  std::string out(static_cast<std::size_t>(std::min(size_, max)), '\0');
  std::size_t off = 0;
  while (off < out.size()) {
    auto n = ::pread(fd_, out.data() + off, out.size() - off, static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw StoreError(std::string("spool read failed: ") + (n < 0 ? std::strerror(errno) : "short file"));
    off += static_cast<std::size_t>(n);
  }
  return out;
}

}  // namespace relaymock::store
