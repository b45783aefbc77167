#pragma once
// Splits a byte stream into '\n'-terminated lines of any length. Each byte is scanned once and
// consumed lines are compacted away lazily, so framing costs amortised O(n) however long a line.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ccgate::claude {

class LineBuffer {
 public:
  // Room for at least `size` more bytes; write into it, then commit() what was written.
  std::span<char> prepare(std::size_t size);
  void commit(std::size_t size);
  void append(std::string_view bytes);

  // The next complete line without its '\n', if one has arrived.
  std::optional<std::string> next_line();
  // Everything left (an unterminated last line at end of stream, or a line cut off because it
  // grew too long); empty if nothing is left.
  std::string take_rest();

  // Bytes received but not yet returned.
  std::size_t pending() const { return data_.size() - prepared_ - begin_; }

 private:
  std::string data_;
  std::size_t begin_ = 0;     // first byte not yet returned
  std::size_t scan_ = 0;      // first byte not yet searched for '\n'
  std::size_t prepared_ = 0;  // room handed out by prepare(), not yet committed
};

}  // namespace ccgate::claude
