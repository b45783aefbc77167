#include "claude/line_buffer.hpp"

#include <algorithm>
#include <cstring>

namespace ccgate::claude {

std::span<char> LineBuffer::prepare(std::size_t size) {
  commit(0);
  const std::size_t limit = max_line_ + 1;  // a longest line and its '\n'
  size = pending() >= limit ? 0 : std::min(size, limit - pending());
  // Dropping returned lines only once they are most of the buffer keeps the copying amortised.
  if (begin_ > 0 && begin_ >= data_.size() / 2) {
    data_.erase(0, begin_);
    scan_ -= begin_;
    begin_ = 0;
  }
  const std::size_t used = data_.size();
  data_.resize(used + size);
  prepared_ = size;
  return {data_.data() + used, size};
}

void LineBuffer::commit(std::size_t size) {
  data_.resize(data_.size() - prepared_ + std::min(size, prepared_));
  prepared_ = 0;
}

std::size_t LineBuffer::append(std::string_view bytes) {
  auto room = prepare(bytes.size());
  std::memcpy(room.data(), bytes.data(), room.size());
  commit(room.size());
  return room.size();
}

std::optional<std::string> LineBuffer::next_line() {
  const std::size_t end = data_.size() - prepared_;
  const void* newline = std::memchr(data_.data() + scan_, '\n', end - scan_);
  if (newline == nullptr) {
    scan_ = end;
    return std::nullopt;
  }
  const auto at = static_cast<std::size_t>(static_cast<const char*>(newline) - data_.data());
  std::string line = data_.substr(begin_, at - begin_);
  begin_ = scan_ = at + 1;
  return line;
}

std::string LineBuffer::take_rest() {
  const std::size_t end = data_.size() - prepared_;
  std::string rest = data_.substr(begin_, end - begin_);
  begin_ = scan_ = end;
  return rest;
}

}  // namespace ccgate::claude
