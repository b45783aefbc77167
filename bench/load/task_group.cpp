#include "load/task_group.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace ccgate::bench {

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
}  // namespace

TaskGroup::TaskGroup(asio::any_io_executor executor)
    : executor_(executor), all_finished_(executor, asio::steady_timer::time_point::max()) {}

void TaskGroup::spawn(asio::awaitable<void> task) {
  ++running_;
  auto on_finished = [this](std::exception_ptr error) {
    if (error && !first_error_) first_error_ = error;
    if (--running_ == 0) all_finished_.cancel();
  };
  asio::co_spawn(executor_, std::move(task), std::move(on_finished));
}

asio::awaitable<void> TaskGroup::wait() {
  while (running_ > 0) co_await all_finished_.async_wait(use_tuple);
  if (first_error_) std::rethrow_exception(first_error_);
}

}  // namespace ccgate::bench
