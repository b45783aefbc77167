// init_problem: a turn must not run when the CLI's system/init line shows the client's tools
// missing. The line is the real one from Claude Code 2.1.330 (offline observations §4c, with
// the auth server of §4d), shortened only where the record elides it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/algorithm/string/replace.hpp>

#include "gateway/init_check.hpp"
#include "gateway_test_support.hpp"

namespace ccgate::gateway {
namespace {

using namespace test_support;  // NOLINT: the room's test helpers
using ::testing::HasSubstr;

constexpr std::string_view kInitLine =
    R"({"type":"system","subtype":"init","cwd":"scratch","session_id":"80f6ee34-8ef9-4f0e-91aa-8455570bf694",)"
    R"("tools":["Task","Bash","CronCreate","CronDelete","CronList","Edit","EnterWorktree","ExitWorktree",)"
    R"("ListAgents","Monitor","NotebookEdit","Read","ReportFindings","ScheduleWakeup","SendMessage","Skill",)"
    R"("TaskStop","WebFetch","WebSearch","Workflow","Write","mcp__gateway__get_weather"],)"
    R"("mcp_servers":[{"name":"gateway","status":"connected","source":"dynamic"},)"
    R"({"name":"auth","status":"connected","source":"dynamic"}],)"
    R"("model":"claude-opus-5-5","permissionMode":"default","slash_commands":[],)"
    R"("terminal_slash_commands":["doctor","color","focus","reload-plugins"],)"
    R"("apiKeySource":"ANTHROPIC_API_KEY","claude_code_version":"2.1.330","output_style":"default",)"
    R"("agents":[],"skills":[],"plugins":[],"capabilities":[],"analytics_disabled":true,)"
    R"("product_feedback_disabled":true,"served_by_anthropic":false,)"
    R"("uuid":"b5689dec-afb5-4767-9204-190eef030a9a",)"
    R"("memory_paths":{"auto":"scratch/home/.claude/projects/-tmp-cccheck/memory/"},)"
    R"("original_cwd":"scratch","additional_directories":[],)"
    R"("messaging_socket_path":"$TMPDIR/cc-socks/10846.sock","fast_mode_state":"off",)"
    R"("fast_mode_disabled_reason":"sdk_opt_in_required","per_turn_effort_active":true,)"
    R"("ultrathink_available":false,"ultrathink_typed_raises":false,"view_mode":"default"})";

json::object init_line(std::string_view from, std::string_view to) {
  return json::parse(boost::algorithm::replace_all_copy(std::string(kInitLine), from, to))
      .as_object();
}

json::object init_line() {
  return json::parse(kInitLine).as_object();
}

class GatewayInitCheck : public ::testing::Test {
 protected:
  std::shared_ptr<const ToolSet> tools(std::vector<openai::Tool> client_tools) {
    return manager_.tool_set(client_tools);
  }
  ToolManager manager_{300'000ms};
};

TEST_F(GatewayInitCheck, RecognisesTheInitLine) {
  EXPECT_TRUE(is_init_line(init_line()));
  EXPECT_FALSE(is_init_line(json::parse(R"({"type":"system","subtype":"status"})").as_object()));
  EXPECT_FALSE(is_init_line(json::parse(R"({"type":"assistant","subtype":"init"})").as_object()));
}

TEST_F(GatewayInitCheck, BothServersConnectedAndEveryToolListedIsFine) {
  EXPECT_EQ(init_problem(init_line(), *tools({tool("get_weather")})), std::nullopt);
}

TEST_F(GatewayInitCheck, NoClientToolsNeedNoToolListed) {
  const auto line = init_line(R"(,"mcp__gateway__get_weather")", "");
  EXPECT_EQ(init_problem(line, *tools({})), std::nullopt);
}

TEST_F(GatewayInitCheck, AFailedGatewayServerIsNamed) {
  const auto line = init_line(R"({"name":"gateway","status":"connected")",
                              R"({"name":"gateway","status":"failed")");
  const auto problem = init_problem(line, *tools({tool("get_weather")}));
  ASSERT_TRUE(problem.has_value());
  EXPECT_THAT(*problem, HasSubstr("gateway"));
  EXPECT_THAT(*problem, HasSubstr("failed"));
}

TEST_F(GatewayInitCheck, AnAbsentGatewayServerIsNamed) {
  const auto line = init_line(R"({"name":"gateway","status":"connected","source":"dynamic"},)", "");
  ASSERT_EQ(line.at("mcp_servers").as_array().size(), 1u);
  const auto problem = init_problem(line, *tools({tool("get_weather")}));
  ASSERT_TRUE(problem.has_value());
  EXPECT_THAT(*problem, HasSubstr("gateway"));
  EXPECT_THAT(*problem, HasSubstr("absent"));
}

TEST_F(GatewayInitCheck, AnAuthServerThatIsNotConnectedIsNamed) {
  const auto line =
      init_line(R"({"name":"auth","status":"connected")", R"({"name":"auth","status":"pending")");
  const auto problem = init_problem(line, *tools({tool("get_weather")}));
  ASSERT_TRUE(problem.has_value());
  EXPECT_THAT(*problem, HasSubstr("auth"));
}

TEST_F(GatewayInitCheck, AMissingClientToolIsNamedAsTheClientNamedIt) {
  const auto problem = init_problem(init_line(), *tools({tool("get_weather"), tool("search.web")}));
  ASSERT_TRUE(problem.has_value());
  EXPECT_THAT(*problem, HasSubstr("search.web"));

  const auto listed = init_line(R"("mcp__gateway__get_weather"])",
                                R"("mcp__gateway__get_weather","mcp__gateway__search_web"])");
  EXPECT_EQ(init_problem(listed, *tools({tool("get_weather"), tool("search.web")})), std::nullopt);
}

}  // namespace
}  // namespace ccgate::gateway
