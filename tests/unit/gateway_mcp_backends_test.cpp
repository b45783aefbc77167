// The gateway's two MCP backends: the approval policy ("auth") and the client's tools ("gateway").

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include "gateway/mcp_backends.hpp"
#include "gateway_test_support.hpp"

namespace ccgate::gateway {
namespace {

using namespace test_support;  // NOLINT: the room's test helpers
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const json::value kInput = json::parse(R"({"city":"Paris","units":{"temperature":"C"}})");

json::object decision(const Session* session, std::string_view tool_name,
                      const json::value& input = kInput) {
  return json::parse(approval_decision(session, tool_name, input)).as_object();
}

void expect_denied(const json::object& answer, std::string_view mentioning = {}) {
  EXPECT_EQ(answer.at("behavior"), "deny") << json::serialize(answer);
  ASSERT_TRUE(answer.contains("message"));
  EXPECT_THAT(std::string(answer.at("message").as_string()), Not(IsEmpty()));
  if (!mentioning.empty()) {
    EXPECT_THAT(std::string(answer.at("message").as_string()), HasSubstr(mentioning));
  }
  EXPECT_FALSE(answer.contains("updatedInput"));
}

class GatewayBackends : public FakeCliSessions {
 protected:
  ~GatewayBackends() override { stop_loop(); }  // calls still running use gateway_ and approval_

  // A session serving the client tools "get_weather" and "search.web" (served as "search_web").
  std::shared_ptr<Session> session_with_tools() {
    return start(identity("sonnet", "Be brief.", {tool("get_weather"), tool("search.web")}))
        .session;
  }

  mcp::CallResult call(mcp::Backend& backend, mcp::CallRequest request) {
    auto result = asio::co_spawn(io_, backend.call_tool(std::move(request)), asio::use_future);
    if (result.wait_for(5s) != std::future_status::ready)
      throw std::runtime_error("the tool call did not finish");
    return result.get();
  }

  static mcp::CallRequest request(const std::shared_ptr<Session>& session, std::string tool_name,
                                  std::string tool_use_id) {
    mcp::CallRequest request;
    request.session_id = session->id();
    request.tool_name = std::move(tool_name);
    request.arguments = kInput.as_object();
    request.tool_use_id = std::move(tool_use_id);
    request.request_id = 7;
    return request;
  }

