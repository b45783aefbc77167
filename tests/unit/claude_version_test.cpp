#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "claude/version.hpp"
#include "claude_test_support.hpp"

namespace ccgate::claude {
namespace {

using namespace test_support;  // NOLINT: the room's test helpers
using ::testing::HasSubstr;

class ClaudeVersion : public ::testing::Test {
 protected:
  std::string version_of(const std::string& script_body,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto script = scripts_.write("claude", script_body);
    return run(io_, cli_version(io_.get_executor(), script, timeout));
  }

  std::string error_of(const std::string& script_body,
                       std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    try {
      version_of(script_body, timeout);
    } catch (const std::runtime_error& error) {
      return error.what();
    }
    ADD_FAILURE() << "expected an error";
    return {};
  }

  asio::io_context io_;
  Scripts scripts_;
};

TEST_F(ClaudeVersion, ReadsTheVersionFromAnIsolatedRun) {
  // The fake answers only when called as the gateway calls it: --version, isolated HOME.
  const std::string strict_fake = R"sh([ "$1" = "--version" ] || exit 9
case "$HOME" in */ccgate-version-*/home) ;; *) exit 8 ;; esac
[ -z "$CLAUDECODE" ] || exit 7
echo "2.1.330 (Claude Code)")sh";
  EXPECT_EQ(version_of(strict_fake), "2.1.330");
}

TEST_F(ClaudeVersion, AFailingCliReportsItsStatusAndFirstErrorLine) {
  const auto message = error_of(
      "echo 'Error: claude native binary not installed.' >&2\necho 'more detail' >&2\nexit 1");
  EXPECT_THAT(message, HasSubstr("status 1"));
  EXPECT_THAT(message, HasSubstr("Error: claude native binary not installed."));
}

TEST_F(ClaudeVersion, OutputWithoutAVersionIsAnError) {
  EXPECT_THAT(error_of("echo 'Claude Code'"), HasSubstr("printed no version"));
}

TEST_F(ClaudeVersion, ACliThatHangsTimesOutAndIsKilled) {
  const auto pid_file = scripts_.path() / "pid";
  const auto started = std::chrono::steady_clock::now();
  const auto message = error_of("echo $$ > '" + pid_file.string() + "'\nexec sleep 1000",
                                std::chrono::milliseconds(300));
  EXPECT_THAT(message, HasSubstr("did not answer --version within 300 ms"));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  pid_t pid = -1;
  std::ifstream(pid_file) >> pid;
  ASSERT_GT(pid, 0);
  EXPECT_EQ(process_state(pid), std::nullopt) << "killed and reaped";
}

TEST_F(ClaudeVersion, AMissingCliSaysItCannotStart) {
  try {
    run(io_, cli_version(io_.get_executor(), "/nonexistent/claude"));
    FAIL() << "expected an error";
  } catch (const std::runtime_error& error) {
    EXPECT_THAT(error.what(), HasSubstr("cannot start"));
    EXPECT_THAT(error.what(), HasSubstr("/nonexistent/claude"));
  }
}

TEST(ClaudeVersionText, ParsesTheFirstDottedTriple) {
  EXPECT_EQ(parse_version("2.1.330 (Claude Code)\n"), "2.1.330");
  EXPECT_EQ(parse_version("claude v10.20.3-beta"), "10.20.3");
  EXPECT_EQ(parse_version("build 1.2 then 3.4.5"), "3.4.5");
  EXPECT_EQ(parse_version("no version here"), std::nullopt);
  EXPECT_EQ(parse_version("1.2."), std::nullopt);
}

TEST(ClaudeVersionText, ComparesNumericallyPartByPart) {
  EXPECT_TRUE(version_at_least("2.1.330", "2.1.99"));
  EXPECT_TRUE(version_at_least("2.1.330", "2.1.330"));
  EXPECT_TRUE(version_at_least("10.0.0", "9.9.9"));
  EXPECT_FALSE(version_at_least("2.0.99", "2.1.0"));
  EXPECT_FALSE(version_at_least("1.9.9", "2.0.0"));
  EXPECT_FALSE(version_at_least("garbage", "2.0.0"));
}

}  // namespace
}  // namespace ccgate::claude
