// gateway.conversation_webhooks as the configuration file reads it.

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "app/config.hpp"
#include "app/config_file.hpp"

namespace ccgate::app {
namespace {

using std::chrono::milliseconds;

gateway::Extensions extensions_of(std::string_view yaml, const Environment& env = {}) {
  return file_gateway_extensions(parse_config_file(yaml, "f.yaml", env), env);
}

std::string error_of(std::string_view yaml, const Environment& env = {}) {
  try {
    extensions_of(yaml, env);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(ConfigGatewayConversations, OffWithoutTheKey) {
  EXPECT_FALSE(extensions_of("gateway: {}\n").conversation_webhooks.enabled());
  EXPECT_FALSE(extensions_of("settings:\n  LOG_LEVEL: info\n").conversation_webhooks.enabled());
}

TEST(ConfigGatewayConversations, ReadsUrlsHeadersTimeoutAndQueue) {
  const auto webhooks = extensions_of(
                            "gateway:\n"
                            "  conversation_webhooks:\n"
                            "    start: http://127.0.0.1:9000/start\n"
                            "    end: https://hooks.example/end\n"
                            "    headers:\n"
                            "      authorization: Bearer ${HOOK_TOKEN}\n"
                            "      x-team: ml\n"
                            "    timeout: 2.5\n"
                            "    queue: 10\n",
                            {{"HOOK_TOKEN", "t0k"}})
                            .conversation_webhooks;
  EXPECT_EQ(webhooks.start_url, "http://127.0.0.1:9000/start");
  EXPECT_EQ(webhooks.end_url, "https://hooks.example/end");
  ASSERT_EQ(webhooks.headers.size(), 2u);
  EXPECT_EQ(webhooks.headers[0],
            (std::pair<std::string, std::string>{"authorization", "Bearer t0k"}));
  EXPECT_EQ(webhooks.headers[1], (std::pair<std::string, std::string>{"x-team", "ml"}));
  EXPECT_EQ(webhooks.timeout, milliseconds(2'500));
  EXPECT_EQ(webhooks.queue, 10u);
}

TEST(ConfigGatewayConversations, DefaultsAndOneUrlIsEnough) {
  const auto webhooks =
      extensions_of("gateway:\n  conversation_webhooks:\n    end: http://127.0.0.1:9/end\n")
          .conversation_webhooks;
  EXPECT_TRUE(webhooks.enabled());
  EXPECT_TRUE(webhooks.start_url.empty());
  EXPECT_EQ(webhooks.timeout, milliseconds(5'000));
  EXPECT_EQ(webhooks.queue, 1000u);
  EXPECT_TRUE(webhooks.headers.empty());
}

TEST(ConfigGatewayConversations, MistakesNameTheLineAndTheKey) {
  const std::string head = "gateway:\n  conversation_webhooks:\n";
  EXPECT_EQ(error_of(head + "    timeout: 3\n"),
            "f.yaml:3: gateway.conversation_webhooks: needs start: or end: (a URL), or both");
  EXPECT_EQ(error_of(head + "    start: ftp://x/y\n"),
            "f.yaml:3: gateway.conversation_webhooks.start: \"ftp://x/y\": expected an http:// or "
            "https:// URL");
  EXPECT_EQ(error_of(head + "    end: http://127.0.0.1/e\n    queue: 0\n"),
            "f.yaml:4: gateway.conversation_webhooks.queue: \"0\": expected a whole number from 1 "
            "to 1000000");
  EXPECT_EQ(error_of(head + "    end: http://127.0.0.1/e\n    timeout: -1\n"),
            "f.yaml:4: gateway.conversation_webhooks.timeout: \"-1\": expected a number of seconds "
            "greater than 0");
  EXPECT_EQ(
      error_of(head + "    end: http://127.0.0.1/e\n    url: http://127.0.0.1/e\n"),
      "f.yaml:4: gateway.conversation_webhooks.url: unknown key (expected one of: start, end, "
      "headers, timeout, queue)");
  EXPECT_EQ(error_of(head + "    end: http://127.0.0.1/e\n    headers:\n      bad name: x\n"),
            "f.yaml:5: gateway.conversation_webhooks.headers.bad name: not a valid header name");
  EXPECT_EQ(error_of(head + "    end: http://127.0.0.1/e\n    headers:\n      x-k: ${NOPE}\n"),
            "f.yaml:5: gateway.conversation_webhooks.headers.x-k: ${NOPE}: NOPE is not set");
  EXPECT_EQ(error_of("gateway:\n  conversation_webhooks: http://127.0.0.1/e\n"),
            "f.yaml:2: gateway.conversation_webhooks: expected a mapping (start:, end:, …)");
}

}  // namespace
}  // namespace ccgate::app
