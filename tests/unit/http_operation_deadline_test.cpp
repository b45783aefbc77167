#include <gtest/gtest.h>
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <optional>

#include "http/operation_deadline.hpp"

namespace ccgate::http {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Socket = asio::local::stream_protocol::socket;

// A socket and its peer; reads on `socket` wait until the peer writes or the socket is shut.
struct Pair {
  explicit Pair(asio::io_context& ioc) : socket(ioc), peer(ioc) {
    asio::local::connect_pair(socket, peer);
  }
  Socket socket;
  Socket peer;
};

// Reads one byte on `socket`, running `ioc` until the read ends or `longest` has passed; says
// how and when it ended.
struct ReadOutcome {
  std::optional<boost::system::error_code> error;
  Clock::duration after{};
};

ReadOutcome read_one(asio::io_context& ioc, Socket& socket, Clock::duration longest) {
  ReadOutcome outcome;
  char byte = 0;
  const auto started = Clock::now();
  socket.async_read_some(asio::buffer(&byte, 1), [&](boost::system::error_code ec, std::size_t) {
    outcome.error = ec;
    outcome.after = Clock::now() - started;
    ioc.stop();
  });
  ioc.run_for(longest);
  if (!outcome.error) {
    socket.cancel();
    ioc.restart();
    ioc.run_for(100ms);
  }
  ioc.restart();
  return outcome;
}

TEST(OperationDeadline, ShutsTheSocketOfAnOperationPastItsDeadline) {
  asio::io_context ioc;
  Pair pair(ioc);
  OperationDeadline deadline(ioc.get_executor(), pair.socket.native_handle());
  deadline.arm(Clock::now() + 50ms);
  const ReadOutcome outcome = read_one(ioc, pair.socket, 2s);
  ASSERT_TRUE(outcome.error.has_value());
  EXPECT_TRUE(*outcome.error) << "the read ended by the shut socket";
  EXPECT_GE(outcome.after, 50ms);
  EXPECT_LT(outcome.after, 1s);
  EXPECT_TRUE(deadline.expired());
}

TEST(OperationDeadline, LeavesASocketWithNoOperationArmedAlone) {
  asio::io_context ioc;
  Pair pair(ioc);
  OperationDeadline deadline(ioc.get_executor(), pair.socket.native_handle());
  deadline.arm(Clock::now() + 50ms);
  deadline.disarm();
  asio::steady_timer later(ioc, 200ms);
  later.async_wait([&](auto) { asio::write(pair.peer, asio::buffer("x", 1)); });
  const ReadOutcome outcome = read_one(ioc, pair.socket, 2s);
  ASSERT_TRUE(outcome.error.has_value());
  EXPECT_FALSE(*outcome.error) << "the byte written after the deadline was read";
  EXPECT_FALSE(deadline.expired());
}

TEST(OperationDeadline, AnEarlierDeadlineWakesItSooner) {
  asio::io_context ioc;
  Pair pair(ioc);
  OperationDeadline deadline(ioc.get_executor(), pair.socket.native_handle());
  deadline.arm(Clock::now() + 10s);
  deadline.disarm();
  deadline.arm(Clock::now() + 50ms);
  const ReadOutcome outcome = read_one(ioc, pair.socket, 3s);
  ASSERT_TRUE(outcome.error.has_value());
  EXPECT_TRUE(*outcome.error);
  EXPECT_LT(outcome.after, 1s);
  EXPECT_TRUE(deadline.expired());
}

TEST(OperationDeadline, ALaterDeadlineKeepsTheOperationGoing) {
  asio::io_context ioc;
  Pair pair(ioc);
  OperationDeadline deadline(ioc.get_executor(), pair.socket.native_handle());
  deadline.arm(Clock::now() + 50ms);
  deadline.arm(Clock::now() + 10s);  // the operation made progress
  asio::steady_timer later(ioc, 300ms);
  later.async_wait([&](auto) { asio::write(pair.peer, asio::buffer("x", 1)); });
  const ReadOutcome outcome = read_one(ioc, pair.socket, 2s);
  ASSERT_TRUE(outcome.error.has_value());
  EXPECT_FALSE(*outcome.error);
  EXPECT_GE(outcome.after, 250ms);
  EXPECT_FALSE(deadline.expired());
}

TEST(OperationDeadline, AStoppedDeadlineNeverTouchesTheSocketAgain) {
  asio::io_context ioc;
  Pair pair(ioc);
  OperationDeadline deadline(ioc.get_executor(), pair.socket.native_handle());
  deadline.arm(Clock::now() + 50ms);
  deadline.stop();
  asio::steady_timer later(ioc, 200ms);
  later.async_wait([&](auto) { asio::write(pair.peer, asio::buffer("x", 1)); });
  const ReadOutcome outcome = read_one(ioc, pair.socket, 2s);
  ASSERT_TRUE(outcome.error.has_value());
  EXPECT_FALSE(*outcome.error);
  EXPECT_FALSE(deadline.expired());
}

TEST(OperationDeadline, AtRestItKeepsNoWorkOnTheLoop) {
  asio::io_context ioc;
  Pair pair(ioc);
  OperationDeadline deadline(ioc.get_executor(), pair.socket.native_handle());
  deadline.arm(Clock::now() + 10s);
  deadline.rest();
  const auto started = Clock::now();
  ioc.run_for(5s);  // returns as soon as the loop has no work
  EXPECT_LT(Clock::now() - started, 1s);
  ioc.restart();
  deadline.arm(Clock::now() + 50ms);  // and it still works once taken up again
  const ReadOutcome outcome = read_one(ioc, pair.socket, 2s);
  ASSERT_TRUE(outcome.error.has_value());
  EXPECT_TRUE(*outcome.error);
  EXPECT_TRUE(deadline.expired());
}

TEST(OperationDeadline, ItsEndTakesItsTimerAlong) {
  asio::io_context ioc;
  Pair pair(ioc);
  {
    OperationDeadline deadline(ioc.get_executor(), pair.socket.native_handle());
    deadline.arm(Clock::now() + 50ms);
  }
  asio::steady_timer later(ioc, 200ms);
  later.async_wait([&](auto) { asio::write(pair.peer, asio::buffer("x", 1)); });
  const ReadOutcome outcome = read_one(ioc, pair.socket, 2s);
  ASSERT_TRUE(outcome.error.has_value());
  EXPECT_FALSE(*outcome.error) << "a deadline that ended shut nothing";
}

}  // namespace
}  // namespace ccgate::http
