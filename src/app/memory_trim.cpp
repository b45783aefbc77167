#include "app/memory_trim.hpp"

#include <malloc.h>

#include <algorithm>

namespace ccgate::app {

bool burst_is_over(std::size_t peak, std::size_t open) {
  return peak >= kTrimAfterPeak && open <= peak / 2;
}

MemoryTrimmer::MemoryTrimmer(std::function<std::size_t()> open_connections)
    : open_connections_(std::move(open_connections)),
      watcher_([this](const std::stop_token& stop) { watch(stop); }) {}

MemoryTrimmer::~MemoryTrimmer() {
  watcher_.request_stop();
}

void MemoryTrimmer::watch(const std::stop_token& stop) {
  std::size_t peak = 0;
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait_for(lock, stop, kTrimCheckInterval, [] { return false; });
    if (stop.stop_requested()) return;
    const std::size_t open = open_connections_();
    peak = std::max(peak, open);
    if (!burst_is_over(peak, open)) continue;
#ifdef __GLIBC__
    ::malloc_trim(0);
#endif
    peak = open;
  }
}

}  // namespace ccgate::app
