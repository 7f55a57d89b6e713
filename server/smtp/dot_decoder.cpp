#include "smtp/dot_decoder.hpp"

#include <cstring>

namespace relaymock::smtp {

void DotDecoder::emit(std::string& out, std::string_view bytes, std::size_t limit) {
  if (size_ < limit) {
    auto keep = std::min(bytes.size(), limit - size_);
    out.append(bytes.data(), keep);
  }
  size_ += bytes.size();
}

std::size_t DotDecoder::feed(std::string_view in, std::string& out, std::size_t limit) {
  std::size_t i = 0;
  const std::size_t n = in.size();
  while (i < n && state_ != State::Done) {
    char c = in[i];
    switch (state_) {
      case State::Mid: {
        // Fast path: copy the run up to the next CR in one go.
        const void* cr = std::memchr(in.data() + i, '\r', n - i);
        std::size_t end = cr ? static_cast<std::size_t>(static_cast<const char*>(cr) - in.data()) : n;
        if (end > i) emit(out, in.substr(i, end - i), limit);
        i = end;
        if (cr) {
          emit(out, "\r", limit);
          state_ = State::Cr;
          ++i;
        }
        continue;
      }
      case State::LineStart:
        if (c == '.') {
          state_ = State::Dot;
        } else {
          emit(out, std::string_view(&c, 1), limit);
          state_ = c == '\r' ? State::Cr : State::Mid;
        }
        break;
      case State::Cr:
        emit(out, std::string_view(&c, 1), limit);
        state_ = c == '\n' ? State::LineStart : c == '\r' ? State::Cr : State::Mid;
        break;
      case State::Dot:
        // The leading dot is dropped (transparency); ".\r" may still end the data.
        if (c == '\r') {
          state_ = State::DotCr;
        } else {
          emit(out, std::string_view(&c, 1), limit);
          state_ = State::Mid;
        }
        break;
      case State::DotCr:
        if (c == '\n') {
          state_ = State::Done;
        } else {
          // ".\r" then something else: the CR is content; continue as after a CR.
          emit(out, "\r", limit);
          emit(out, std::string_view(&c, 1), limit);
          state_ = c == '\r' ? State::Cr : State::Mid;
        }
        break;
      case State::Done:
        break;
    }
    ++i;
  }
  return i;
}

std::string dot_stuff(std::string_view content) {
  std::string out;
  out.reserve(content.size() + content.size() / 64 + 8);
  bool line_start = true;
  char prev = 0;
  for (char c : content) {
    if (line_start && c == '.') out += '.';
    out += c;
    line_start = (prev == '\r' && c == '\n');
    prev = c;
  }
  if (!(content.size() >= 2 && content.substr(content.size() - 2) == "\r\n") && !content.empty())
    out += "\r\n";
  out += ".\r\n";
  return out;
}

}  // namespace relaymock::smtp
