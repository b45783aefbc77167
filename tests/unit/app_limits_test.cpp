#include <gtest/gtest.h>
#include <sys/resource.h>

#include "app/limits.hpp"

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

}  // namespace
}  // namespace ccgate::app
