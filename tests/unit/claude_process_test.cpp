#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/system/system_error.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "claude/process.hpp"
#include "claude_test_support.hpp"

namespace ccgate::claude {
namespace {

namespace fs = std::filesystem;
using namespace test_support;  // NOLINT: the room's test helpers
using Clock = std::chrono::steady_clock;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ClaudeProcess : public ::testing::Test {
 protected:
  Process spawn(const std::string& script_body, std::vector<std::string> args = {},
                Process::LineHandler on_stderr = {}) {
    const auto script = scripts_.write("fake-claude-" + std::to_string(++count_), script_body);
    return Process::spawn(io_.get_executor(), spec_for(script, std::move(args)),
                          std::move(on_stderr));
  }

  template <class T>
  T run(asio::awaitable<T> task) {
    return test_support::run(io_, std::move(task));
  }

  std::optional<std::string> read_line(Process& process) { return run(process.read_line()); }

  pid_t read_pid(Process& process) {
    const auto line = read_line(process);
    EXPECT_TRUE(line.has_value());
    return line ? std::stoi(*line) : -1;
  }

  asio::io_context io_;
  Scripts scripts_;
  int count_ = 0;
};

TEST_F(ClaudeProcess, EchoesLinesOverOneStdinAcrossTurns) {
  auto process = spawn(R"(while IFS= read -r line; do printf 'got:%s\n' "$line"; done)");
  run(process.write("{\"type\":\"user\",\"turn\":1}\n"));
  EXPECT_EQ(read_line(process), R"(got:{"type":"user","turn":1})");
  run(process.write("second turn\n"));
  EXPECT_EQ(read_line(process), "got:second turn");
  run(process.write("third\nfourth\n"));
  EXPECT_EQ(read_line(process), "got:third");
  EXPECT_EQ(read_line(process), "got:fourth");
  process.close_stdin();
  EXPECT_EQ(read_line(process), std::nullopt);
  EXPECT_EQ(run(process.wait()), 0);
}

TEST_F(ClaudeProcess, AFiveMegabyteLineComesBackIntact) {
  auto process = spawn("exec cat");
  std::string line(5 * 1024 * 1024, ' ');
  constexpr std::string_view kAlphabet = R"({"input":"abc \" xyz 0123456789},)";
  for (std::size_t i = 0; i < line.size(); ++i)
    line[i] = kAlphabet[(i * 7 + i / 13) % kAlphabet.size()];

  // Written and read at once: cat blocks once the pipes are full, as the CLI would.
  auto echo = [&]() -> asio::awaitable<std::vector<std::string>> {
    using namespace asio::experimental::awaitable_operators;
    auto writer = [&]() -> asio::awaitable<void> {
      co_await process.write(line + "\nafter\n");
      process.close_stdin();
    };
    auto reader = [&]() -> asio::awaitable<std::vector<std::string>> {
      std::vector<std::string> lines;
      while (auto next = co_await process.read_line()) lines.push_back(std::move(*next));
      co_return lines;
    };
    co_return co_await (writer() && reader());
  };
  const auto lines = run(echo());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].size(), line.size());
  EXPECT_TRUE(lines[0] == line);
  EXPECT_EQ(lines[1], "after");
}

TEST_F(ClaudeProcess, AnUnterminatedLastLineIsStillReturned) {
  auto process = spawn("printf 'one\\ntwo'");
  EXPECT_EQ(read_line(process), "one");
  EXPECT_EQ(read_line(process), "two");
  EXPECT_EQ(read_line(process), std::nullopt);
}

TEST_F(ClaudeProcess, StderrFloodDoesNotBlockStdout) {
  std::size_t bytes = 0;
  std::size_t lines = 0;
  auto process = spawn("head -c 4000000 /dev/zero | tr '\\0' e | fold -w 99 >&2\necho done", {},
                       [&](std::string_view line) {
                         bytes += line.size();
                         ++lines;
                       });
  EXPECT_EQ(read_line(process), "done");
  EXPECT_EQ(read_line(process), std::nullopt);
  EXPECT_EQ(run(process.wait()), 0);
  run(process.stderr_closed());
  EXPECT_EQ(bytes, 4'000'000u);
  EXPECT_EQ(lines, (4'000'000u + 98) / 99);
}

