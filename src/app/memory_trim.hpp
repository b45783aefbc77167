#pragma once
// Gives the memory of a burst back once it is over. Thousands of connections leave their
// buffers and coroutine frames as free chunks spread through the allocator's arenas, which
// glibc keeps (it trims only the free top of an arena). A watcher thread, off the event loops,
// looks at the open connections a few times a second; when they have fallen to half of their
// peak since the last trim, it asks malloc_trim to return every free page.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <stop_token>
#include <thread>

namespace ccgate::app {

// A burst smaller than this many connections leaves too little behind to be worth a trim.
inline constexpr std::size_t kTrimAfterPeak = 64;
inline constexpr std::chrono::milliseconds kTrimCheckInterval{100};

// Whether the connections have fallen far enough from their peak for a trim.
bool burst_is_over(std::size_t peak, std::size_t open);

class MemoryTrimmer {
 public:
  explicit MemoryTrimmer(std::function<std::size_t()> open_connections);
  MemoryTrimmer(const MemoryTrimmer&) = delete;
  MemoryTrimmer& operator=(const MemoryTrimmer&) = delete;
  ~MemoryTrimmer();  // stops and joins the watcher

 private:
  void watch(const std::stop_token& stop);

  std::function<std::size_t()> open_connections_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::jthread watcher_;  // last: started once everything it reads exists
};

}  // namespace ccgate::app
