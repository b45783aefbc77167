#pragma once
// The connections of a run, and the watch that closes any whose request overran --timeout-s.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <deque>

#include "load/connection.hpp"
#include "load/plan.hpp"
#include "load/task_group.hpp"

namespace ccgate::bench {

class ConnectionPool {
 public:
  ConnectionPool(asio::any_io_executor executor, const Plan& plan, std::size_t size);

  std::deque<Connection>& connections() { return connections_; }
  std::uint64_t connections_opened() const;

  // Runs work while enforcing the connections' deadlines.
  asio::awaitable<void> supervise(asio::awaitable<void> work);

  // Runs task_for(connection) on every connection at once, supervised, until all have finished.
  template <class TaskFor>
  asio::awaitable<void> run_on_each(TaskFor task_for) {
    TaskGroup group(executor_);
    for (auto& connection : connections_) {
      auto task = task_for(connection);
      group.spawn(std::move(task));
    }
    auto all_finished = group.wait();
    co_await supervise(std::move(all_finished));
  }

 private:
  asio::awaitable<void> watch_deadlines();

  asio::any_io_executor executor_;
  std::chrono::nanoseconds tick_;
  std::deque<Connection> connections_;  // a deque: connections never move once made
};

}  // namespace ccgate::bench