TEST_F(ClaudeProcess, StderrWithoutNewlinesArrivesInBoundedPieces) {
  std::size_t bytes = 0;
  std::size_t longest = 0;
  auto process = spawn("head -c 1000000 /dev/zero | tr '\\0' e >&2\necho done", {},
                       [&](std::string_view piece) {
                         bytes += piece.size();
                         longest = std::max(longest, piece.size());
                       });
  EXPECT_EQ(read_line(process), "done");
  EXPECT_EQ(run(process.wait()), 0);
  run(process.stderr_closed());
  EXPECT_EQ(bytes, 1'000'000u);
  EXPECT_LE(longest, 256u * 1024);
}

TEST_F(ClaudeProcess, ArgumentsReachTheChildUnsplitAndUninterpreted) {
  auto process = spawn(R"(for a in "$@"; do printf '[%s]\n' "$a"; done)",
                       {"", "two words", "--dangerously-skip-permissions", R"("quoted" 'single')",
                        "$HOME", "--mcp-config={\"a\": 1}"});
  std::vector<std::string> lines;
  while (auto line = read_line(process)) lines.push_back(*line);
  EXPECT_THAT(lines,
              ElementsAre("[]", "[two words]", "[--dangerously-skip-permissions]",
                          R"(["quoted" 'single'])", "[$HOME]", R"([--mcp-config={"a": 1}])"));
}

TEST_F(ClaudeProcess, RunsInTheGivenDirectoryWithExactlyTheGivenEnvironment) {
  const auto work = TempDir::create("ccgate-cwd-");
  const auto script = scripts_.write("env-cli", R"(pwd; printf '%s|%s\n' "$CCGATE_FOO" "$HOME")");
  const LaunchSpec spec{
      script, {script.string()}, {"PATH=/usr/bin:/bin", "CCGATE_FOO=bar baz"}, work.path()};
  auto process = Process::spawn(io_.get_executor(), spec);
  EXPECT_EQ(read_line(process), fs::canonical(work.path()).string());
  EXPECT_EQ(read_line(process), "bar baz|");
}

TEST_F(ClaudeProcess, TheChildInheritsNoStrayDescriptorsAndNoIgnoredSignals) {
  const int stray = ::open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  ASSERT_GE(stray, 3);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction previous {};
  ::sigaction(SIGPIPE, &ignore, &previous);
  auto process = spawn(R"(
    if [ -e /proc/$$/fd/$1 ]; then echo leaked; else echo clean; fi
    grep SigIgn /proc/$$/status)",
                       {std::to_string(stray)});
  ::sigaction(SIGPIPE, &previous, nullptr);
  ::close(stray);
  EXPECT_EQ(read_line(process), "clean");
  const auto ignored = read_line(process);
  ASSERT_TRUE(ignored.has_value());
  const auto mask =
      std::stoull(ignored->substr(ignored->find_first_of("0123456789abcdef")), nullptr, 16);
  EXPECT_EQ(mask & (1ull << (SIGPIPE - 1)), 0u) << *ignored;
}

TEST_F(ClaudeProcess, ExitCodeAndDeathBySignalAreReported) {
  auto exits = spawn("exit 3");
  EXPECT_EQ(run(exits.wait()), 3);
  EXPECT_EQ(exits.exit_status(), 3);
  EXPECT_FALSE(exits.running());

  auto killed = spawn("kill -KILL $$");
  EXPECT_EQ(run(killed.wait()), 128 + SIGKILL);
}

TEST_F(ClaudeProcess, InterruptSendsSigintToTheGroup) {
  auto process = spawn(R"(trap 'echo interrupted; exit 7' INT
echo ready
while :; do sleep 0.05; done)");
  EXPECT_EQ(read_line(process), "ready");
  EXPECT_TRUE(process.running());
  process.interrupt();
  EXPECT_EQ(read_line(process), "interrupted");
  EXPECT_EQ(run(process.wait()), 7);
}

