#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "app/config.hpp"
#include "app/status.hpp"

namespace ccgate::app {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::HasSubstr;
using testing::Not;

const StatusBoard::Clock::time_point kStart{};

RequestRecord request(int number, int status = 200, milliseconds duration = milliseconds(10)) {
  return {.id = "req_" + std::to_string(number),
          .method = "POST",
          .path = "/v1/messages",
          .status = status,
          .duration = duration,
          .summary = "claude-x → a/model in=1 out=2"};
}

TEST(StatusBoard, KeepsTheLastHundredRequestsNewestFirst) {
  StatusBoard board(kStart);
  for (int i = 0; i < 250; ++i) board.record(request(i), kStart + seconds(1));
  const auto snapshot = board.snapshot(kStart + seconds(2));
  const auto& recent = snapshot.at("recent").as_array();
  ASSERT_EQ(recent.size(), StatusBoard::kRecent);
  EXPECT_EQ(recent.front().at("id"), "req_249");
  EXPECT_EQ(recent.back().at("id"), "req_150");
  EXPECT_EQ(snapshot.at("requests").at("total"), 250);
}

TEST(StatusBoard, ARecordsTextIsBoundedAndValidUtf8) {
  StatusBoard board(kStart);
  auto huge = request(1);
  huge.path = "/v1/" + std::string(1 << 20, 'p');
  huge.summary = std::string(StatusBoard::kMaxSummaryBytes - 1, 's') + "é and more";
  board.record(huge, kStart);
  auto odd = request(2);
  odd.path = "/caf\xC3";  // a raw byte in the target: not UTF-8
  board.record(odd, kStart);
  const auto snapshot = board.snapshot(kStart);
  const auto& recent = snapshot.at("recent").as_array();
  const std::string path(recent[1].at("path").as_string());
  EXPECT_LE(path.size(), StatusBoard::kMaxPathBytes + 3);
  EXPECT_TRUE(path.ends_with("…"));
  const std::string summary(recent[1].at("summary").as_string());
  EXPECT_EQ(summary, std::string(StatusBoard::kMaxSummaryBytes - 1, 's') + "…")
      << "not cut inside the é";
  EXPECT_EQ(recent[0].at("path"), "/caf\xEF\xBF\xBD");
  EXPECT_LT(boost::json::serialize(snapshot).size(), 4'000u);
}

TEST(StatusBoard, CountsRequestsAndErrorsPerMinuteOverThirtyMinutes) {
  StatusBoard board(kStart);
  board.record(request(1, 200), kStart + seconds(5));   // 30 min before "now": dropped
  board.record(request(2, 200), kStart + minutes(10));  // 21 minutes ago
  board.record(request(3, 404), kStart + minutes(30) + seconds(40));
  board.record(request(4, 502), kStart + minutes(31));
  board.record(request(5, 200), kStart + minutes(31) + seconds(4));
  const auto snapshot = board.snapshot(kStart + minutes(31) + seconds(5));
  const auto& requests = snapshot.at("requests").as_object();
  EXPECT_EQ(requests.at("total"), 5);
  EXPECT_EQ(requests.at("last_minute"), 3);
  EXPECT_EQ(requests.at("client_errors_last_minute"), 1);
  EXPECT_EQ(requests.at("server_errors_last_minute"), 1);
  const auto& per_minute = requests.at("per_minute").as_array();
  ASSERT_EQ(per_minute.size(), 30u);
  std::int64_t counted = 0;
  for (const auto& minute : per_minute) counted += minute.at("requests").to_number<std::int64_t>();
  EXPECT_EQ(counted, 4) << "the request of 31 minutes ago is out of the window";
  EXPECT_EQ(per_minute[8].at("requests"), 1) << "21 minutes ago";
}

TEST(StatusBoard, LatencyPercentilesOfTheLastRequests) {
  StatusBoard board(kStart);
  for (int i = 1; i <= 100; ++i) board.record(request(i, 200, milliseconds(i)), kStart);
  auto latency = board.snapshot(kStart).at("latency_ms").as_object();
  EXPECT_EQ(latency.at("samples"), 100);
  EXPECT_EQ(latency.at("p50"), 51);
  EXPECT_EQ(latency.at("p90"), 90);
  EXPECT_EQ(latency.at("p99"), 99);
  EXPECT_EQ(latency.at("max"), 100);
  // Only the last kLatencySamples count: a slow past is forgotten.
  for (std::size_t i = 0; i < StatusBoard::kLatencySamples; ++i)
    board.record(request(0, 200, milliseconds(7)), kStart);
  latency = board.snapshot(kStart).at("latency_ms").as_object();
  EXPECT_EQ(latency.at("samples"), StatusBoard::kLatencySamples);
  EXPECT_EQ(latency.at("p99"), 7);
}

TEST(StatusBoard, NeitherMonitoringNorMcpCallsAreRecorded) {
  for (const char* path : {"/status", "/status.json", "/metrics", "/mcp/gateway/abc"})
    EXPECT_FALSE(recorded_on_status_board(path)) << path;
  for (const char* path : {"/v1/messages", "/v1/chat/completions", "/health", "/nope"})
    EXPECT_TRUE(recorded_on_status_board(path)) << path;
}

TEST(StatusConfig, EverySecretIsMasked) {
  Config config =
      load_config({{"OPENAI_API_KEY", "sk-upstream-secret"},
                   {"ANTHROPIC_API_KEY", "sk-proxy-secret"},
                   {"GATEWAY_API_KEY", "sk-gateway-secret"},
                   {"METRICS_KEY", "mk-metrics-secret"},
                   {"CLAUDE_CODE_API_KEY", "sk-cli-secret"},
                   {"OPENAI_BASE_URL", "https://user:pw-secret@up.example/v1?key=q-secret"},
                   {"CUSTOM_HEADER_X_API_KEY", "hdr-secret"}});
  const std::string shown = boost::json::serialize(masked_config(config, config.catalog));
  for (const char* secret :
       {"sk-upstream-secret", "sk-proxy-secret", "sk-gateway-secret", "mk-metrics-secret",
        "sk-cli-secret", "pw-secret", "q-secret", "hdr-secret"})
    EXPECT_THAT(shown, Not(HasSubstr(secret))) << shown;
  EXPECT_THAT(shown, HasSubstr(R"("METRICS_KEY":"set")"));
  EXPECT_THAT(shown, HasSubstr(R"("api_keys":"1 set")"));
  EXPECT_THAT(shown, HasSubstr("up.example"));
}

}  // namespace
}  // namespace ccgate::app