  GatewayTools gateway_{sessions_, tool_calls_, settings_};
  WebhookClient webhooks_{io_.get_executor()};
  ToolPolicy policy_{settings_.extensions.policy, webhooks_, nullptr};  // none configured
  Approval approval_{sessions_, policy_};
};

// --- approval_decision -------------------------------------------------------------------------

TEST_F(GatewayBackends, AClientToolIsAllowedWithItsInputUnchanged) {
  const auto session = session_with_tools();
  const auto answer = decision(session.get(), "mcp__gateway__get_weather");
  EXPECT_EQ(answer.at("behavior"), "allow");
  EXPECT_EQ(answer.at("updatedInput"), kInput);

  const auto mapped = decision(session.get(), "mcp__gateway__search_web");
  EXPECT_EQ(mapped.at("behavior"), "allow") << "the safe name of the client's search.web";
  EXPECT_EQ(mapped.at("updatedInput"), kInput);
}

TEST_F(GatewayBackends, EverythingButTheClientsToolsIsDenied) {
  const auto session = session_with_tools();
  expect_denied(decision(session.get(), "Bash", json::parse(R"({"command":"rm -rf /"})")), "Bash");
  expect_denied(decision(session.get(), "Write"), "Write");
  expect_denied(decision(session.get(), "mcp__gateway__delete_files"),
                "mcp__gateway__delete_files");
  expect_denied(decision(session.get(), "mcp__other__get_weather"), "mcp__other__get_weather");
  expect_denied(decision(session.get(), "mcp__auth__approval_prompt"));
  // The client's raw name is not what the CLI calls.
  expect_denied(decision(session.get(), "mcp__gateway__search.web"));
  expect_denied(decision(session.get(), "get_weather"));
  expect_denied(decision(session.get(), ""));
}

TEST_F(GatewayBackends, NoToolIsAllowedWhileTheClientAskedForNone) {
  const auto session = session_with_tools();
  session->set_tools_allowed(false);
  expect_denied(decision(session.get(), "mcp__gateway__get_weather"), "tool_choice");
  expect_denied(decision(session.get(), "Bash"));
  session->set_tools_allowed(true);
  EXPECT_EQ(decision(session.get(), "mcp__gateway__get_weather").at("behavior"), "allow");
}

TEST(GatewayApprovalDecision, WithoutASessionEverythingIsDenied) {
  expect_denied(decision(nullptr, "mcp__gateway__get_weather"));
}

// --- the backends --------------------------------------------------------------------------------

TEST_F(GatewayBackends, OnlyTheSessionsOwnSecretIsAuthorized) {
  const auto session = session_with_tools();
  EXPECT_TRUE(approval_.authorized(session->id(), session->identity().secret));
  EXPECT_FALSE(approval_.authorized(session->id(), "secret-of-someone-else"));
  EXPECT_FALSE(approval_.authorized(session->id(), ""));
  EXPECT_FALSE(approval_.authorized("session-unknown", session->identity().secret));
  EXPECT_FALSE(approval_.authorized("session-unknown", ""));
  EXPECT_FALSE(approval_.authorized("", ""));
}

TEST_F(GatewayBackends, ApprovalPromptAnswersWithTheDecisionForItsSession) {
  const auto session = session_with_tools();
  ASSERT_EQ(approval_.list_tools(session->id()).size(), 1u);
  EXPECT_EQ(approval_.list_tools(session->id()).front().name, "approval_prompt");

  auto allow = request(session, "approval_prompt", "toolu_1");
  allow.arguments = json::object{
      {"tool_name", "mcp__gateway__get_weather"}, {"input", kInput}, {"tool_use_id", "toolu_1"}};
  const auto allowed = call(approval_, allow);
  EXPECT_FALSE(allowed.is_error);
  EXPECT_EQ(json::parse(allowed.text).at("behavior"), "allow");
  EXPECT_EQ(json::parse(allowed.text).at("updatedInput"), kInput);

  auto deny = allow;
  deny.arguments["tool_name"] = "Bash";
  EXPECT_EQ(json::parse(call(approval_, deny).text).at("behavior"), "deny");

  auto ended = allow;
  ended.session_id = "session-unknown";
  EXPECT_EQ(json::parse(call(approval_, ended).text).at("behavior"), "deny");
}

TEST_F(GatewayBackends, TheGatewayListsTheSessionsToolsUnderSafeNames) {
  const auto session = session_with_tools();
  std::vector<std::string> names;
  for (const auto& listed : gateway_.list_tools(session->id())) names.push_back(listed.name);
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("get_weather", "search_web"));
  EXPECT_THAT(gateway_.list_tools("session-unknown"), IsEmpty());
}

TEST_F(GatewayBackends, AGatewayToolCallReturnsTheClientsResult) {
  const auto session = session_with_tools();
  tool_calls_.hand_out(session->id(), "call_early", "toolu_early");
  tool_calls_.hand_out(session->id(), "call_parked", "toolu_parked");
  EXPECT_TRUE(tool_calls_.deliver(session->id(), "call_early", mcp::CallResult{"sunny", false}));
  const auto early = call(gateway_, request(session, "get_weather", "toolu_early"));
  EXPECT_EQ(early.text, "sunny");
  EXPECT_FALSE(early.is_error);

  auto parked = asio::co_spawn(
      io_, gateway_.call_tool(request(session, "search_web", "toolu_parked")), asio::use_future);
  ASSERT_TRUE(eventually([this] { return tool_calls_.waiting() == 1; }));
  EXPECT_TRUE(
      tool_calls_.deliver(session->id(), "call_parked", mcp::CallResult{"no results", true}));
  ASSERT_EQ(parked.wait_for(3s), std::future_status::ready);
  const auto answered = parked.get();
  EXPECT_EQ(answered.text, "no results");
  EXPECT_TRUE(answered.is_error) << "the client's error result stays an error";
}

TEST_F(GatewayBackends, TwoSessionsWhoseModelsRepeatAToolUseIdEachGetTheirOwnResult) {
  const auto first = session_with_tools();
  const auto second = session_with_tools();
  tool_calls_.hand_out(first->id(), "call_first", "call_0");
  tool_calls_.hand_out(second->id(), "call_second", "call_0");

  auto parked_first = asio::co_spawn(
      io_, gateway_.call_tool(request(first, "get_weather", "call_0")), asio::use_future);
  auto parked_second = asio::co_spawn(
      io_, gateway_.call_tool(request(second, "get_weather", "call_0")), asio::use_future);
  ASSERT_TRUE(eventually([this] { return tool_calls_.waiting() == 2; }));

  EXPECT_FALSE(tool_calls_.deliver(first->id(), "call_second", mcp::CallResult{"stolen", false}))
      << "a session cannot answer another session's call";
  EXPECT_TRUE(tool_calls_.deliver(second->id(), "call_second", mcp::CallResult{"Oslo", false}));
  ASSERT_EQ(parked_second.wait_for(3s), std::future_status::ready);
  EXPECT_EQ(parked_second.get().text, "Oslo");
  EXPECT_EQ(parked_first.wait_for(50ms), std::future_status::timeout)
      << "the other session's call with the same id still waits";

  EXPECT_TRUE(tool_calls_.deliver(first->id(), "call_first", mcp::CallResult{"Paris", false}));
  ASSERT_EQ(parked_first.wait_for(3s), std::future_status::ready);
  EXPECT_EQ(parked_first.get().text, "Paris");
}

TEST_F(GatewayBackends, AGatewayCallThatCannotBeRoutedFailsAtOnce) {
  const auto session = session_with_tools();
  EXPECT_TRUE(call(gateway_, request(session, "delete_files", "toolu_1")).is_error);
  EXPECT_TRUE(call(gateway_, request(session, "get_weather", "")).is_error);
  auto ended = request(session, "get_weather", "toolu_2");
  ended.session_id = "session-unknown";
  EXPECT_TRUE(call(gateway_, ended).is_error);
  EXPECT_EQ(tool_calls_.waiting(), 0u);
}

TEST_F(GatewayBackends, ATimedOutCallExpiresItsSessionWhichEndsAfterTheTurn) {
  settings_.tool_call_timeout = 50ms;
  const auto started = start(identity("sonnet", "Be brief.", {tool("get_weather")}));

  const auto result = call(gateway_, request(started.session, "get_weather", "toolu_slow"));
  EXPECT_TRUE(result.is_error);
  EXPECT_THAT(result.text, Not(IsEmpty()));
  EXPECT_TRUE(started.session->expired());
  EXPECT_FALSE(started.session->try_begin_turn()) << "a late result cannot continue it";
  EXPECT_EQ(sessions_.find(started.session->id()), started.session)
      << "the CLI still has to finish the turn with the error result";

  // The stand-in echoes what it is given: this is the CLI reporting the end of the turn.
  write_line(started.session, R"({"type":"assistant","message":{"content":[]}})");
  write_line(started.session,
             R"({"type":"result","subtype":"success","is_error":false,"result":"Sorry."})");
  EXPECT_TRUE(eventually([&] { return sessions_.find(started.session->id()) == nullptr; }));
  EXPECT_TRUE(eventually([&] { return process_gone(started.pid); }));
  EXPECT_TRUE(eventually([&] { return !fs::exists(started.dir); }));
}

}  // namespace
}  // namespace ccgate::gateway
