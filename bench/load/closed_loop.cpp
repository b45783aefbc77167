// Closed loop: every connection sends its next request as soon as the previous one ended.

#include <boost/asio/this_coro.hpp>
#include <optional>

#include "common/clock.hpp"
#include "load/runners.hpp"

namespace ccgate::bench {

namespace {

// Hands out the requests of a phase: at most `limit` (0: no limit), and none after `end_ns`
// (0: no end).
class Tickets {
 public:
  Tickets(std::uint64_t limit, std::uint64_t end_ns) : limit_(limit), end_ns_(end_ns) {}

  bool take() {
    if (limit_ != 0 && issued_ >= limit_) return false;
    if (end_ns_ != 0 && now_ns() >= end_ns_) return false;
    ++issued_;
    return true;
  }

 private:
  std::uint64_t limit_;
  std::uint64_t end_ns_;
  std::uint64_t issued_ = 0;
};

asio::awaitable<void> keep_sending(Connection& connection, Tickets& tickets, Stats& stats) {
  const std::optional<std::uint64_t> from_write;
  while (tickets.take()) co_await connection.exchange(stats, from_write);
}

asio::awaitable<void> run_phase(ConnectionPool& pool, Tickets& tickets, Stats& stats) {
  const auto task_for = [&](Connection& connection) {
    return keep_sending(connection, tickets, stats);
  };
  co_await pool.run_on_each(task_for);
}

}  // namespace

asio::awaitable<void> warm_up(ConnectionPool& pool, std::uint64_t requests) {
  if (requests == 0) co_return;
  Stats discarded;
  Tickets tickets(requests, 0);
  co_await run_phase(pool, tickets, discarded);
}

asio::awaitable<RunResult> run_closed_loop(const Plan& plan) {
  const auto executor = co_await asio::this_coro::executor;
  ConnectionPool pool(executor, plan, plan.options.concurrency);
  co_await warm_up(pool, plan.options.warmup);

  RunResult result;
  const auto start_ns = now_ns();
  Tickets tickets(plan.options.requests, start_ns + seconds_to_ns(plan.options.duration_s));
  co_await run_phase(pool, tickets, result.stats);
  result.summary.elapsed_s = static_cast<double>(now_ns() - start_ns) / 1e9;
  result.summary.connections_opened = pool.connections_opened();
  co_return result;
}

}  // namespace ccgate::bench
