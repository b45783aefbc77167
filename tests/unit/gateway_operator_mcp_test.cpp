// Operator MCP servers: which conversations get which servers, the --mcp-config entries the CLI
// gets, the approval rule (allow_tools), the init-line check, and the metrics label.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "gateway/mcp_backends.hpp"
#include "gateway/operator_mcp.hpp"
#include "gateway_test_support.hpp"

namespace ccgate::gateway {
namespace {

using namespace test_support;  // NOLINT: the room's test helpers
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

OperatorMcpServer stdio_server(std::string name, std::vector<std::string> allow) {
  OperatorMcpServer server;
  server.name = std::move(name);
  server.command = "/opt/mcp/files";
  server.args = {"--root", "/srv/docs"};
  server.env = {{"FILES_TOKEN", "tok'en \"1\""}};
  server.allow_tools = std::move(allow);
  return server;
}

OperatorMcpServer http_server(std::string name, std::vector<std::string> allow) {
  OperatorMcpServer server;
  server.name = std::move(name);
  server.url = "https://search.example/mcp";
  server.headers = {{"Authorization", "Bearer tok"}};
  server.allow_tools = std::move(allow);
  return server;
}

OperatorMcp config() {
  OperatorMcp config;
  config.client_keys = {{"alice", "sk-alice", true}, {"bob", "sk-bob", false}};
  auto files = stdio_server("files", {"read_*"});
  auto search = http_server("search", {"search_*"});
  search.only_for_keys = {"alice"};
  auto big = http_server("big", {"*"});
  big.only_for_models = {"opus", "claude-opus-*"};
  config.servers = {files, search, big};
  return config;
}

TEST(GatewayOperatorMcp, ServersAreLimitedByClientKeyAndModel) {
  const auto all = config();
  const ClientKey& alice = all.client_keys[0];
  const ClientKey& bob = all.client_keys[1];
  EXPECT_THAT(server_names(servers_for(all, &alice, "sonnet")), ElementsAre("files", "search"));
  EXPECT_THAT(server_names(servers_for(all, &bob, "sonnet")), ElementsAre("files"));
  EXPECT_THAT(server_names(servers_for(all, nullptr, "sonnet")), ElementsAre("files"))
      << "a client without a named key gets no server limited to keys";
  EXPECT_THAT(server_names(servers_for(all, &bob, "claude-opus-4")), ElementsAre("files", "big"));
  EXPECT_THAT(server_names(servers_for(all, &alice, "opus")),
              ElementsAre("files", "search", "big"));
  EXPECT_THAT(server_names(servers_for(OperatorMcp{}, &alice, "opus")), IsEmpty());
}

TEST(GatewayOperatorMcp, ClientKeysAreIdentifiedByTheirValue) {
  const auto all = config();
  const ClientKeys keys(all.client_keys);
  ASSERT_NE(keys.identify("sk-bob"), nullptr);
  EXPECT_EQ(keys.identify("sk-bob")->id, "bob");
  EXPECT_EQ(keys.identify("sk-alice")->id, "alice");
  EXPECT_EQ(keys.identify("sk-alic"), nullptr);
  EXPECT_EQ(keys.identify(""), nullptr);
  EXPECT_TRUE(ClientKeys({}).empty());
}

TEST(GatewayOperatorMcp, AStdioServerRunsWithOnlyAFewVariablesAndItsOwn) {
  json::object servers;
  add_operator_servers(servers, {stdio_server("files", {"*"})});
  const auto& entry = servers.at("files").as_object();
  EXPECT_EQ(entry.at("type"), "stdio");
  EXPECT_EQ(entry.at("command"), "/bin/sh");
  const auto& args = entry.at("args").as_array();
  ASSERT_GE(args.size(), 7u);
  EXPECT_EQ(args[0], "-c");
  const std::string script(args[1].as_string());
  EXPECT_THAT(script, HasSubstr("exec /usr/bin/env -i -- "));
  EXPECT_THAT(script, HasSubstr(R"(${HOME:+"HOME=$HOME"})"));
  EXPECT_THAT(script, HasSubstr(R"(${TMPDIR:+"TMPDIR=$TMPDIR"})"));
  EXPECT_THAT(script, Not(HasSubstr("ANTHROPIC")));
  EXPECT_EQ(args[2], "ccgate-mcp-files");
  // Values are arguments, never shell text: quotes in them stay as they are.
  EXPECT_EQ(args[3], "FILES_TOKEN=tok'en \"1\"");
  EXPECT_EQ(args[4], "/opt/mcp/files");
  EXPECT_EQ(args[5], "--root");
  EXPECT_EQ(args[6], "/srv/docs");
}

TEST(GatewayOperatorMcp, AnHttpServerIsItsUrlAndHeaders) {
  json::object servers;
  add_operator_servers(servers, {http_server("search", {"*"})});
  EXPECT_EQ(servers.at("search"), json::parse(R"({"type":"http","url":"https://search.example/mcp",
                            "headers":{"Authorization":"Bearer tok"}})"));
}

TEST(GatewayOperatorMcp, TheMcpConfigHasCcgatesServersAndTheOperators) {
  const auto text = mcp_config_json("http://127.0.0.1:9", "sid", "secret", std::chrono::seconds(5),
                                    {http_server("search", {"*"})});
  const auto servers = json::parse(text).at("mcpServers").as_object();
  EXPECT_TRUE(servers.contains("gateway"));
  EXPECT_TRUE(servers.contains("auth"));
  EXPECT_TRUE(servers.contains("search"));
}

TEST(GatewayOperatorMcp, AllowToolsMatchesTheServersOwnToolNames) {
  const std::vector<OperatorMcpServer> servers{stdio_server("files", {"read_*", "list_dir"})};
  const auto allowed = operator_tool_decision(servers, "mcp__files__read_page");
  ASSERT_TRUE(allowed.has_value());
  EXPECT_TRUE(allowed->allowed);
  EXPECT_TRUE(operator_tool_decision(servers, "mcp__files__list_dir")->allowed);
  const auto denied = operator_tool_decision(servers, "mcp__files__delete_all");
  ASSERT_TRUE(denied.has_value());
  EXPECT_FALSE(denied->allowed);
  EXPECT_THAT(denied->message, HasSubstr("delete_all"));
  EXPECT_FALSE(operator_tool_decision(servers, "mcp__files__list_dirs")->allowed);
  // Not a tool of a server this conversation got: not this rule's to decide.
  EXPECT_FALSE(operator_tool_decision(servers, "mcp__search__read_page").has_value());
  EXPECT_FALSE(operator_tool_decision(servers, "mcp__gateway__get_weather").has_value());
  EXPECT_FALSE(operator_tool_decision(servers, "read_page").has_value());
  EXPECT_FALSE(operator_tool_decision({}, "mcp__files__read_page").has_value());
}

TEST(GatewayOperatorMcp, TheInitLineMustShowEveryServerConnected) {
  const std::vector<OperatorMcpServer> servers{stdio_server("files", {"*"}),
                                               http_server("search", {"*"})};
  auto line = [](std::string_view mcp_servers) {
    return json::parse(R"({"type":"system","subtype":"init","mcp_servers":)" +
                       std::string(mcp_servers) + "}")
        .as_object();
  };
  EXPECT_FALSE(
      operator_servers_problem(
          line(R"([{"name":"files","status":"connected"},{"name":"search","status":"connected"}])"),
          servers)
          .has_value());
  const auto failed = operator_servers_problem(
      line(R"([{"name":"files","status":"failed"},{"name":"search","status":"connected"}])"),
      servers);
  ASSERT_TRUE(failed.has_value());
  EXPECT_THAT(*failed, HasSubstr("MCP server files"));
  EXPECT_THAT(*failed, HasSubstr("start"));
  EXPECT_THAT(*failed, HasSubstr("failed"));
  const auto pending = operator_servers_problem(
      line(R"([{"name":"files","status":"connected"},{"name":"search","status":"pending"}])"),
      servers);
  ASSERT_TRUE(pending.has_value());
  EXPECT_THAT(*pending, HasSubstr("MCP server search"));
  EXPECT_THAT(*pending, HasSubstr("pending"));
  EXPECT_THAT(*operator_servers_problem(line("[]"), servers), HasSubstr("absent"));
  EXPECT_FALSE(operator_servers_problem(line("[]"), {}).has_value());
}

TEST(GatewayOperatorMcp, MetricsLabelsComeFromTheConfigurationOnly) {
  const std::vector<OperatorMcpServer> servers{http_server("search", {"*"})};
  EXPECT_EQ(server_label(servers, "mcp__search__web"), "search");
  EXPECT_EQ(server_label(servers, "mcp__gateway__run_report"), "ccgate");
  EXPECT_EQ(server_label(servers, "WebSearch"), "builtin");
  EXPECT_EQ(server_label(servers, "mcp__made_up_by_the_model__x"), "unknown");
  EXPECT_EQ(server_label(servers, "mcp__"), "unknown");
}

// --- approval_decision with operator servers ----------------------------------------------------

class GatewayOperatorApproval : public FakeCliSessions {
 protected:
  std::shared_ptr<Session> session_with_servers() {
    auto id = identity("sonnet", "Be brief.", {tool("get_weather")});
    id.mcp_servers = {stdio_server("files", {"read_*"})};
    return start(std::move(id)).session;
  }
};

json::object decision(const Session* session, std::string_view tool_name) {
  return json::parse(approval_decision(session, tool_name, json::parse(R"({"topic":"x"})")))
      .as_object();
}

TEST_F(GatewayOperatorApproval, AnOperatorToolIsAllowedExactlyAsAllowToolsSays) {
  const auto session = session_with_servers();
  const auto allowed = decision(session.get(), "mcp__files__read_page");
  EXPECT_EQ(allowed.at("behavior"), "allow");
  EXPECT_EQ(allowed.at("updatedInput"), json::parse(R"({"topic":"x"})"));
  const auto denied = decision(session.get(), "mcp__files__delete_all");
  EXPECT_EQ(denied.at("behavior"), "deny");
  EXPECT_THAT(std::string(denied.at("message").as_string()), HasSubstr("delete_all"));
  // Everything else stays as it was: the client's tools allowed, the rest denied.
  EXPECT_EQ(decision(session.get(), "mcp__gateway__get_weather").at("behavior"), "allow");
  EXPECT_EQ(decision(session.get(), "mcp__search__read_page").at("behavior"), "deny")
      << "a server this conversation did not get";
  EXPECT_EQ(decision(session.get(), "Bash").at("behavior"), "deny");
}

TEST_F(GatewayOperatorApproval, ToolChoiceNoneDeniesOperatorToolsToo) {
  const auto session = session_with_servers();
  session->set_tools_allowed(false);
  EXPECT_EQ(decision(session.get(), "mcp__files__read_page").at("behavior"), "deny");
}

TEST_F(GatewayOperatorApproval, WithoutServersTheirToolsAreDenied) {
  const auto session = start(identity()).session;
  EXPECT_EQ(decision(session.get(), "mcp__files__read_page").at("behavior"), "deny");
}

}  // namespace
}  // namespace ccgate::gateway
