#include <gtest/gtest.h>

#include "upstream/provider.hpp"
#include "upstream/settings.hpp"

namespace ccgate::upstream {
namespace {

std::string header(const Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers)
    if (key == name) return value;
  return "(absent)";
}

TEST(ChatUrl, OpenAiCompatibleBases) {
  Settings settings;
  EXPECT_EQ(chat_completions_url(settings, "gpt-4o"), "https://api.openai.com/v1/chat/completions");
  settings.base_url = "http://127.0.0.1:11434/v1/";
  EXPECT_EQ(chat_completions_url(settings, "llama3"), "http://127.0.0.1:11434/v1/chat/completions");
}

TEST(ChatUrl, AzureResourceRootUsesTheModelAsDeployment) {
  Settings settings{.base_url = "https://res.openai.azure.com/", .azure_api_version = "2024-06-01"};
  EXPECT_EQ(chat_completions_url(settings, "gpt4o-deploy"),
            "https://res.openai.azure.com/openai/deployments/gpt4o-deploy/chat/completions"
            "?api-version=2024-06-01");
}

TEST(ChatUrl, AzureFullDeploymentUrlKeepsItsDeployment) {
  Settings settings{.base_url = "https://res.openai.azure.com/openai/deployments/mine",
                    .azure_api_version = "2024-06-01"};
  EXPECT_EQ(chat_completions_url(settings, "gpt-4o"),
            "https://res.openai.azure.com/openai/deployments/mine/chat/completions"
            "?api-version=2024-06-01");
  settings.base_url =
      "https://res.openai.azure.com/openai/deployments/mine/chat/completions?api-version=old";
  EXPECT_EQ(chat_completions_url(settings, "gpt-4o"),
            "https://res.openai.azure.com/openai/deployments/mine/chat/completions"
            "?api-version=2024-06-01");
}

TEST(Headers, BearerKeyForOpenAiAndApiKeyForAzure) {
  Settings settings;
  auto headers = request_headers(settings, "sk-1");
  EXPECT_EQ(header(headers, "Authorization"), "Bearer sk-1");
  EXPECT_EQ(header(headers, "Content-Type"), "application/json");
  settings.azure_api_version = "2024-06-01";
  headers = request_headers(settings, "sk-1");
  EXPECT_EQ(header(headers, "api-key"), "sk-1");
  EXPECT_EQ(header(headers, "Authorization"), "(absent)");
}

TEST(Headers, NoKeyNoAuthorization) {
  EXPECT_EQ(header(request_headers(Settings{}, ""), "Authorization"), "(absent)");
}

TEST(Headers, TheRequestIdGoesUpstreamAsXRequestId) {
  EXPECT_EQ(header(request_headers(Settings{}, "sk-1", "req_abc"), "x-request-id"), "req_abc");
  EXPECT_EQ(header(request_headers(Settings{}, "sk-1"), "x-request-id"), "(absent)");
}

TEST(Headers, AConfiguredXRequestIdWinsAndIsReported) {
  Settings settings{.custom_headers = {{"X-Request-Id", "fixed"}}};
  const auto headers = request_headers(settings, "sk-1", "req_abc");
  EXPECT_EQ(header(headers, "X-Request-Id"), "fixed");
  EXPECT_EQ(header(headers, "x-request-id"), "(absent)");
  EXPECT_TRUE(custom_header_hides_request_id(settings));
  EXPECT_FALSE(custom_header_hides_request_id(Settings{.custom_headers = {{"X-Team", "a"}}}));
}

TEST(Headers, CustomHeadersReplaceDefaultsOfTheSameName) {
  Settings settings{.custom_headers = {{"AUTHORIZATION", "Token t"}, {"X-Team", "a"}}};
  const auto headers = request_headers(settings, "sk-1");
  EXPECT_EQ(header(headers, "AUTHORIZATION"), "Token t");
  EXPECT_EQ(header(headers, "Authorization"), "(absent)");
  EXPECT_EQ(header(headers, "X-Team"), "a");
}

TEST(Retry, StatusesWorthRetrying) {
  for (int status : {408, 409, 429, 500, 502, 503, 504, 529}) EXPECT_TRUE(retryable_status(status));
  for (int status : {400, 401, 403, 404, 413, 422}) EXPECT_FALSE(retryable_status(status));
}

TEST(Retry, HonoursRetryAfterSecondsAndMilliseconds) {
  using std::chrono::milliseconds;
  EXPECT_EQ(retry_delay(1, "2", "", milliseconds(60'000)), milliseconds(2000));
  EXPECT_EQ(retry_delay(1, "2", "150", milliseconds(60'000)), milliseconds(150));
  EXPECT_EQ(retry_delay(1, "120", "", milliseconds(60'000)), std::nullopt);
}

TEST(Retry, BacksOffExponentiallyWithJitterAndACap) {
  using std::chrono::milliseconds;
  for (int i = 0; i < 20; ++i) {
    auto first = *retry_delay(1, "", "", milliseconds(60'000));
    auto third = *retry_delay(3, "", "", milliseconds(60'000));
    auto tenth = *retry_delay(10, "", "", milliseconds(60'000));
    EXPECT_GE(first, milliseconds(375));
    EXPECT_LE(first, milliseconds(625));
    EXPECT_GE(third, milliseconds(1500));
    EXPECT_LE(third, milliseconds(2500));
    EXPECT_LE(tenth, milliseconds(10'000));
  }
}

}  // namespace
}  // namespace ccgate::upstream
