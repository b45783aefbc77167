#pragma once
// The counters behind GET /stats, kept per event loop so that the per-request bookkeeping only
// ever takes an uncontended lock; /stats and /stats/reset visit every shard.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace ccgate::bench {

// Counts one streaming response as open for its lifetime.
class OpenStream {
 public:
  explicit OpenStream(std::atomic<std::int64_t>& open) : open_(open) {
    open_.fetch_add(1, std::memory_order_relaxed);
  }
  ~OpenStream() { open_.fetch_sub(1, std::memory_order_relaxed); }
  OpenStream(const OpenStream&) = delete;
  OpenStream& operator=(const OpenStream&) = delete;

 private:
  std::atomic<std::int64_t>& open_;
};

class Stats {
 public:
  class alignas(64) Shard {
   public:
    void count_request(std::string_view address, std::uint16_t port);
    [[nodiscard]] OpenStream open_stream() { return OpenStream(streams_open_); }

   private:
    friend class Stats;
    std::mutex mutex_;
    std::unordered_set<std::uint64_t> peers_;  // guarded by mutex_
    std::uint64_t requests_ = 0;               // guarded by mutex_
    std::atomic<std::int64_t> streams_open_{0};
  };

  explicit Stats(std::size_t shard_count) : shards_(shard_count) {}

  Shard& shard(std::size_t index) { return shards_.at(index); }
  // {"connections_open":…,"peers_seen":…,"requests":…,"streams_open":…}
  std::string render(std::size_t connections_open);
  void reset();  // peers_seen and requests

 private:
  std::vector<Shard> shards_;
};

}  // namespace ccgate::bench
