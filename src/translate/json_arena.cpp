#include "translate/json_arena.hpp"

#include <algorithm>
#include <memory>

namespace ccgate::translate {

void* JsonArena::do_allocate(std::size_t bytes, std::size_t alignment) {
  void* at = next_;
  if (std::align(alignment, bytes, at, left_) == nullptr) {
    const std::size_t size = bytes + alignment;
    if (size > next_block_ / 4) {
      // A large string gets a block of its own: the current block's free space stays for the
      // small values that follow.
      void* own = add_block(size);
      std::size_t space = size;
      return std::align(alignment, bytes, own, space);
    }
    next_ = add_block(next_block_);
    left_ = next_block_;
    next_block_ = std::min(next_block_ * 2, kMaxBlock);
    at = next_;
    std::align(alignment, bytes, at, left_);
  }
  next_ = static_cast<std::byte*>(at) + bytes;
  left_ -= bytes;
  return at;
}

std::byte* JsonArena::add_block(std::size_t bytes) {
  // Not make_unique: it would zero the block.
  blocks_.emplace_back(new std::byte[bytes]);
  return blocks_.back().get();
}

}  // namespace ccgate::translate