TEST_F(ClaudeProcess, TerminateEndsAPoliteChildWithoutWaitingForTheGrace) {
  auto process = spawn("echo ready\nwhile :; do sleep 0.05; done");
  EXPECT_EQ(read_line(process), "ready");
  const auto started = Clock::now();
  EXPECT_EQ(run(process.terminate(std::chrono::seconds(5))), 128 + SIGTERM);
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(2));
  EXPECT_FALSE(process.running());
  EXPECT_EQ(process_state(process.pid()), std::nullopt) << "reaped, not a zombie";
}

TEST_F(ClaudeProcess, TerminateKillsAChildIgnoringSigtermAndItsGrandchildAfterTheGrace) {
  auto process = spawn(R"(trap '' TERM
sleep 1000 &
echo $!
while :; do sleep 0.05; done)");
  const pid_t grandchild = read_pid(process);
  ASSERT_GT(grandchild, 0);
  EXPECT_FALSE(is_dead(grandchild));
  const auto started = Clock::now();
  EXPECT_EQ(run(process.terminate(std::chrono::milliseconds(300))), 128 + SIGKILL);
  const auto took = Clock::now() - started;
  EXPECT_GE(took, std::chrono::milliseconds(290));
  EXPECT_LT(took, std::chrono::seconds(3));
  EXPECT_EQ(process_state(process.pid()), std::nullopt) << "reaped, not a zombie";
  EXPECT_TRUE(dies_within(grandchild, std::chrono::seconds(2)));
  EXPECT_EQ(read_line(process), std::nullopt) << "every holder of stdout is gone";
}

TEST_F(ClaudeProcess, AChildThatExitsTakesWhatItStartedWithIt) {
  auto process = spawn("sleep 1000 &\necho $!\nexit 5");
  const pid_t grandchild = read_pid(process);
  EXPECT_EQ(run(process.wait()), 5);
  EXPECT_TRUE(dies_within(grandchild, std::chrono::seconds(2)));
  EXPECT_EQ(read_line(process), std::nullopt);
}

TEST_F(ClaudeProcess, DestroyingAProcessWithARunningChildLeavesNoZombieOrOrphan) {
  pid_t child = -1;
  pid_t grandchild = -1;
  {
    auto process = spawn("sleep 1000 &\necho $!\nexec sleep 1000");
    child = process.pid();
    grandchild = read_pid(process);
    EXPECT_TRUE(process.running());
  }
  EXPECT_EQ(process_state(child), std::nullopt) << "the child was reaped in the destructor";
  EXPECT_TRUE(dies_within(grandchild, std::chrono::seconds(2)));
  io_.run_for(std::chrono::milliseconds(50));  // the background coroutines wind down quietly
}

TEST_F(ClaudeProcess, DestroyingAProcessWhileAReadIsPendingCancelsTheRead) {
  auto process = std::make_optional(spawn("exec sleep 1000"));
  const pid_t child = process->pid();
  auto reading = [&]() -> asio::awaitable<std::string> {
    try {
      co_await process->read_line();
      co_return "returned";
    } catch (const boost::system::system_error& error) {
      co_return error.code() == asio::error::operation_aborted ? "aborted" : error.what();
    }
  };
  std::string outcome;
  asio::co_spawn(io_, reading(), [&](std::exception_ptr, std::string result) { outcome = result; });
  io_.run_for(std::chrono::milliseconds(50));
  process.reset();
  io_.run_for(std::chrono::milliseconds(100));
  EXPECT_EQ(outcome, "aborted");
  EXPECT_EQ(process_state(child), std::nullopt);
}

TEST_F(ClaudeProcess, WritingToAChildThatHasGoneFailsWithoutSigpipe) {
  auto process = spawn("exit 0");
  EXPECT_EQ(run(process.wait()), 0);
  try {
    run(process.write("{\"type\":\"user\"}\n"));
    FAIL() << "expected a broken pipe";
  } catch (const boost::system::system_error& error) {
    EXPECT_EQ(error.code(), boost::system::errc::broken_pipe) << error.what();
  }
}

TEST_F(ClaudeProcess, WritingAfterCloseStdinFails) {
  auto process = spawn("exec cat");
  process.close_stdin();
  EXPECT_THROW(run(process.write("late\n")), boost::system::system_error);
  EXPECT_EQ(run(process.wait()), 0);
}

