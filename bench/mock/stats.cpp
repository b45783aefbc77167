#include "mock/stats.hpp"

#include <fmt/format.h>

#include <functional>

namespace ccgate::bench {

void Stats::Shard::count_request(std::string_view address, std::uint16_t port) {
  // The port in the low bits keeps every port of one address apart; a 48-bit hash of the
  // address is plenty to tell the few addresses of a benchmark apart.
  const std::uint64_t peer = (std::hash<std::string_view>{}(address) << 16) | port;
  const std::lock_guard lock(mutex_);
  ++requests_;
  peers_.insert(peer);
}

std::string Stats::render(std::size_t connections_open) {
  std::unordered_set<std::uint64_t> peers;
  std::uint64_t requests = 0;
  std::int64_t streams_open = 0;
  for (auto& shard : shards_) {
    const std::lock_guard lock(shard.mutex_);
    peers.insert(shard.peers_.begin(), shard.peers_.end());
    requests += shard.requests_;
    streams_open += shard.streams_open_.load(std::memory_order_relaxed);
  }
  return fmt::format(R"({{"connections_open":{},"peers_seen":{},"requests":{},"streams_open":{}}})",
                     connections_open, peers.size(), requests, streams_open);
}

void Stats::reset() {
  for (auto& shard : shards_) {
    const std::lock_guard lock(shard.mutex_);
    shard.peers_.clear();
    shard.requests_ = 0;
  }
}

}  // namespace ccgate::bench
