// Open loop: requests are due at a constant rate whatever the server does; when every connection
// is busy they wait, and their latency counts from when they were due (coordinated omission).

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cmath>
#include <optional>

#include "common/clock.hpp"
#include "load/runners.hpp"

namespace ccgate::bench {

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Request i is due at start + i / rate, for every due time before the end of the phase. Each
// free connection takes the next due request, so together they serve one queue in order.
class Schedule {
 public:
  Schedule(std::uint64_t start_ns, double rate, double duration_s)
      : start_ns_(start_ns),
        period_ns_(1e9 / rate),
        end_ns_(start_ns + seconds_to_ns(duration_s)) {}

  std::optional<std::uint64_t> next_due() {
    const auto due =
        start_ns_ + static_cast<std::uint64_t>(static_cast<double>(next_) * period_ns_);
    if (due >= end_ns_) return std::nullopt;
    ++next_;
    return due;
  }

  std::uint64_t start_ns() const { return start_ns_; }
  std::uint64_t end_ns() const { return end_ns_; }
  std::uint64_t planned() const {
    return static_cast<std::uint64_t>(
        std::ceil(static_cast<double>(end_ns_ - start_ns_) / period_ns_));
  }

 private:
  std::uint64_t start_ns_;
  double period_ns_;
  std::uint64_t end_ns_;
  std::uint64_t next_ = 0;
};

asio::awaitable<void> send_when_due(Connection& connection, Schedule& schedule, Stats& stats,
                                    std::uint64_t& sent) {
  const auto executor = co_await asio::this_coro::executor;
  asio::steady_timer pacer(executor);
  while (const auto due = schedule.next_due()) {
    const auto now = now_ns();
    if (now >= schedule.end_ns()) break;  // a backlog left at the end of the phase is not sent
    if (*due > now) {
      pacer.expires_after(std::chrono::nanoseconds(*due - now));
      co_await pacer.async_wait(use_tuple);
    }
    ++sent;
    const std::optional<std::uint64_t> latency_origin = *due;
    co_await connection.exchange(stats, latency_origin);
  }
}

}  // namespace

asio::awaitable<RunResult> run_open_loop(const Plan& plan) {
  const auto executor = co_await asio::this_coro::executor;
  ConnectionPool pool(executor, plan, plan.options.concurrency);
  co_await warm_up(pool, plan.options.warmup);

  RunResult result;
  Schedule schedule(now_ns(), plan.options.rate, plan.options.duration_s);
  std::uint64_t sent = 0;
  const auto task_for = [&](Connection& connection) {
    return send_when_due(connection, schedule, result.stats, sent);
  };
  co_await pool.run_on_each(task_for);
  // The phase lasts its whole schedule even when the last request ended early.
  const auto finished_ns = std::max(now_ns(), schedule.end_ns());
  result.summary.elapsed_s = static_cast<double>(finished_ns - schedule.start_ns()) / 1e9;
  result.summary.connections_opened = pool.connections_opened();
  result.summary.unsent = schedule.planned() - std::min(sent, schedule.planned());
  co_return result;
}

}  // namespace ccgate::bench
