// Executors: command tools run in the conversation's work dir with the input on stdin, bounded in
// time and output, killed with their process group; and own_tool_verdict's approval.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "gateway/executors.hpp"
#include "gateway/mcp_backends.hpp"
#include "gateway_test_support.hpp"

namespace ccgate::gateway {
namespace {

using namespace test_support;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class GatewayExecutors : public FakeCliSessions {
 protected:
  ~GatewayExecutors() override { stop_loop(); }

  ToolExecutor command_tool(std::string name, std::string body,
                            std::chrono::milliseconds timeout = 5000ms,
                            std::size_t max_output = 1024 * 1024) {
    const auto script = scripts_.write(name, body);
    return ToolExecutor{.name = std::move(name),
                        .description = "A command.",
                        .input_schema = json::object{{"type", "object"}},
                        .run = CommandRun{.argv = {script.string(), "an-argument"},
                                          .timeout = timeout,
                                          .max_output = max_output,
                                          .env = {{"TOOL_MARKER", "marked"}}}};
  }

  mcp::CallResult call(Executors& executors, const ToolExecutor& tool,
                       const std::shared_ptr<Session>& session, json::object input = {}) {
    auto running =
        asio::co_spawn(io_, executors.call(tool, session, std::move(input)), asio::use_future);
    if (running.wait_for(20s) != std::future_status::ready)
      throw std::runtime_error("the executor call did not finish");
    return running.get();
  }

  WebhookClient webhooks_{io_.get_executor()};
};

TEST_F(GatewayExecutors, ACommandGetsTheInputOnStdinAndItsStdoutIsTheResult) {
  const auto tool = command_tool("echoes", R"sh(printf '%s|%s|' "$1" "$(cat)"; pwd; env | sort)sh");
  Executors executors({tool}, io_.get_executor(), webhooks_);
  const auto started = start();
  const auto result = call(executors, tool, started.session, json::object{{"word", "banana"}});
  EXPECT_FALSE(result.is_error) << result.text;
  EXPECT_THAT(result.text, StartsWith(R"(an-argument|{"word":"banana"}|)" +
                                      (started.dir / "work").string() + "\n"));
  EXPECT_THAT(result.text, HasSubstr("HOME=" + (started.dir / "tool-home").string()));
  EXPECT_THAT(result.text, HasSubstr("TOOL_MARKER=marked"));
  for (std::string_view line : {"CLAUDE", "ANTHROPIC", "GATEWAY", "TMPDIR"})
    EXPECT_THAT(result.text, ::testing::Not(HasSubstr(std::string(line) + "_"))) << line;
}

TEST_F(GatewayExecutors, OutputPastMaxOutputStopsTheCommand) {
  const auto tool = command_tool("floods", "yes 0123456789abcdef", 10'000ms, 4096);
  Executors executors({tool}, io_.get_executor(), webhooks_);
  const auto started = start();
  const auto result = call(executors, tool, started.session);
  EXPECT_TRUE(result.is_error);
  EXPECT_EQ(result.text,
            "floods wrote more than 4096 bytes of output (its max_output); it was stopped.");
}

TEST_F(GatewayExecutors, AOneLineFloodPastMaxOutputStopsTheCommand) {
  const auto tool =
      command_tool("one_line", "head -c 100000 /dev/zero | tr '\\0' y", 10'000ms, 4096);
  Executors executors({tool}, io_.get_executor(), webhooks_);
  const auto started = start();
  const auto result = call(executors, tool, started.session);
  EXPECT_TRUE(result.is_error);
  EXPECT_THAT(result.text, HasSubstr("wrote more than 4096 bytes"));
}

TEST_F(GatewayExecutors, ACommandThatHangsIsKilledWithItsGroupAtItsTimeout) {
  const auto pid_file = scripts_.path() / "pids";
  const auto tool =
      command_tool("hangs", "sleep 30 & echo $$ $! > " + pid_file.string() + "; wait", 300ms);
  Executors executors({tool}, io_.get_executor(), webhooks_);
  const auto started = start();
  const auto result = call(executors, tool, started.session);
  EXPECT_TRUE(result.is_error);
  EXPECT_EQ(result.text, "hangs did not finish within 0.3 s (its timeout); it was stopped.");
  pid_t shell = 0;
  pid_t sleeper = 0;
  std::ifstream(pid_file) >> shell >> sleeper;
  ASSERT_GT(sleeper, 0);
  EXPECT_TRUE(process_gone(shell));
  EXPECT_TRUE(eventually([&] { return process_gone(sleeper); }));
}

TEST_F(GatewayExecutors, ANonZeroExitIsAnErrorWithWhatTheCommandSaid) {
  const auto tool = command_tool("fails", "echo 'no such word' >&2; exit 3");
  Executors executors({tool}, io_.get_executor(), webhooks_);
  const auto result = call(executors, tool, start().session);
  EXPECT_TRUE(result.is_error);
  EXPECT_EQ(result.text, "fails failed (exit status 3): no such word");
}

TEST_F(GatewayExecutors, EndingTheConversationStopsItsCommandBeforeTheDirIsRemoved) {
  const auto tool = command_tool("lingers", "sleep 30", 20'000ms);
  Executors executors({tool}, io_.get_executor(), webhooks_);
  const auto started = start();
  auto running = asio::co_spawn(io_, executors.call(tool, started.session, {}), asio::use_future);
  std::this_thread::sleep_for(200ms);
  sessions_.end(started.session, ExitCause::shutdown);
  ASSERT_EQ(running.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(running.get().text, "This conversation has ended.");
  EXPECT_TRUE(eventually([&] { return !fs::exists(started.dir); }));
}

TEST_F(GatewayExecutors, AClientToolNamedLikeAnExecutorClashes) {
  Executors executors({command_tool("lookup_order", "true")}, io_.get_executor(), webhooks_);
  EXPECT_FALSE(executors.name_clash({tool("get_weather")}));
  EXPECT_THAT(executors.name_clash({tool("get_weather"), tool("lookup_order")}).value_or(""),
              HasSubstr("'lookup_order'"));
  EXPECT_THAT(executors.name_clash({tool("lookup.order")}).value_or(""),
              HasSubstr("the model would see it as 'lookup_order'"));
}

TEST_F(GatewayExecutors, ApprovalAllowsTheExecutorsAndTheAllowedBuiltinsInsideTheWorkDir) {
  const auto lookup = command_tool("lookup_order", "true");
  Executors executors({lookup}, io_.get_executor(), webhooks_);
  ToolManager with_executors(300'000ms, executors.mcp_tools());
  auto identity = this->identity();
  identity.tools = with_executors.tool_set({tool("get_weather")});
  identity.builtin_tools = {"Read"};
  const auto started = start(std::move(identity));
  const Session* session = started.session.get();
  auto behaviour = [&](std::string_view tool_name, std::string_view input) {
    const auto answer = json::parse(approval_decision(session, tool_name, json::parse(input)));
    return std::string(answer.at("behavior").as_string());
  };
  EXPECT_EQ(behaviour("mcp__gateway__lookup_order", R"({"id":"A1"})"), "allow");
  EXPECT_EQ(behaviour("mcp__gateway__get_weather", "{}"), "allow");
  EXPECT_EQ(
      behaviour("Read", R"({"file_path":")" + (started.dir / "work" / "x").string() + R"("})"),
      "allow");
  EXPECT_EQ(behaviour("Read", R"({"file_path":")" + (started.dir / "home").string() + R"("})"),
            "deny");
  EXPECT_EQ(behaviour("Grep", R"({"pattern":"x"})"), "deny");  // not allowed for this session
  EXPECT_EQ(behaviour("mcp__gateway__other", "{}"), "deny");
  started.session->set_tools_allowed(false);  // tool_choice: none
  EXPECT_EQ(behaviour("mcp__gateway__lookup_order", R"({"id":"A1"})"), "deny");
}

}  // namespace
}  // namespace ccgate::gateway
