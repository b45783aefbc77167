#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "upstream/key_pool.hpp"

namespace ccgate::upstream {
namespace {

using namespace std::chrono_literals;
using Clock = KeyPool::Clock;

const Clock::time_point t0 = Clock::now();

TEST(KeyPoolTest, RoundRobinOverEveryKey) {
  KeyPool pool(3);
  std::vector<std::size_t> order;
  for (int i = 0; i < 6; ++i) order.push_back(pool.next(t0).value());
  EXPECT_EQ(order, (std::vector<std::size_t>{0, 1, 2, 0, 1, 2}));
  EXPECT_EQ(pool.size(), 3u);
}

TEST(KeyPoolTest, NoKeysIsOneSlot) {
  KeyPool pool(0);
  EXPECT_EQ(pool.size(), 1u);
  EXPECT_EQ(pool.next(t0), 0u);
  EXPECT_EQ(pool.next(t0), 0u);
}

TEST(KeyPoolTest, CoolingKeyIsSkippedUntilItsWaitEnds) {
  KeyPool pool(3);
  pool.cool(1, 60s, t0);
  EXPECT_EQ(pool.cooling(t0), 1u);
  std::vector<std::size_t> order;
  for (int i = 0; i < 4; ++i) order.push_back(pool.next(t0 + 1s).value());
  // turns 0,1,2,3 start at 0,1,2,0; key 1 is skipped, so its turn goes to key 2.
  EXPECT_EQ(order, (std::vector<std::size_t>{0, 2, 2, 0}));
  EXPECT_EQ(pool.next_ready(t0), t0 + 60s);
  EXPECT_EQ(pool.cooling(t0 + 60s), 0u);
  EXPECT_EQ(pool.next_ready(t0 + 60s), std::nullopt);
  EXPECT_EQ(pool.next(t0 + 60s), 1u);  // turn 4 starts at key 1, usable again
}

TEST(KeyPoolTest, EveryKeyCoolingMeansNoKeyUntilTheFirstIsReady) {
  KeyPool pool(2);
  pool.cool(0, 30s, t0);
  pool.cool(1, 10s, t0);
  EXPECT_EQ(pool.next(t0), std::nullopt);
  EXPECT_EQ(pool.cooling(t0), 2u);
  EXPECT_EQ(pool.next_ready(t0), t0 + 10s);
  EXPECT_EQ(pool.next(t0 + 10s), 1u);
  EXPECT_EQ(pool.next(t0 + 10s), 1u);
  EXPECT_EQ(pool.next(t0 + 30s).has_value(), true);
}

TEST(KeyPoolTest, ALongerCoolingIsNotShortenedByALaterShorterOne) {
  KeyPool pool(1);
  pool.cool(0, 60s, t0);
  pool.cool(0, 1s, t0);
  EXPECT_EQ(pool.next(t0 + 2s), std::nullopt);
  EXPECT_EQ(pool.next_ready(t0), t0 + 60s);
  pool.cool(0, 0ms, t0 + 61s);  // Retry-After: 0 is no wait
  EXPECT_EQ(pool.next(t0 + 61s), 0u);
  pool.cool(0, -5s, t0 + 61s);  // nonsense is no wait either
  EXPECT_EQ(pool.next(t0 + 61s), 0u);
}

TEST(KeyPoolTest, AnAbsurdWaitIsBoundedToADay) {
  KeyPool pool(1);
  pool.cool(0, std::chrono::milliseconds::max(), t0);
  EXPECT_EQ(pool.next_ready(t0), t0 + 24h);
  EXPECT_EQ(pool.next(t0 + 24h), 0u);
}

TEST(KeyPoolTest, TakenOutKeyIsOutOnceAndForGood) {
  KeyPool pool(2);
  EXPECT_TRUE(pool.take_out(0));
  EXPECT_FALSE(pool.take_out(0));  // logged once
  EXPECT_EQ(pool.out(), 1u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(pool.next(t0), 1u);
  pool.cool(0, 10s, t0);
  EXPECT_EQ(pool.cooling(t0), 0u);  // out, not cooling
  EXPECT_EQ(pool.next_ready(t0), std::nullopt);
  EXPECT_TRUE(pool.take_out(1));
  EXPECT_EQ(pool.next(t0 + 1h), std::nullopt);
  EXPECT_EQ(pool.next_ready(t0), std::nullopt);
}

TEST(KeyPoolTest, KeysOutOfRangeAreIgnored) {
  KeyPool pool(1);
  pool.cool(5, 10s, t0);
  EXPECT_FALSE(pool.take_out(5));
  EXPECT_EQ(pool.next(t0), 0u);
}

TEST(KeyPoolTest, ThreadsShareTheTurnsEvenly) {
  constexpr std::size_t kKeys = 4;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10'000;
  KeyPool pool(kKeys);
  std::vector<std::atomic<int>> uses(kKeys);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) uses[pool.next(t0).value()].fetch_add(1);
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& count : uses) EXPECT_EQ(count.load(), kThreads * kPerThread / int{kKeys});
}

TEST(KeyPoolTest, ThreadsCoolingAndTakingOutNeverGetAnUnusableKey) {
  KeyPool pool(8);
  std::atomic<int> first_take_outs{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5'000; ++i) {
        if (const auto key = pool.next(t0)) {
          if (*key % 4 == 0 && pool.take_out(*key)) first_take_outs.fetch_add(1);
          if (*key % 4 == 1) pool.cool(*key, std::chrono::seconds(t + 1), t0);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(first_take_outs.load(), 2);  // keys 0 and 4, each counted once
  EXPECT_EQ(pool.out(), 2u);
  EXPECT_EQ(pool.cooling(t0), 2u);  // keys 1 and 5
  for (int i = 0; i < 16; ++i) {
    const auto key = pool.next(t0).value();
    EXPECT_TRUE(key % 4 == 2 || key % 4 == 3) << key;
  }
}

TEST(ConcurrencyCapTest, AtTheCapRefusesUntilARelease) {
  ConcurrencyCap cap(2);
  EXPECT_TRUE(cap.try_acquire());
  EXPECT_TRUE(cap.try_acquire());
  EXPECT_FALSE(cap.try_acquire());
  EXPECT_EQ(cap.in_flight(), 2u);
  cap.release();
  EXPECT_TRUE(cap.try_acquire());
  EXPECT_EQ(cap.cap(), 2u);
}

TEST(ConcurrencyCapTest, ZeroIsNoCapButStillCounts) {
  ConcurrencyCap cap(0);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(cap.try_acquire());
  EXPECT_EQ(cap.in_flight(), 1000u);
}

TEST(ConcurrencyCapTest, PermitReleasesOnEveryPath) {
  ConcurrencyCap cap(1);
  {
    auto permit = cap.try_permit();
    EXPECT_TRUE(permit);
    EXPECT_FALSE(cap.try_permit());
    auto moved = std::move(permit);
    EXPECT_FALSE(permit);  // NOLINT(bugprone-use-after-move): moved-from is empty
    EXPECT_EQ(cap.in_flight(), 1u);
    ConcurrencyCap::Permit assigned;
    assigned = std::move(moved);
    EXPECT_EQ(cap.in_flight(), 1u);
  }
  EXPECT_EQ(cap.in_flight(), 0u);
  auto permit = cap.try_permit();
  permit.reset();
  permit.reset();
  EXPECT_EQ(cap.in_flight(), 0u);
}

TEST(ConcurrencyCapTest, ThreadsNeverExceedTheCap) {
  constexpr std::size_t kCap = 3;
  ConcurrencyCap cap(kCap);
  std::atomic<std::size_t> inside{0};
  std::atomic<std::size_t> most{0};
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20'000; ++i) {
        if (auto permit = cap.try_permit()) {
          const std::size_t now = inside.fetch_add(1) + 1;
          std::size_t seen = most.load();
          while (now > seen && !most.compare_exchange_weak(seen, now)) {
          }
          admitted.fetch_add(1);
          inside.fetch_sub(1);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_LE(most.load(), kCap);
  EXPECT_GT(admitted.load(), 0);
  EXPECT_EQ(cap.in_flight(), 0u);
}

}  // namespace
}  // namespace ccgate::upstream
