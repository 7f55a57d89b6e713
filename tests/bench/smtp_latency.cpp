// Transaction latency at a fixed offered rate (open loop): N sessions, each
// sends pipelined MAIL/RCPT/DATA, then a 1 KiB body, and times the transaction
// from its scheduled start to the final 250. Timing from the schedule, not
// from the send, keeps a stalled server from hiding its own delay
// (coordinated omission). Prints: sent, errors, p50_us, p99_us, max_us.
//
//   smtp_latency HOST PORT SESSIONS RATE SECONDS
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using Clock = std::chrono::steady_clock;

namespace {

struct Conn {
  int fd = -1;
  std::string buf;

  bool open(const char* host, int port) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, host, &a.sin_addr);
    return ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  bool send_all(const std::string& s) {
    std::size_t off = 0;
    while (off < s.size()) {
      auto n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<std::size_t>(n);
    }
    return true;
  }
  // One whole reply (last line "ddd "); returns its code, 0 on error.
  int reply() {
    for (;;) {
      std::size_t start = 0;
      for (;;) {
        auto eol = buf.find("\r\n", start);
        if (eol == std::string::npos) break;
        if (eol - start >= 4 && buf[start + 3] == ' ') {
          int code = std::atoi(buf.substr(start, 3).c_str());
          buf.erase(0, eol + 2);
          return code;
        }
        start = eol + 2;
      }
      char tmp[4096];
      auto n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n <= 0) return 0;
      buf.append(tmp, static_cast<std::size_t>(n));
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: smtp_latency HOST PORT SESSIONS RATE SECONDS\n");
    return 2;
  }
  const char* host = argv[1];
  int port = std::atoi(argv[2]);
  int sessions = std::atoi(argv[3]);
  double rate = std::atof(argv[4]);
  double seconds = std::atof(argv[5]);
  if (sessions < 1 || sessions > 1000 || rate <= 0 || seconds <= 0 || seconds > 600) {
    std::fprintf(stderr, "smtp_latency: sessions 1-1000, rate > 0, seconds 0-600\n");
    return 2;
  }
  std::string body = "From: bench@example.com\r\nTo: sink@example.org\r\nSubject: latency\r\n\r\n";
  while (body.size() < 1024) body += std::string(70, 'x') + "\r\n";
  body += ".\r\n";
  const std::string envelope = "MAIL FROM:<bench@example.com>\r\nRCPT TO:<sink@example.org>\r\nDATA\r\n";

  std::mutex mu;
  std::vector<double> all;
  std::atomic<long> errors{0};
  auto interval = std::chrono::duration<double>(sessions / rate);
  auto t0 = Clock::now() + std::chrono::milliseconds(200);
  auto end = t0 + std::chrono::duration<double>(seconds);
  std::vector<std::thread> threads;
  for (int i = 0; i < sessions; ++i) {
    threads.emplace_back([&, i] {
      Conn c;
      if (!c.open(host, port) || c.reply() != 220 || !c.send_all("EHLO bench.test\r\n") || c.reply() != 250) {
        ++errors;
        return;
      }
      std::vector<double> mine;
      // Sessions start spread over one interval so the offered load is even.
      auto next = t0 + std::chrono::duration_cast<Clock::duration>(interval * (double(i) / sessions));
      while (next < end) {
        std::this_thread::sleep_until(next);
        bool ok = c.send_all(envelope) && c.reply() == 250 && c.reply() == 250 && c.reply() == 354 &&
                  c.send_all(body) && c.reply() == 250;
        if (!ok) {
          ++errors;
          break;
        }
        mine.push_back(std::chrono::duration<double, std::micro>(Clock::now() - next).count());
        next += std::chrono::duration_cast<Clock::duration>(interval);
      }
      c.send_all("QUIT\r\n");
      c.reply();
      ::close(c.fd);
      std::lock_guard lock(mu);
      all.insert(all.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  if (all.empty()) {
    std::printf("sent 0 errors %ld\n", errors.load());
    return 1;
  }
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all[std::min(all.size() - 1, static_cast<std::size_t>(p * all.size()))]; };
  std::printf("sent %zu errors %ld p50_us %.0f p99_us %.0f max_us %.0f\n", all.size(), errors.load(), pct(0.50),
              pct(0.99), all.back());
  return errors ? 1 : 0;
}
