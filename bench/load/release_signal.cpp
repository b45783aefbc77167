#include "load/release_signal.hpp"

#include <unistd.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <string_view>

namespace ccgate::bench {

namespace asio = boost::asio;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Returns when stdin has a line, ends, or cannot be read.
asio::awaitable<void> wait_for_stdin_line() {
  const auto executor = co_await asio::this_coro::executor;
  asio::posix::stream_descriptor input(executor);
  boost::system::error_code error;
  const int descriptor = ::dup(STDIN_FILENO);  // the stream descriptor closes its own copy
  if (descriptor < 0) co_return;
  input.assign(descriptor, error);
  if (error) {
    ::close(descriptor);
    co_return;
  }
  std::array<char, 256> chunk{};
  while (true) {
    const auto space = asio::buffer(chunk);
    const auto [read_error, size] = co_await input.async_read_some(space, use_tuple);
    if (read_error || std::string_view(chunk.data(), size).find('\n') != std::string_view::npos)
      co_return;
  }
}

}  // namespace

asio::awaitable<void> wait_for_release(std::chrono::nanoseconds longest) {
  using namespace asio::experimental::awaitable_operators;
  const auto executor = co_await asio::this_coro::executor;
  asio::steady_timer limit(executor, longest);
  auto stdin_line = wait_for_stdin_line();
  auto time_up = limit.async_wait(use_tuple);
  co_await (std::move(stdin_line) || std::move(time_up));
}

}  // namespace ccgate::bench
