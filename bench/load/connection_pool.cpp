#include "load/connection_pool.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>

#include "common/clock.hpp"

namespace ccgate::bench {

namespace {

using namespace std::chrono_literals;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Deadlines are checked on a tick rather than with a timer per request, which would cost two
// timer operations on every request; a timeout fires up to one tick late.
std::chrono::nanoseconds tick_for(std::uint64_t timeout_ns) {
  const std::chrono::nanoseconds twentieth(timeout_ns / 20);
  return std::clamp<std::chrono::nanoseconds>(twentieth, 1ms, 100ms);
}

// The work's exception as a value, so that its end always ends the race against the watch.
asio::awaitable<std::exception_ptr> capture(asio::awaitable<void> work) {
  std::exception_ptr error;
  try {
    co_await std::move(work);
  } catch (...) {
    error = std::current_exception();
  }
  co_return error;
}

}  // namespace

ConnectionPool::ConnectionPool(asio::any_io_executor executor, const Plan& plan, std::size_t size)
    : executor_(executor), tick_(tick_for(plan.timeout_ns)) {
  for (std::size_t i = 0; i < size; ++i) connections_.emplace_back(executor, plan);
}

std::uint64_t ConnectionPool::connections_opened() const {
  std::uint64_t opened = 0;
  for (const auto& connection : connections_) opened += connection.connections_opened();
  return opened;
}

asio::awaitable<void> ConnectionPool::supervise(asio::awaitable<void> work) {
  using namespace asio::experimental::awaitable_operators;
  auto captured = capture(std::move(work));
  auto watch = watch_deadlines();
  const auto first = co_await (std::move(captured) || std::move(watch));
  if (first.index() == 0 && std::get<0>(first)) std::rethrow_exception(std::get<0>(first));
}

asio::awaitable<void> ConnectionPool::watch_deadlines() {
  asio::steady_timer timer(executor_);
  while (true) {
    timer.expires_after(tick_);
    const auto [error] = co_await timer.async_wait(use_tuple);
    if (error) co_return;
    const auto now = now_ns();
    for (auto& connection : connections_) connection.expire_if_due(now);
  }
}

}  // namespace ccgate::bench
