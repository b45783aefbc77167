#pragma once
// Coroutines spawned together and awaited together, on one single-threaded executor.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstddef>
#include <exception>

namespace ccgate::bench {

namespace asio = boost::asio;

class TaskGroup {
 public:
  explicit TaskGroup(asio::any_io_executor executor);
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  void spawn(asio::awaitable<void> task);

  // Returns once every task spawned so far has finished; rethrows the first one's exception.
  // Await it before the group is destroyed.
  asio::awaitable<void> wait();

 private:
  asio::any_io_executor executor_;
  asio::steady_timer all_finished_;  // never expires; cancelled to wake wait()
  std::size_t running_ = 0;
  std::exception_ptr first_error_{};
};

}  // namespace ccgate::bench
