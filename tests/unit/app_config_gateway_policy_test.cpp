// The configuration file's gateway.policy: section (app/config_gateway_policy.*): what it reads,
// and a FILE:LINE error for every bad value.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "app/config.hpp"
#include "app/config_file.hpp"

namespace ccgate::app {
namespace {

using namespace std::chrono_literals;

gateway::ToolPolicyConfig policy_of(std::string_view yaml, const Environment& env = {}) {
  return file_gateway_extensions(parse_config_file(yaml, "f.yaml", env), env).policy;
}

std::string error_of(std::string_view yaml, const Environment& env = {}) {
  try {
    policy_of(yaml, env);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(ConfigGatewayPolicy, WithoutASectionThereIsNoPolicy) {
  EXPECT_FALSE(policy_of("settings:\n  LOG_LEVEL: info\n").enabled);
  EXPECT_FALSE(policy_of("gateway:\n").enabled);
}

TEST(ConfigGatewayPolicy, AnEmptySectionIsAPolicyWithItsDefaults) {
  const auto policy = policy_of("gateway:\n  policy:\n");
  EXPECT_TRUE(policy.enabled);
  EXPECT_TRUE(policy.rules.empty());
  EXPECT_TRUE(policy.default_allow);
  EXPECT_TRUE(policy.schema) << "the schema check is on by default";
  EXPECT_EQ(policy.max_calls_per_turn, std::nullopt);
  EXPECT_EQ(policy.max_calls_per_conversation, std::nullopt);
  EXPECT_EQ(policy.webhook, std::nullopt);
}

TEST(ConfigGatewayPolicy, EveryKeyIsRead) {
  const auto policy = policy_of(
      "gateway:\n"
      "  policy:\n"
      "    rules:\n"
      "      - tools: [\"mcp__search__*\", Bash]\n"
      "        action: deny\n"
      "        reason: not on this server\n"
      "      - tools: get_*\n"
      "        action: Allow\n"
      "    default: deny\n"
      "    schema: false\n"
      "    max_calls_per_turn: 5\n"
      "    max_calls_per_conversation: 50\n"
      "    webhook:\n"
      "      url: https://policy.example/check\n"
      "      headers:\n"
      "        Authorization: Bearer ${POLICY_TOKEN}\n"
      "      timeout: 2.5\n",
      {{"POLICY_TOKEN", "t0k"}});
  ASSERT_EQ(policy.rules.size(), 2u);
  EXPECT_EQ(policy.rules[0].tools, (std::vector<std::string>{"mcp__search__*", "Bash"}));
  EXPECT_FALSE(policy.rules[0].allow);
  EXPECT_EQ(policy.rules[0].reason, "not on this server");
  EXPECT_EQ(policy.rules[1].tools, (std::vector<std::string>{"get_*"}));
  EXPECT_TRUE(policy.rules[1].allow);
  EXPECT_FALSE(policy.default_allow);
  EXPECT_FALSE(policy.schema);
  EXPECT_EQ(policy.max_calls_per_turn, 5u);
  EXPECT_EQ(policy.max_calls_per_conversation, 50u);
  ASSERT_TRUE(policy.webhook.has_value());
  EXPECT_EQ(policy.webhook->url, "https://policy.example/check");
  EXPECT_EQ(policy.webhook->headers,
            (std::vector<std::pair<std::string, std::string>>{{"Authorization", "Bearer t0k"}}));
  EXPECT_EQ(policy.webhook->timeout, 2500ms);
  EXPECT_EQ(policy_of("gateway:\n  policy:\n    webhook:\n      url: http://127.0.0.1:9/p\n")
                .webhook->timeout,
            5000ms)
      << "the webhook's default timeout";
}

TEST(ConfigGatewayPolicy, EveryBadValueIsAnErrorAtItsLine) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"gateway:\n  polcy: {}\n", "f.yaml:2: gateway.polcy: unknown key (expected one of: "},
      {"gateway:\n  policy: [1]\n", "f.yaml:2: gateway.policy: expected a mapping"},
      {"gateway:\n  policy:\n    rulez: []\n", "f.yaml:3: gateway.policy.rulez: unknown key"},
      {"gateway:\n  policy:\n    rules: {tools: [a]}\n",
       "f.yaml:3: gateway.policy.rules: expected a list of rules"},
      {"gateway:\n  policy:\n    rules:\n      - tools: [a]\n        action: maybe\n",
       "f.yaml:5: gateway.policy.rules[0].action: maybe: expected allow or deny"},
      {"gateway:\n  policy:\n    rules:\n      - action: deny\n",
       "f.yaml:4: gateway.policy.rules[0]: tools: is required"},
      {"gateway:\n  policy:\n    rules:\n      - tools: [a]\n",
       "f.yaml:4: gateway.policy.rules[0]: action: is required"},
      {"gateway:\n  policy:\n    rules:\n      - tools: []\n        action: deny\n",
       "f.yaml:4: gateway.policy.rules[0].tools: expected a list of tool name globs"},
      {"gateway:\n  policy:\n    rules:\n      - tools: [\"a b\"]\n        action: deny\n",
       "f.yaml:4: gateway.policy.rules[0].tools[0]: a tool name glob holds no spaces"},
      {"gateway:\n  policy:\n    rules:\n      - tools: [a]\n        action: allow\n        "
       "reason: x\n",
       "f.yaml:4: gateway.policy.rules[0]: reason: is what the model is told when a rule denies"},
      {"gateway:\n  policy:\n    rules:\n      - tools: [a]\n        action: deny\n        "
       "when: now\n",
       "f.yaml:6: gateway.policy.rules[0].when: unknown key (expected one of: tools, action, "
       "reason)"},
      {"gateway:\n  policy:\n    default: perhaps\n",
       "f.yaml:3: gateway.policy.default: perhaps: expected allow or deny"},
      {"gateway:\n  policy:\n    schema: sometimes\n",
       "f.yaml:3: gateway.policy.schema: \"sometimes\": expected true or false"},
      {"gateway:\n  policy:\n    max_calls_per_turn: -1\n",
       "f.yaml:3: gateway.policy.max_calls_per_turn: \"-1\": expected a whole number from 0 to "
       "1000000"},
      {"gateway:\n  policy:\n    max_calls_per_conversation: many\n",
       "f.yaml:3: gateway.policy.max_calls_per_conversation: \"many\": expected a whole number"},
      {"gateway:\n  policy:\n    webhook:\n      timeout: 1\n",
       "f.yaml:4: gateway.policy.webhook: url: is required"},
      {"gateway:\n  policy:\n    webhook:\n      url: ftp://x/y\n",
       "f.yaml:4: gateway.policy.webhook.url: \"ftp://x/y\": expected an http:// or https:// URL"},
      {"gateway:\n  policy:\n    webhook:\n      url: http://x/y\n      timeout: 0\n",
       "f.yaml:5: gateway.policy.webhook.timeout: \"0\": expected a number of seconds greater "
       "than 0"},
      {"gateway:\n  policy:\n    webhook:\n      url: http://x/y\n      timeout: 61\n",
       "f.yaml:5: gateway.policy.webhook.timeout: at most 60 seconds"},
      {"gateway:\n  policy:\n    webhook:\n      url: http://x/y\n      headers:\n        "
       "Content-Type: text/plain\n",
       "f.yaml:6: gateway.policy.webhook.headers.Content-Type: ccgate sets this header itself"},
      {"gateway:\n  policy:\n    webhook:\n      url: http://x/y\n      headers:\n        \"a "
       "b\": c\n",
       "f.yaml:6: gateway.policy.webhook.headers.a b: not a valid header name"},
      {"gateway:\n  policy:\n    webhook:\n      url: http://x/y\n      headers:\n        X-Key: "
       "${NOPE}\n",
       "f.yaml:6: gateway.policy.webhook.headers.X-Key: ${NOPE}: NOPE is not set"},
  };
  for (const auto& [yaml, expected] : cases)
    EXPECT_THAT(error_of(yaml), ::testing::StartsWith(std::string(expected))) << yaml;
}

}  // namespace
}  // namespace ccgate::app
