#pragma once
// Splits a byte stream into '\n'-terminated lines. Each byte is scanned once and consumed lines
// are compacted away lazily, so framing costs amortised O(n) however long a line. With a line
// limit, an unfinished line never takes more than the limit (plus its '\n') of room.

#include <cstddef>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ccgate::claude {

class LineBuffer {
 public:
  static constexpr std::size_t kUnlimited = std::numeric_limits<std::size_t>::max() - 1;

  // Lines longer than `max_line` bytes (without their '\n') overflow: see overflowed().
  explicit LineBuffer(std::size_t max_line = kUnlimited) : max_line_(max_line) {}

  // Room for up to `size` more bytes: less (even none) once the bytes not yet returned would let
  // an unfinished line grow past max_line + 1. Write into it, then commit() what was written.
  std::span<char> prepare(std::size_t size);
  void commit(std::size_t size);
  // prepare() + commit(): returns how many of `bytes` there was room for.
  std::size_t append(std::string_view bytes);

  // The next complete line without its '\n', if one has arrived.
  std::optional<std::string> next_line();
  // Everything left (an unterminated last line at end of stream, or a line cut off because it
  // grew too long); empty if nothing is left.
  std::string take_rest();

  // Bytes received but not yet returned.
  std::size_t pending() const { return data_.size() - prepared_ - begin_; }
  // Once next_line() has found no complete line: the unfinished line is longer than max_line.
  bool overflowed() const { return pending() > max_line_; }
  std::size_t max_line() const { return max_line_; }

 private:
  std::size_t max_line_;
  std::string data_;
  std::size_t begin_ = 0;     // first byte not yet returned
  std::size_t scan_ = 0;      // first byte not yet searched for '\n'
  std::size_t prepared_ = 0;  // room handed out by prepare(), not yet committed
};

}  // namespace ccgate::claude
