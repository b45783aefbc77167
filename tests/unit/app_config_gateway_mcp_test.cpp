// The gateway: section's operator MCP servers (mcp_servers:) and named client keys
// (client_keys:) as the configuration file reads them.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "app/admission.hpp"
#include "app/config.hpp"
#include "app/config_file.hpp"

namespace ccgate::app {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;
using ::testing::StartsWith;

const Environment kEnv{
    {"SEARCH_TOKEN", "tok-123"}, {"ALICE_KEY", "sk-alice-key"}, {"BOB_KEY", "sk-bob-key"}};

gateway::OperatorMcp read(std::string_view yaml, const Environment& env = kEnv) {
  return file_gateway_extensions(parse_config_file(yaml, "f.yaml", env), env).operator_mcp;
}

std::string error_of(std::string_view yaml, const Environment& env = kEnv) {
  try {
    read(yaml, env);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(ConfigGatewayMcp, WithoutTheKeysThereAreNoServersAndNoNamedKeys) {
  const auto config = read("gateway: {}\n");
  EXPECT_TRUE(config.servers.empty());
  EXPECT_TRUE(config.client_keys.empty());
}

TEST(ConfigGatewayMcp, ReadsAStdioAndAnHttpServerWithTheirVariables) {
  const auto config = read(R"(gateway:
  mcp_servers:
    - name: files
      command: /usr/local/bin/files-mcp
      args: [--root, /srv/docs]
      env:
        FILES_TOKEN: ${SEARCH_TOKEN}
      allow_tools: [read_*, list_dir]
    - name: search
      url: https://search.example/mcp
      headers:
        Authorization: Bearer ${SEARCH_TOKEN}
      allow_tools: ["*"]
      only_for:
        client_keys: [alice]
        models: [sonnet, claude-sonnet-*]
  client_keys:
    - id: alice
      key: ${ALICE_KEY}
      tool_activity: true
    - id: bob
      key: ${BOB_KEY}
)");
  ASSERT_EQ(config.servers.size(), 2u);
  const auto& files = config.servers[0];
  EXPECT_EQ(files.name, "files");
  EXPECT_TRUE(files.stdio());
  EXPECT_EQ(files.command, "/usr/local/bin/files-mcp");
  EXPECT_THAT(files.args, ElementsAre("--root", "/srv/docs"));
  EXPECT_THAT(files.env, ElementsAre(Pair("FILES_TOKEN", "tok-123")));
  EXPECT_THAT(files.allow_tools, ElementsAre("read_*", "list_dir"));
  EXPECT_TRUE(files.only_for_keys.empty());
  const auto& search = config.servers[1];
  EXPECT_FALSE(search.stdio());
  EXPECT_EQ(search.url, "https://search.example/mcp");
  EXPECT_THAT(search.headers, ElementsAre(Pair("Authorization", "Bearer tok-123")));
  EXPECT_THAT(search.only_for_keys, ElementsAre("alice"));
  EXPECT_THAT(search.only_for_models, ElementsAre("sonnet", "claude-sonnet-*"));
  ASSERT_EQ(config.client_keys.size(), 2u);
  EXPECT_EQ(config.client_keys[0].id, "alice");
  EXPECT_EQ(config.client_keys[0].key, "sk-alice-key");
  EXPECT_TRUE(config.client_keys[0].tool_activity);
  EXPECT_FALSE(config.client_keys[1].tool_activity);
}

// The named keys open the gateway door (and /v1/models) as GATEWAY_API_KEY does; with them the
// door has a key even without GATEWAY_API_KEY.
TEST(ConfigGatewayMcp, NamedClientKeysOpenTheGatewayDoor) {
  Config config = load_config({});
  config.gateway.extensions.operator_mcp.client_keys = {{"alice", "sk-alice-key", false}};
  const Admission admission(config);
  RequestHead head{.method = "POST",
                   .path = "/v1/chat/completions",
                   .host = "127.0.0.1:8082",
                   .content_type = "application/json",
                   .loopback_peer = true};
  const auto status = [&](std::string_view authorization, std::string_view path) {
    head.authorization = authorization;
    head.path = path;
    const auto admitted = admission.decide(head);
    return admitted.refusal ? static_cast<int>(admitted.refusal->status) : 0;
  };
  EXPECT_EQ(status("Bearer sk-alice-key", "/v1/chat/completions"), 0);
  EXPECT_EQ(status("Bearer sk-alice-ke", "/v1/chat/completions"), 401);
  EXPECT_EQ(status("", "/v1/chat/completions"), 401)
      << "even from this machine: the door has a key";
  EXPECT_EQ(status("Bearer sk-alice-key", "/v1/models"), 0);

  config.gateway.api_key = "sk-gateway";
  const Admission both(config);
  head.path = "/v1/chat/completions";
  head.authorization = "Bearer sk-gateway";
  EXPECT_FALSE(both.decide(head).refusal.has_value());
  head.authorization = "Bearer sk-alice-key";
  EXPECT_FALSE(both.decide(head).refusal.has_value());
}

struct BadFile {
  std::string yaml;
  std::string error;  // the start of the message
};

class ConfigGatewayMcpErrors : public ::testing::TestWithParam<BadFile> {};

TEST_P(ConfigGatewayMcpErrors, NameTheFileTheLineAndTheKeyPath) {
  EXPECT_THAT(error_of(GetParam().yaml), StartsWith(GetParam().error));
}

const std::string kServers = "gateway:\n  mcp_servers:\n";

INSTANTIATE_TEST_SUITE_P(
    EachRule, ConfigGatewayMcpErrors,
    ::testing::Values(
        BadFile{"gateway:\n  mcp_servers: []\n",
                "f.yaml:2: gateway.mcp_servers: expected a list of MCP servers"},
        BadFile{kServers + "    - command: x\n      allow_tools: [a]\n",
                "f.yaml:3: gateway.mcp_servers[0]: name: is required"},
        BadFile{kServers + "    - name: Search\n      command: x\n      allow_tools: [a]\n",
                "f.yaml:3: gateway.mcp_servers[0].name: \"Search\": expected a lower-case name"},
        BadFile{kServers + "    - name: a__b\n      command: x\n      allow_tools: [a]\n",
                "f.yaml:3: gateway.mcp_servers[0].name: \"a__b\": expected a lower-case name"},
        BadFile{kServers + "    - name: gateway\n      command: x\n      allow_tools: [a]\n",
                "f.yaml:3: gateway.mcp_servers[0].name: \"gateway\" is a name of ccgate's own"},
        BadFile{kServers + "    - name: auth\n      url: http://h/mcp\n      allow_tools: [a]\n",
                "f.yaml:3: gateway.mcp_servers[0].name: \"auth\" is a name of ccgate's own"},
        BadFile{kServers + "    - name: a\n      command: x\n      allow_tools: [t]\n"
                           "    - name: a\n      command: y\n      allow_tools: [t]\n",
                "f.yaml:6: gateway.mcp_servers[1].name: \"a\" is already the name of "
                "gateway.mcp_servers[0]"},
        BadFile{kServers + "    - name: a\n      allow_tools: [t]\n",
                "f.yaml:3: gateway.mcp_servers[0]: command: (a stdio server) or url: (a "
                "Streamable HTTP server) is required"},
        BadFile{kServers + "    - name: a\n      command: x\n      url: http://h/mcp\n"
                           "      allow_tools: [t]\n",
                "f.yaml:5: gateway.mcp_servers[0].url: give either command:"},
        BadFile{kServers + "    - name: a\n      url: ftp://h/mcp\n      allow_tools: [t]\n",
                "f.yaml:4: gateway.mcp_servers[0].url: \"ftp://h/mcp\": expected an http:// or "
                "https:// URL"},
        BadFile{kServers + "    - name: a\n      url: http://\n      allow_tools: [t]\n",
                "f.yaml:4: gateway.mcp_servers[0].url: \"http://\": expected an http://"},
        BadFile{kServers + "    - name: a\n      url: http://h/mcp\n      headers:\n"
                           "        \"Bad Name\": x\n      allow_tools: [t]\n",
                "f.yaml:6: gateway.mcp_servers[0].headers.Bad Name: not a valid header name"},
        BadFile{kServers + "    - name: a\n      url: http://h/mcp\n      headers:\n"
                           "        X-Token: ${UNSET_TOKEN}\n      allow_tools: [t]\n",
                "f.yaml:6: gateway.mcp_servers[0].headers.X-Token: ${UNSET_TOKEN}: UNSET_TOKEN "
                "is not set"},
        BadFile{kServers + "    - name: a\n      url: http://h/mcp\n      headers:\n"
                           "        X-Token: \"a\\nb\"\n      allow_tools: [t]\n",
                "f.yaml:6: gateway.mcp_servers[0].headers.X-Token: the value holds a line break"},
        BadFile{kServers + "    - name: a\n      url: http://h/mcp\n      args: [x]\n"
                           "      allow_tools: [t]\n",
                "f.yaml:5: gateway.mcp_servers[0].args: args: belongs to a command: server"},
        BadFile{kServers + "    - name: a\n      command: x\n      headers: {A: b}\n"
                           "      allow_tools: [t]\n",
                "f.yaml:5: gateway.mcp_servers[0].headers: headers: belongs to a url: server"},
        BadFile{kServers + "    - name: a\n      command: x\n      env:\n        1BAD: v\n"
                           "      allow_tools: [t]\n",
                "f.yaml:6: gateway.mcp_servers[0].env.1BAD: not a variable name"},
        BadFile{kServers + "    - name: a\n      command: A=b\n      allow_tools: [t]\n",
                "f.yaml:4: gateway.mcp_servers[0].command: a command holding '='"},
        BadFile{kServers + "    - name: a\n      command: x\n",
                "f.yaml:3: gateway.mcp_servers[0]: allow_tools: is required"},
        BadFile{kServers + "    - name: a\n      command: x\n      allow_tools: []\n",
                "f.yaml:5: gateway.mcp_servers[0].allow_tools: expected a list"},
        BadFile{kServers + "    - name: a\n      command: x\n      allow_tools: [t]\n"
                           "      only_for: {}\n",
                "f.yaml:6: gateway.mcp_servers[0].only_for: client_keys: or models: is required"},
        BadFile{kServers + "    - name: a\n      command: x\n      allow_tools: [t]\n"
                           "      only_for: {modles: [x]}\n",
                "f.yaml:6: gateway.mcp_servers[0].only_for.modles: unknown key"},
        BadFile{kServers + "    - name: a\n      command: x\n      allow_tools: [t]\n"
                           "      only_for:\n        client_keys: [carol]\n",
                "f.yaml:7: gateway.mcp_servers[0].only_for.client_keys[0]: \"carol\": no "
                "gateway.client_keys are configured"},
        BadFile{kServers + "    - name: a\n      command: x\n      allow_tools: [t]\n"
                           "      only_for:\n        client_keys: [carol]\n"
                           "  client_keys:\n    - id: alice\n      key: ${ALICE_KEY}\n",
                "f.yaml:7: gateway.mcp_servers[0].only_for.client_keys[0]: \"carol\": not an id "
                "of gateway.client_keys (alice)"},
        BadFile{kServers + "    - name: a\n      command: x\n      allow_tools: [t]\n"
                           "      tools: [t]\n",
                "f.yaml:6: gateway.mcp_servers[0].tools: unknown key (expected one of: name, "
                "command, args, env, url, headers, allow_tools, only_for)"},
        BadFile{"gateway:\n  client_keys:\n    - key: ${ALICE_KEY}\n",
                "f.yaml:3: gateway.client_keys[0]: id: is required"},
        BadFile{"gateway:\n  client_keys:\n    - id: alice\n",
                "f.yaml:3: gateway.client_keys[0]: key: is required"},
        BadFile{"gateway:\n  client_keys:\n    - id: alice\n      key: ${NO_SUCH_KEY}\n",
                "f.yaml:4: gateway.client_keys[0].key: ${NO_SUCH_KEY}: NO_SUCH_KEY is not set"},
        BadFile{"gateway:\n  client_keys:\n    - id: alice\n      key: ${ALICE_KEY}\n"
                "    - id: alice\n      key: ${BOB_KEY}\n",
                "f.yaml:5: gateway.client_keys[1].id: \"alice\" is already the id of "
                "gateway.client_keys[0]"},
        BadFile{"gateway:\n  client_keys:\n    - id: alice\n      key: ${ALICE_KEY}\n"
                "    - id: bob\n      key: ${ALICE_KEY}\n",
                "f.yaml:6: gateway.client_keys[1].key: the same key as gateway.client_keys[0]"},
        BadFile{"gateway:\n  client_keys:\n    - id: alice\n      key: ${ALICE_KEY}\n"
                "      tool_activity: maybe\n",
                "f.yaml:5: gateway.client_keys[0].tool_activity: \"maybe\": expected true or "
                "false"}));

}  // namespace
}  // namespace ccgate::app
