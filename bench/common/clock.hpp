#pragma once
// CLOCK_MONOTONIC in nanoseconds. The same clock in every process on the machine, so a
// timestamp written by one bench process can be compared with another's reading.

#include <time.h>

#include <cstdint>

namespace ccgate::bench {

inline std::uint64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

}  // namespace ccgate::bench
