// gateway.tools and gateway.builtin_tools in the configuration file.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "app/config.hpp"
#include "app/config_file.hpp"

namespace ccgate::app {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

gateway::ExecutorConfig read(std::string_view yaml, const Environment& env = {}) {
  return file_gateway_extensions(parse_config_file(yaml, "f.yaml", env), env).executors;
}

std::string error_of(std::string_view yaml, const Environment& env = {}) {
  try {
    read(yaml, env);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(AppConfigGatewayExecutors, WithoutTheKeysThereIsNone) {
  const auto config = read("gateway: {}\n");
  EXPECT_TRUE(config.tools.empty());
  EXPECT_TRUE(config.builtin_tools.empty());
}

TEST(AppConfigGatewayExecutors, AWebhookToolAndACommandTool) {
  const auto config = read(R"(gateway:
  tools:
    - name: lookup_order
      description: Look up an order.
      input_schema:
        type: object
        properties:
          id: {type: string, maxLength: 12, description: "42"}
          rush: {type: boolean, default: false}
        required: [id]
      webhook:
        url: https://orders.internal/lookup
        headers: {authorization: "Bearer ${ORDERS_TOKEN}"}
        timeout: 2.5
        max_output: 4096
    - name: word-count
      description: Counts words.
      command:
        run: [/bin/sh, -c, "wc -w"]
        timeout: 3
        env: {LC_ALL: C}
)",
                           {{"ORDERS_TOKEN", "t0k"}});
  ASSERT_EQ(config.tools.size(), 2u);
  const auto& lookup = config.tools[0];
  EXPECT_EQ(lookup.name, "lookup_order");
  EXPECT_EQ(lookup.description, "Look up an order.");
  EXPECT_EQ(
      boost::json::serialize(lookup.input_schema),
      R"({"type":"object","properties":{"id":{"type":"string","maxLength":12,"description":"42"},)"
      R"("rush":{"type":"boolean","default":false}},"required":["id"]})");
  const auto& webhook = std::get<gateway::WebhookRun>(lookup.run);
  EXPECT_EQ(webhook.url, "https://orders.internal/lookup");
  EXPECT_THAT(webhook.headers, ElementsAre(Pair("authorization", "Bearer t0k")));
  EXPECT_EQ(webhook.timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(webhook.max_output, 4096u);

  const auto& count = config.tools[1];
  EXPECT_EQ(boost::json::serialize(count.input_schema), R"({"type":"object"})");  // the default
  const auto& command = std::get<gateway::CommandRun>(count.run);
  EXPECT_THAT(command.argv, ElementsAre("/bin/sh", "-c", "wc -w"));
  EXPECT_EQ(command.timeout, std::chrono::milliseconds(3000));
  EXPECT_EQ(command.max_output, 1024u * 1024u);  // the default
  EXPECT_THAT(command.env, ElementsAre(Pair("LC_ALL", "C")));
}

TEST(AppConfigGatewayExecutors, Defaults) {
  const auto config = read(R"(gateway:
  tools:
    - {name: a, description: d, webhook: {url: "http://127.0.0.1:9/x"}}
    - {name: b, description: d, command: {run: [/bin/true]}}
)");
  EXPECT_EQ(std::get<gateway::WebhookRun>(config.tools[0].run).timeout,
            std::chrono::milliseconds(10'000));
  EXPECT_EQ(std::get<gateway::WebhookRun>(config.tools[0].run).max_output, 1024u * 1024u);
  EXPECT_EQ(std::get<gateway::CommandRun>(config.tools[1].run).timeout,
            std::chrono::milliseconds(30'000));
}

TEST(AppConfigGatewayExecutors, BuiltinToolRules) {
  const auto config = read(R"(gateway:
  builtin_tools:
    - {models: ["*"], tools: [Read, Grep, Glob]}
    - {models: [opus], tools: [WebFetch]}
)");
  ASSERT_EQ(config.builtin_tools.size(), 2u);
  EXPECT_THAT(config.builtin_tools[0].models, ElementsAre("*"));
  EXPECT_THAT(config.builtin_tools[0].tools, ElementsAre("Read", "Grep", "Glob"));
  EXPECT_THAT(config.builtin_tools[1].tools, ElementsAre("WebFetch"));
}

TEST(AppConfigGatewayExecutors, MistakesNameTheirLine) {
  const std::string tool = "gateway:\n  tools:\n    - name: t\n      description: d\n";
  EXPECT_EQ(error_of("gateway:\n  tools: []\n"),
            "f.yaml:2: gateway.tools: expected a list of tools (- name: …)");
  EXPECT_EQ(error_of(tool),
            "f.yaml:3: gateway.tools[0]: needs a webhook: or a command: that runs the tool");
  EXPECT_THAT(
      error_of("gateway:\n  tools:\n    - name: bad.name\n      description: d\n"),
      HasSubstr("f.yaml:3: gateway.tools[0].name: \"bad.name\": a tool name is 1 to 50 of"));
  EXPECT_THAT(error_of(tool + "      webhook: {url: ftp://x}\n"),
              HasSubstr("f.yaml:5: gateway.tools[0].webhook.url: \"ftp://x\": expected an http"));
  EXPECT_THAT(
      error_of(tool + "      command: {run: [sh, -c, x]}\n"),
      HasSubstr("gateway.tools[0].command.run[0]: \"sh\": the program must be an absolute path"));
  EXPECT_THAT(error_of(tool + "      command: {run: [/nonexistent/tool]}\n"),
              HasSubstr("\"/nonexistent/tool\": not an executable file"));
  EXPECT_THAT(
      error_of(tool + "      command: {run: [/bin/true]}\n      webhook: {url: http://a/}\n"),
      HasSubstr("f.yaml:6: gateway.tools[0].webhook: a tool has either a webhook or a command, not "
                "both"));
  EXPECT_THAT(
      error_of(tool + "      command: {run: [/bin/true], max_output: 0}\n"),
      HasSubstr("gateway.tools[0].command.max_output: \"0\": expected a whole number from 1 to"));
  EXPECT_THAT(error_of(tool + "      command: {run: [/bin/true], timeout: -1}\n"),
              HasSubstr("gateway.tools[0].command.timeout"));
  EXPECT_THAT(
      error_of(tool + "      input_schema: {type: string}\n      command: {run: [/bin/true]}\n"),
      HasSubstr("gateway.tools[0].input_schema.type: must be object"));
  EXPECT_THAT(
      error_of(tool + "      command: {run: [/bin/true], shell: yes}\n"),
      HasSubstr("gateway.tools[0].command.shell: unknown key (expected one of: run, timeout, "
                "max_output, env)"));
  EXPECT_THAT(
      error_of(tool + "      command: {run: [/bin/true]}\n    - name: t\n      description: d\n"
                      "      command: {run: [/bin/true]}\n"),
      HasSubstr("gateway.tools[1].name: \"t\" is already the name of gateway.tools[0]"));
  EXPECT_THAT(
      error_of("gateway:\n  builtin_tools:\n    - {models: [\"*\"], tools: [Read, Bash]}\n"),
      HasSubstr("f.yaml:3: gateway.builtin_tools[0].tools[1]: \"Bash\": not a built-in tool "
                "ccgate can confine"));
  EXPECT_THAT(error_of("gateway:\n  builtin_tools:\n    - {tools: [Read]}\n"),
              HasSubstr("gateway.builtin_tools[0].models: is required"));
}

}  // namespace
}  // namespace ccgate::app
