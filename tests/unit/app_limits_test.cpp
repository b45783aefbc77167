#include <gtest/gtest.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "app/limits.hpp"
#include "app/memory_trim.hpp"

namespace ccgate::app {
namespace {

TEST(ConnectionLimits, DerivedFromTheFdLimitLeavingRoomForSessionsAndUpstreams) {
  const auto limits = connection_limits(20'000, 32, 0);
  EXPECT_EQ(limits.private_connections, 32u * kCliConnections);
  EXPECT_EQ(limits.clients, (20'000 - kReservedFds - 32 * kSessionFds) / 2);
  EXPECT_LE(limits.fds_needed, 20'000u);
}

TEST(ConnectionLimits, AConfiguredValueWinsAndATinyFdLimitKeepsAFloor) {
  EXPECT_EQ(connection_limits(20'000, 32, 500).clients, 500u);
  const auto tiny = connection_limits(256, 32, 0);
  EXPECT_EQ(tiny.clients, kMinConnections);
  EXPECT_GT(tiny.fds_needed, 256u);  // start-up warns about this
}

TEST(FdLimit, TheSoftLimitIsRaisedToTheHardLimit) {
  const auto limit = raise_fd_limit();
  rlimit now{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &now), 0);
  EXPECT_EQ(limit.soft, now.rlim_cur);
  EXPECT_GE(limit.soft, limit.was);
  if (now.rlim_max != RLIM_INFINITY) EXPECT_EQ(now.rlim_cur, now.rlim_max);
}

TEST(MemoryTrim, TrimsOnceABurstHasFallenToHalfItsPeak) {
  EXPECT_FALSE(burst_is_over(5000, 2501));
  EXPECT_TRUE(burst_is_over(5000, 2500));
  EXPECT_TRUE(burst_is_over(5000, 0));
  EXPECT_TRUE(burst_is_over(kTrimAfterPeak, 0));
  EXPECT_FALSE(burst_is_over(kTrimAfterPeak - 1, 0));  // too small to leave much
}

TEST(MemoryTrim, TheWatcherStopsWithItsOwner) {
  std::atomic<int> asked{0};
  {
    const MemoryTrimmer trimmer([&asked] {
      ++asked;
      return std::size_t{0};
    });
    while (asked.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }  // joins: a watcher left running would call into a destroyed lambda
  const int after = asked.load();
  std::this_thread::sleep_for(kTrimCheckInterval * 2);
  EXPECT_EQ(asked.load(), after);
}

}  // namespace
}  // namespace ccgate::app
