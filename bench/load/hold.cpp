// Hold mode: open many streams, keep them open and idle, then let them all go at once.

#include <algorithm>
#include <boost/asio/this_coro.hpp>

#include "common/clock.hpp"
#include "load/release_signal.hpp"
#include "load/runners.hpp"
#include "load/task_group.hpp"

namespace ccgate::bench {

namespace {

struct HoldCounts {
  std::uint64_t held = 0;
  std::uint64_t failed = 0;
  std::uint64_t dropped = 0;  // held, then ended by the server before the release
};

asio::awaitable<void> keep_open(Connection& connection, HoldCounts& counts, Stats& stats) {
  // GCC 12 emits a trap for `if (co_await ...) co_return;`: the result goes through a local.
  const bool released = co_await connection.hold();
  if (released) co_return;
  ++counts.dropped;
  stats.record_failure(Failure::reset);
}

// One of --connect-parallel openers: takes the next connection not yet opened until none is left.
asio::awaitable<void> open_streams(std::deque<Connection>& connections, std::size_t& next,
                                   HoldCounts& counts, Stats& stats, TaskGroup& holders) {
  while (next < connections.size()) {
    auto& connection = connections[next++];
    const bool opened = co_await connection.open_stream(stats);
    if (!opened) {
      ++counts.failed;
      continue;
    }
    ++counts.held;
    auto holding = keep_open(connection, counts, stats);
    holders.spawn(std::move(holding));
  }
}

asio::awaitable<void> open_all(ConnectionPool& pool, std::uint64_t parallel, HoldCounts& counts,
                               Stats& stats, TaskGroup& holders) {
  const auto executor = co_await asio::this_coro::executor;
  TaskGroup openers(executor);
  std::size_t next = 0;
  const auto opener_count = std::min<std::uint64_t>(parallel, pool.connections().size());
  for (std::uint64_t i = 0; i < opener_count; ++i) {
    auto opener = open_streams(pool.connections(), next, counts, stats, holders);
    openers.spawn(std::move(opener));
  }
  co_await openers.wait();
}

}  // namespace

asio::awaitable<RunResult> run_hold(const Plan& plan) {
  const auto executor = co_await asio::this_coro::executor;
  ConnectionPool pool(executor, plan, plan.options.concurrency);
  RunResult result;
  HoldCounts counts;
  TaskGroup holders(executor);
  const auto start_ns = now_ns();

  auto opening = open_all(pool, plan.options.connect_parallel, counts, result.stats, holders);
  co_await pool.supervise(std::move(opening));
  print_line(render_held_line(counts.held, counts.failed));

  const std::chrono::nanoseconds longest(seconds_to_ns(plan.options.hold_s));
  co_await wait_for_release(longest);
  for (auto& connection : pool.connections()) connection.release();
  co_await holders.wait();

  result.stats.ok = counts.held - counts.dropped;
  result.summary.elapsed_s = static_cast<double>(now_ns() - start_ns) / 1e9;
  result.summary.connections_opened = pool.connections_opened();
  co_return result;
}

}  // namespace ccgate::bench
