#include "fake_claude/stdin_lines.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>

namespace ccgate::bench {

std::optional<std::string> StdinLines::next() {
  constexpr std::size_t kReadSize = 64 * 1024;
  for (;;) {
    if (const auto newline = buffer_.find('\n', consumed_); newline != std::string::npos) {
      std::string line = buffer_.substr(consumed_, newline - consumed_);
      consumed_ = newline + 1;
      return line;
    }
    if (ended_) {
      if (consumed_ == buffer_.size()) return std::nullopt;
      std::string rest = buffer_.substr(consumed_);
      consumed_ = buffer_.size();
      return rest;
    }
    buffer_.erase(0, consumed_);
    consumed_ = 0;
    std::array<char, kReadSize> chunk;
    const ssize_t got = ::read(STDIN_FILENO, chunk.data(), chunk.size());
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0)
      ended_ = true;
    else
      buffer_.append(chunk.data(), static_cast<std::size_t>(got));
  }
}

}  // namespace ccgate::bench
