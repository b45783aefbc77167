#pragma once
// The arena a request body is parsed into: monotonic like json::monotonic_resource (nothing is
// freed before the arena, which frees everything at once), but its blocks stop doubling at
// kMaxBlock, below the large-block threshold (app/limits.hpp, 1 MiB). Such blocks come from the
// thread's heap and serve the next request again; json::monotonic_resource's keep doubling, and
// each one past 1 MiB is a fresh mapping whose pages fault in again on every request (a third of
// a 2 MB Claude Code turn's cost).

#include <boost/json/memory_resource.hpp>
#include <cstddef>
#include <memory>
#include <type_traits>
#include <vector>

namespace ccgate::translate {

class JsonArena final : public boost::json::memory_resource {
 public:
  static constexpr std::size_t kFirstBlock = 4 * 1024;
  static constexpr std::size_t kMaxBlock = 256 * 1024;

  JsonArena() = default;
  JsonArena(const JsonArena&) = delete;
  JsonArena& operator=(const JsonArena&) = delete;
  ~JsonArena() override = default;

 private:
  void* do_allocate(std::size_t bytes, std::size_t alignment) override;
  void do_deallocate(void* /*p*/, std::size_t /*bytes*/, std::size_t /*alignment*/) override {}
  bool do_is_equal(const boost::json::memory_resource& other) const noexcept override {
    return this == &other;
  }

  // A fresh block of `bytes`, freed with the arena.
  std::byte* add_block(std::size_t bytes);

  std::vector<std::unique_ptr<std::byte[]>> blocks_;
  std::byte* next_ = nullptr;  // the free space of the current block
  std::size_t left_ = 0;
  std::size_t next_block_ = kFirstBlock;
};

}  // namespace ccgate::translate

// Values in the arena need no destructor run: the arena frees them all at once.
template <>
struct boost::json::is_deallocate_trivial<ccgate::translate::JsonArena> : std::true_type {};
