// Session: one Claude Code process and the one reader of its output. The sessions run /bin/sh
// stand-ins for Claude Code, started through the SessionManager as the door starts them.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "gateway/session.hpp"
#include "gateway_test_support.hpp"

namespace ccgate::gateway {
namespace {

using namespace test_support;  // NOLINT: the room's test helpers
using ::testing::HasSubstr;

std::size_t open_descriptors() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator("/proc/self/fd")) ++count;
  return count;
}

class GatewaySession : public FakeCliSessions {
 protected:
  // A started session (its first turn begun) whose stand-in CLI runs `body`.
  std::shared_ptr<Session> run_cli(const std::string& body) {
    return start_session(identity(),
                         scripts_.write("claude-" + std::to_string(++scripts_made_), body));
  }

  template <class T>
  T await(asio::awaitable<T> task, std::chrono::milliseconds limit = 10'000ms) {
    auto result = asio::co_spawn(io_, std::move(task), asio::use_future);
    if (result.wait_for(limit) != std::future_status::ready)
      throw std::runtime_error("the coroutine did not finish in time");
    return result.get();
  }

  int scripts_made_ = 0;
};

TEST_F(GatewaySession, AKeepAliveTickNeverCostsALine) {
  // A wait of 0 ms expires as each line arrives: every line is a race the line must win.
  const auto session = run_cli("seq 1 20000");
  auto read_all = [&]() -> asio::awaitable<std::vector<std::string>> {
    std::vector<std::string> lines;
    for (;;) {
      auto output = co_await session->next_output(0ms);
      if (output.kind == Session::Output::Kind::end) break;
      if (output.kind == Session::Output::Kind::line) lines.push_back(std::move(output.line));
    }
    co_return lines;
  };
  const auto lines = await(read_all(), 60'000ms);
  ASSERT_EQ(lines.size(), 20000u);
  for (std::size_t i = 0; i < lines.size(); ++i)
    ASSERT_EQ(lines[i], std::to_string(i + 1)) << "line " << i;
}

TEST_F(GatewaySession, LinesAlreadyQueuedAreReadInOrderWithoutAnIdleTickThenTheEnd) {
  const auto session = run_cli("seq 1 100");
  // The whole burst waits in the queue (up to its 256 lines) before the reader comes.
  std::this_thread::sleep_for(300ms);
  auto read_all = [&]() -> asio::awaitable<std::vector<Session::Output>> {
    std::vector<Session::Output> outputs;
    do outputs.push_back(co_await session->next_output(0ms));
    while (outputs.back().kind != Session::Output::Kind::end);
    co_return outputs;
  };
  const auto outputs = await(read_all());
  ASSERT_EQ(outputs.size(), 101u) << "100 lines and the end, no idle tick between them";
  for (std::size_t i = 0; i < 100; ++i) {
    ASSERT_EQ(outputs[i].kind, Session::Output::Kind::line) << "output " << i;
    ASSERT_EQ(outputs[i].line, std::to_string(i + 1));
  }
  EXPECT_EQ(outputs.back().ended, asio::error::eof);
  EXPECT_EQ(await(session->next_output(0ms)).kind, Session::Output::Kind::end)
      << "the end is remembered";
}

TEST_F(GatewaySession, AQuietCliGivesIdleTicksUntilItSpeaks) {
  const auto session = run_cli("sleep 0.3; echo hello; exec cat");
  int ticks = 0;
  auto read = [&]() -> asio::awaitable<std::string> {
    for (;;) {
      auto output = co_await session->next_output(20ms);
      if (output.kind == Session::Output::Kind::line) co_return output.line;
      if (output.kind == Session::Output::Kind::end) co_return "(end)";
      ++ticks;
    }
  };
  EXPECT_EQ(await(read()), "hello");
  EXPECT_GE(ticks, 3);
}

TEST_F(GatewaySession, ASecondReaderAtTheSameTimeIsALogicError) {
  const auto session = run_cli("exec cat");
  auto first = asio::co_spawn(io_, session->next_output(2000ms), asio::use_future);
  ASSERT_TRUE(eventually([&] {
    // The first reader is waiting once a second one is refused.
    auto second = asio::co_spawn(io_, session->next_output(0ms), asio::use_future);
    try {
      second.get();
      return false;
    } catch (const std::logic_error& error) {
      EXPECT_THAT(error.what(), HasSubstr("two readers"));
      return true;
    }
  }));
  EXPECT_EQ(first.get().kind, Session::Output::Kind::idle);
}

TEST_F(GatewaySession, LinesWrittenJustBeforeTheCliExitsAllArriveThenTheEnd) {
  const auto session = run_cli("echo one; echo two; echo three");
  std::this_thread::sleep_for(300ms);  // all written, stdout closed, before anyone reads
  std::vector<std::string> lines;
  for (;;) {
    auto output = await(session->next_output(5000ms));
    if (output.kind == Session::Output::Kind::end) {
      EXPECT_EQ(output.ended, asio::error::eof);
      break;
    }
    lines.push_back(output.line);
  }
  EXPECT_EQ(lines, (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(await(session->next_output(0ms)).kind, Session::Output::Kind::end)
      << "the end stays the end";
}

TEST_F(GatewaySession, ALineLongerThanMaxLineSizeEndsTheOutputWithMessageSize) {
  settings_.max_line_size = 1024;
  const auto session = run_cli(R"(echo short
head -c 1048576 /dev/zero | tr '\0' x
echo
exec cat)");
  EXPECT_EQ(await(session->next_line()), "short");
  const auto output = await(session->next_output(5000ms));
  EXPECT_EQ(output.kind, Session::Output::Kind::end);
  EXPECT_EQ(output.ended, asio::error::message_size);
}

TEST_F(GatewaySession, EndingASessionWhoseQueueIsFullReleasesItAndEveryDescriptor) {
  // The stdout reader blocks on a full queue (nobody reads): ending the session must still wake
  // it, end the process, close its pipes and pidfd, and let the session go.
  asio::posix::stream_descriptor event_loop_setup(io_);  // the loop's own descriptors come first
  const auto before = open_descriptors();
  std::weak_ptr<Session> weak;
  {
    const auto session = run_cli("yes '{\"type\":\"stream_event\"}'");
    weak = session;
    std::this_thread::sleep_for(300ms);  // the queue fills, the CLI blocks on its stdout
    sessions_.end(session, ExitCause::client_closed);
  }
  EXPECT_TRUE(eventually([&] { return weak.expired(); }, 5000ms)) << "the session was freed";
  EXPECT_TRUE(eventually([&] { return open_descriptors() == before; }, 5000ms))
      << open_descriptors() << " descriptors, " << before << " before";
}

TEST_F(GatewaySession, SkipToTurnEndStopsAtTheResultLineOrGivesUpAtItsLimit) {
  const auto answering = run_cli(R"(echo '{"type":"assistant"}'
echo '{"type":"result","subtype":"success","is_error":false,"result":"ok"}'
echo '{"type":"after"}'
exec cat)");
  EXPECT_EQ(await(answering->skip_to_turn_end(5000ms)), Session::TurnEnd::result);
  EXPECT_EQ(await(answering->next_line()), R"({"type":"after"})") << "nothing after it is eaten";

  const auto silent = run_cli("exec cat");
  const auto began = std::chrono::steady_clock::now();
  EXPECT_EQ(await(silent->skip_to_turn_end(200ms)), Session::TurnEnd::timed_out);
  EXPECT_GE(std::chrono::steady_clock::now() - began, 200ms);

  const auto exiting = run_cli("echo '{\"type\":\"assistant\"}'");
  EXPECT_EQ(await(exiting->skip_to_turn_end(5000ms)), Session::TurnEnd::ended);
}

TEST_F(GatewaySession, InterruptAsksTheCliOnItsInputInsteadOfSignallingIt) {
  const auto session =
      run_cli("trap 'echo SIGINT' INT; while IFS= read -r line; do echo \"$line\"; done");
  await(session->interrupt());
  const auto line = await(session->next_line());
  ASSERT_TRUE(line);
  const auto request = boost::json::parse(*line).as_object();
  EXPECT_EQ(request.at("type"), "control_request");
  EXPECT_EQ(request.at("request").at("subtype"), "interrupt");
  EXPECT_FALSE(request.at("request_id").as_string().empty());
}

TEST_F(GatewaySession, TheCliIsStartedAndAnnouncedOnTheSessionsHomeLoop) {
  // The fixture's loop runs on loop_thread_; this test's thread only asks.
  std::thread::id announced_on;
  std::thread::id loop_thread;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        loop_thread = std::this_thread::get_id();
        co_return;
      },
      asio::use_future)
      .get();
  claude::LaunchSettings launch;
  launch.cli_path = cli_;
  Session::Setup setup;
  setup.announce = [&](const std::shared_ptr<Session>&) {
    announced_on = std::this_thread::get_id();
  };
  auto started = asio::co_spawn(io_, Session::start(io_.get_executor(), identity(), launch, setup),
                                asio::use_future);
  const auto session = started.get();
  EXPECT_EQ(announced_on, loop_thread);
  EXPECT_NE(announced_on, std::this_thread::get_id());
  session->close(ExitCause::shutdown);
}

TEST_F(GatewaySession, ANewSessionBelongsToItsStarterUntilItEndsTheTurn) {
  const auto session = run_cli("exec cat");
  EXPECT_TRUE(session->busy());
  EXPECT_FALSE(session->try_begin_turn());
  EXPECT_FALSE(session->idle());
  EXPECT_FALSE(session->end_turn());
  EXPECT_TRUE(session->idle());
  EXPECT_FALSE(session->retire([] { return std::size_t{1}; }))
      << "a session whose tool calls wait for the client is not claimed";
  EXPECT_TRUE(session->retire([] { return std::size_t{0}; }))
      << "an idle session can be claimed to make room";
  EXPECT_FALSE(session->try_begin_turn()) << "and then nobody begins a turn on it";
}

TEST_F(GatewaySession, AnExpiredSessionTakesOnlyADrainAndEndsAfterIt) {
  const auto session = run_cli("exec cat");
  session->end_turn();
  session->mark_expired();
  EXPECT_FALSE(session->try_begin_turn());
  EXPECT_TRUE(session->try_begin_drain());
  EXPECT_FALSE(session->try_begin_drain()) << "one reader";
  EXPECT_TRUE(session->end_turn()) << "after the drain: end it";
}

}  // namespace
}  // namespace ccgate::gateway
