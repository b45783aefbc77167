#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "mcp/protocol.hpp"

namespace ccgate::mcp {
namespace {

namespace json = boost::json;

class ListingBackend : public Backend {
 public:
  bool authorized(std::string_view, std::string_view) const override { return true; }
  std::vector<Tool> list_tools(std::string_view session_id) const override {
    listed_for = std::string(session_id);
    return tools;
  }
  boost::asio::awaitable<CallResult> call_tool(CallRequest) override { co_return CallResult{}; }

  std::vector<Tool> tools;
  mutable std::string listed_for;
};

const ServerInfo kServer{"gateway", "1.2.3"};

Action decide_body(std::string_view body, const Backend& backend, std::string_view session = "s1") {
  auto parsed = jsonrpc::parse(body, 64);
  if (!std::holds_alternative<jsonrpc::Message>(parsed)) {
    ADD_FAILURE() << "not a message: " << body;
    return Acknowledge{};
  }
  return decide(std::get<jsonrpc::Message>(parsed), session, kServer, backend);
}

json::value immediate(std::string_view body, const Backend& backend) {
  const auto action = decide_body(body, backend);
  EXPECT_TRUE(std::holds_alternative<ImmediateReply>(action)) << body;
  if (!std::holds_alternative<ImmediateReply>(action)) return nullptr;
  EXPECT_FALSE(std::get<ImmediateReply>(action).as_event_stream) << body;
  return std::get<ImmediateReply>(action).message;
}

TEST(McpProtocol, DiscoverProbeGetsMethodNotFoundSoTheCliFallsBack) {
  ListingBackend backend;
  const auto reply = immediate(
      R"({"jsonrpc":"2.0","id":"server-discover-probe-1","method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}})",
      backend);
  EXPECT_EQ(reply, json::parse(R"({"jsonrpc":"2.0","id":"server-discover-probe-1","error":{
                               "code":-32601,"message":"Method not found: server/discover"}})"));
}

TEST(McpProtocol, InitializeEchoesEverySupportedVersion) {
  ListingBackend backend;
  for (const auto version : kSupportedProtocolVersions) {
    const auto reply = immediate(
        R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":")" +
            std::string(version) + R"(","capabilities":{},"clientInfo":{"name":"claude-code"}}})",
        backend);
    EXPECT_EQ(reply.at("result").at("protocolVersion"), json::value(version));
  }
}

TEST(McpProtocol, InitializeAnswersOurLatestToAnUnknownVersion) {
  ListingBackend backend;
  for (const auto* params :
       {R"({"protocolVersion":"2099-01-01"})", R"({})", R"({"protocolVersion":20250618})"}) {
    const auto reply = immediate(
        R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":)" + std::string(params) + "}",
        backend);
    EXPECT_EQ(reply.at("result").at("protocolVersion"), json::value("2025-11-25")) << params;
  }
}

TEST(McpProtocol, InitializeResultAdvertisesToolsAndNamesTheServer) {
  ListingBackend backend;
  const auto reply = immediate(
      R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18"}})",
      backend);
  EXPECT_EQ(reply, json::parse(R"({"jsonrpc":"2.0","id":0,"result":{
      "protocolVersion":"2025-06-18","capabilities":{"tools":{"listChanged":false}},
      "serverInfo":{"name":"gateway","version":"1.2.3"}}})"));
}

TEST(McpProtocol, NotificationsAreAcknowledged) {
  ListingBackend backend;
  for (const auto* body : {R"({"jsonrpc":"2.0","method":"notifications/initialized"})",
                           R"({"jsonrpc":"2.0","method":"notifications/roots/list_changed"})",
                           R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{}})",
                           R"({"jsonrpc":"2.0","method":"tools/call","params":{"name":"x"}})"}) {
    EXPECT_TRUE(std::holds_alternative<Acknowledge>(decide_body(body, backend))) << body;
  }
}

TEST(McpProtocol, ResponsesFromTheClientAreAcknowledged) {
  ListingBackend backend;
  EXPECT_TRUE(std::holds_alternative<Acknowledge>(
      decide_body(R"({"jsonrpc":"2.0","id":5,"result":{}})", backend)));
}

TEST(McpProtocol, CancelledNotificationNamesTheRequestToStop) {
  ListingBackend backend;
  const auto action = decide_body(
      R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7,"reason":"user"}})",
      backend);
  ASSERT_TRUE(std::holds_alternative<CancelCall>(action));
  EXPECT_EQ(std::get<CancelCall>(action).request_id, json::value(7));
}

TEST(McpProtocol, PingAnswersEmptyObject) {
  ListingBackend backend;
  EXPECT_EQ(immediate(R"({"jsonrpc":"2.0","id":3,"method":"ping"})", backend),
            json::parse(R"({"jsonrpc":"2.0","id":3,"result":{}})"));
}