TEST_F(ClaudeProcess, WaitForGivesUpOnAChildThatKeepsRunning) {
  auto process = spawn("exec sleep 1000");
  EXPECT_EQ(run(process.wait_for(std::chrono::milliseconds(100))), std::nullopt);
  EXPECT_TRUE(process.running());
  EXPECT_EQ(process.exit_status(), std::nullopt);
}

TEST_F(ClaudeProcess, AMovedProcessKeepsWorking) {
  auto original = spawn(R"(while IFS= read -r line; do echo "$line"; done)");
  const pid_t pid = original.pid();
  Process moved = std::move(original);
  EXPECT_EQ(moved.pid(), pid);
  run(moved.write("still here\n"));
  EXPECT_EQ(read_line(moved), "still here");
  EXPECT_THROW((void)original.pid(), std::logic_error);  // NOLINT(bugprone-use-after-move)
}

std::size_t open_descriptors() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator("/proc/self/fd")) ++count;
  return count;
}

TEST_F(ClaudeProcess, AStdoutLineOverTheLimitIsAnErrorAfterTheLinesBeforeIt) {
  const auto script = scripts_.write("long-line", R"(echo short
head -c 1048576 /dev/zero | tr '\0' x
echo
echo after)");
  auto process = Process::spawn(io_.get_executor(), spec_for(script), {}, 1024);
  EXPECT_EQ(read_line(process), "short");
  try {
    read_line(process);
    FAIL() << "a 1 MiB line passed a 1 KiB limit";
  } catch (const boost::system::system_error& error) {
    EXPECT_EQ(error.code(), asio::error::message_size);
    EXPECT_THAT(error.what(), HasSubstr("longer than 1024 bytes"));
  }
}

TEST_F(ClaudeProcess, AChildThatHasExitedAndBeenReadToTheEndHoldsNoDescriptor) {
  asio::posix::stream_descriptor event_loop_setup(io_);  // the loop's own descriptors come first
  const auto before = open_descriptors();
  auto process = spawn("echo out; echo err >&2");
  EXPECT_GT(open_descriptors(), before) << "pipes and pidfd while it runs";
  EXPECT_EQ(read_line(process), "out");
  EXPECT_EQ(read_line(process), std::nullopt);
  EXPECT_EQ(run(process.wait()), 0);
  run(process.stderr_closed());
  EXPECT_EQ(open_descriptors(), before) << "the Process object still exists, its descriptors not";
  EXPECT_THROW(run(process.write("late\n")), boost::system::system_error);
}

TEST_F(ClaudeProcess, AMissingBinaryGivesAClearError) {
  try {
    Process::spawn(io_.get_executor(), spec_for("/nonexistent/ccgate-claude"));
    FAIL() << "expected an exception";
  } catch (const std::system_error& error) {
    EXPECT_THAT(error.what(), HasSubstr("cannot start /nonexistent/ccgate-claude"));
    EXPECT_THAT(error.what(), HasSubstr("No such file or directory"));
  }
}

TEST_F(ClaudeProcess, ANonExecutableFileGivesAClearError) {
  const auto script = scripts_.write("not-executable", "echo hi", false);
  try {
    Process::spawn(io_.get_executor(), spec_for(script));
    FAIL() << "expected an exception";
  } catch (const std::system_error& error) {
    EXPECT_THAT(error.what(), HasSubstr(script.string()));
    EXPECT_THAT(error.what(), HasSubstr("Permission denied"));
  }
}

TEST_F(ClaudeProcess, AMissingWorkingDirectoryGivesAClearError) {
  auto spec = spec_for(scripts_.write("fine", "echo hi"));
  spec.cwd = "/nonexistent-ccgate-work";
  try {
    Process::spawn(io_.get_executor(), spec);
    FAIL() << "expected an exception";
  } catch (const std::system_error& error) {
    EXPECT_THAT(error.what(), HasSubstr("in /nonexistent-ccgate-work"));
  }
}

}  // namespace
}  // namespace ccgate::claude
