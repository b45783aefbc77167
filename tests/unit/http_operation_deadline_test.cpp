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
  explicit Pair(asio::io_context& ioc) : socket(ioc), peer(ioc), later(ioc) {
    asio::local::connect_pair(socket, peer);
  }
  // The peer writes one byte once `delay` has passed (while the loop runs).
  void peer_writes_after(Clock::duration delay) {
    later.expires_after(delay);
    later.async_wait([this](auto) { asio::write(peer, asio::buffer("x", 1)); });
  }
  Socket socket;
  Socket peer;
  asio::steady_timer later;
};

// How a one-byte read ended: the socket shut under it, or the byte read; and when.
struct ReadOutcome {
  std::optional<boost::system::error_code> error;
  Clock::duration after{};
  bool shut() const { return error && *error; }
  bool got_byte() const { return error && !*error; }
};

class OperationDeadlineTest : public ::testing::Test {
 protected:
  // Reads one byte, running the loop until the read ends or `longest` has passed.
  ReadOutcome read(Clock::duration longest = 3s) {
    ReadOutcome outcome;
    char byte = 0;
    const auto started = Clock::now();
    pair.socket.async_read_some(asio::buffer(&byte, 1),
                                [&](boost::system::error_code ec, std::size_t) {
                                  outcome.error = ec;
                                  outcome.after = Clock::now() - started;
                                  ioc.stop();
                                });
    ioc.run_for(longest);
    if (!outcome.error) {
      pair.socket.cancel();
      ioc.restart();
      ioc.run_for(100ms);
    }
    ioc.restart();
    return outcome;
  }

  asio::io_context ioc;
  Pair pair{ioc};
  OperationDeadline deadline{ioc.get_executor(), pair.socket.native_handle()};
};

TEST_F(OperationDeadlineTest, ShutsTheSocketOfAnOperationPastItsDeadline) {
  deadline.arm(Clock::now() + 50ms);
  const ReadOutcome outcome = read();
  EXPECT_TRUE(outcome.shut());
  EXPECT_GE(outcome.after, 50ms);
  EXPECT_LT(outcome.after, 1s);
  EXPECT_TRUE(deadline.expired());
}

TEST_F(OperationDeadlineTest, LeavesASocketWithNoOperationArmedAlone) {
  deadline.arm(Clock::now() + 50ms);
  deadline.disarm();
  pair.peer_writes_after(200ms);
  EXPECT_TRUE(read().got_byte()) << "the byte written after the deadline was read";
  EXPECT_FALSE(deadline.expired());
}

TEST_F(OperationDeadlineTest, AnEarlierDeadlineWakesItSooner) {
  deadline.arm(Clock::now() + 10s);
  deadline.disarm();
  deadline.arm(Clock::now() + 50ms);
  const ReadOutcome outcome = read();
  EXPECT_TRUE(outcome.shut());
  EXPECT_LT(outcome.after, 1s);
  EXPECT_TRUE(deadline.expired());
}

TEST_F(OperationDeadlineTest, ALaterDeadlineKeepsTheOperationGoing) {
  deadline.arm(Clock::now() + 50ms);
  deadline.arm(Clock::now() + 10s);  // the operation made progress
  pair.peer_writes_after(300ms);
  const ReadOutcome outcome = read();
  EXPECT_TRUE(outcome.got_byte());
  EXPECT_GE(outcome.after, 250ms);
  EXPECT_FALSE(deadline.expired());
}

TEST_F(OperationDeadlineTest, AStoppedDeadlineNeverTouchesTheSocketAgain) {
  deadline.arm(Clock::now() + 50ms);
  deadline.stop();
  pair.peer_writes_after(200ms);
  EXPECT_TRUE(read().got_byte());
  EXPECT_FALSE(deadline.expired());
}

TEST_F(OperationDeadlineTest, AtRestItKeepsNoWorkOnTheLoop) {
  deadline.arm(Clock::now() + 10s);
  deadline.rest();
  const auto started = Clock::now();
  ioc.run_for(5s);  // returns as soon as the loop has no work
  EXPECT_LT(Clock::now() - started, 1s);
  ioc.restart();
  deadline.arm(Clock::now() + 50ms);  // and it still works once taken up again
  EXPECT_TRUE(read().shut());
  EXPECT_TRUE(deadline.expired());
}

TEST_F(OperationDeadlineTest, ItsEndTakesItsTimerAlong) {
  {
    OperationDeadline ended(ioc.get_executor(), pair.socket.native_handle());
    ended.arm(Clock::now() + 50ms);
  }
  pair.peer_writes_after(200ms);
  EXPECT_TRUE(read().got_byte()) << "a deadline that ended shut nothing";
}

}  // namespace
}  // namespace ccgate::http