TEST(McpProtocol, ToolsListComesFromTheBackendForThatSession) {
  ListingBackend backend;
  backend.tools = {
      Tool{"get_weather", "Weather for a city.",
           json::parse(R"({"type":"object","properties":{"city":{"type":"string"}}})").as_object(),
           true},
      Tool{"no_schema", "", {}, false}};
  const auto reply = immediate(
      R"({"method":"tools/list","params":{"cursor":"x"},"jsonrpc":"2.0","id":1})", backend);
  EXPECT_EQ(backend.listed_for, "s1");
  EXPECT_EQ(reply, json::parse(R"({"jsonrpc":"2.0","id":1,"result":{"tools":[
      {"name":"get_weather","description":"Weather for a city.",
       "inputSchema":{"type":"object","properties":{"city":{"type":"string"}}},
       "annotations":{"readOnlyHint":true}},
      {"name":"no_schema","description":"","inputSchema":{"type":"object"},
       "annotations":{"readOnlyHint":false}}]}})"));
}

TEST(McpProtocol, ToolsCallStartsACallCarryingTheToolUseId) {
  ListingBackend backend;
  const auto action = decide_body(
      R"({"method":"tools/call","params":{"name":"get_weather","arguments":{"city":"Paris"},
          "_meta":{"claudecode/toolUseId":"toolu_fake0001","progressToken":2}},"jsonrpc":"2.0","id":2})",
      backend, "sess-42");
  ASSERT_TRUE(std::holds_alternative<StartCall>(action));
  const auto& request = std::get<StartCall>(action).request;
  EXPECT_EQ(request.session_id, "sess-42");
  EXPECT_EQ(request.tool_name, "get_weather");
  EXPECT_EQ(request.arguments, json::parse(R"({"city":"Paris"})").as_object());
  EXPECT_EQ(request.tool_use_id, "toolu_fake0001");
  EXPECT_EQ(request.request_id, json::value(2));
}

TEST(McpProtocol, ToolsCallWithoutMetaOrArguments) {
  ListingBackend backend;
  const auto action = decide_body(
      R"({"jsonrpc":"2.0","id":"c","method":"tools/call","params":{"name":"now"}})", backend);
  ASSERT_TRUE(std::holds_alternative<StartCall>(action));
  const auto& request = std::get<StartCall>(action).request;
  EXPECT_TRUE(request.arguments.empty());
  EXPECT_TRUE(request.tool_use_id.empty());
  EXPECT_EQ(request.request_id, json::value("c"));
}

TEST(McpProtocol, ToolsCallWithBadParamsIsInvalidParamsAnsweredAsAStream) {
  ListingBackend backend;
  for (const auto* params : {R"({"name":"x","arguments":[1,2]})", R"({"name":"x","arguments":"a"})",
                             R"({"arguments":{}})", R"({"name":""})", R"([1])"}) {
    const auto action = decide_body(
        R"({"jsonrpc":"2.0","id":8,"method":"tools/call","params":)" + std::string(params) + "}",
        backend);
    ASSERT_TRUE(std::holds_alternative<ImmediateReply>(action)) << params;
    const auto& reply = std::get<ImmediateReply>(action);
    EXPECT_TRUE(reply.as_event_stream);
    EXPECT_EQ(json::value(reply.message).at("error").at("code"), json::value(-32602)) << params;
    EXPECT_EQ(json::value(reply.message).at("id"), json::value(8));
  }
}

TEST(McpProtocol, UnknownMethodIsMethodNotFound) {
  ListingBackend backend;
  for (const auto* method : {"resources/list", "prompts/list", "sampling/createMessage"}) {
    const auto reply = immediate(
        R"({"jsonrpc":"2.0","id":11,"method":")" + std::string(method) + R"("})", backend);
    EXPECT_EQ(reply.at("error").at("code"), json::value(-32601)) << method;
    EXPECT_EQ(reply.at("error").at("message"),
              json::value("Method not found: " + std::string(method)));
    EXPECT_EQ(reply.at("id"), json::value(11));
  }
}

TEST(McpProtocol, CallResultMessageCarriesTextAndErrorFlag) {
  EXPECT_EQ(json::value(call_result_message(json::value(7), CallResult{"18°C, cloudy", false})),
            json::parse(R"({"jsonrpc":"2.0","id":7,"result":{
                "content":[{"type":"text","text":"18°C, cloudy"}],"isError":false}})"));
  EXPECT_EQ(json::value(call_result_message(json::value("q"), CallResult{"timed out", true}))
                .at("result")
                .at("isError"),
            json::value(true));
}

}  // namespace
}  // namespace ccgate::mcp
