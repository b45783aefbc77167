#pragma once
// When hold mode lets its streams go: a line (or end of file) on stdin, or the time limit.

#include <boost/asio/awaitable.hpp>
#include <chrono>

namespace ccgate::bench {

boost::asio::awaitable<void> wait_for_release(std::chrono::nanoseconds longest);

}  // namespace ccgate::bench
