#include <gtest/gtest.h>
#include <spdlog/details/log_msg.h>

#include <boost/json.hpp>
#include <string>

#include "app/log_format.hpp"

namespace ccgate::app {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;

http::RequestLog proxy_log() {
  http::RequestLog log;
  log.model = "claude-sonnet-4";
  log.target = "openai/gpt-4o";
  log.route = "default";
  log.passed_over = "groq/llama: HTTP 429";
  log.tokens_in = 12;
  log.tokens_out = 5;
  return log;
}

RequestLine line_of(const http::RequestLog& log) {
  return {.id = "req_1",
          .method = "POST",
          .path = "/v1/messages",
          .status = 200,
          .duration = milliseconds(80),
          .ttfb = milliseconds(40),
          .details = &log};
}

std::string quoted(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

TEST(LogFormat, TheTextLineIsTodaysLine) {
  const auto log = proxy_log();
  EXPECT_EQ(text_line(line_of(log)),
            "req_1 POST /v1/messages 200 claude-sonnet-4 → openai/gpt-4o via default (passed over "
            "groq/llama: HTTP 429) in=12 out=5 80ms ttfb=40ms");
  http::RequestLog gateway;
  gateway.model = "sonnet";
  gateway.target = "claude";
  gateway.session = "abcd1234";
  gateway.finish = "stop";
  gateway.tokens_in = 3;
  gateway.tokens_out = 0;
  RequestLine line = line_of(gateway);
  line.path = "/v1/chat/completions";
  line.client_left = true;
  EXPECT_EQ(text_line(line),
            "req_1 POST /v1/chat/completions 200 sonnet → claude session abcd1234 stop in=3 out=0 "
            "80ms ttfb=40ms (client left)");
}

TEST(LogFormat, TheJsonLineHasTheSameFieldsTyped) {
  const auto log = proxy_log();
  const json::value parsed = json::parse("{" + json_members(line_of(log)) + "}");
  EXPECT_EQ(parsed, json::parse(R"({"id":"req_1","method":"POST","path":"/v1/messages",
    "status":200,"duration_ms":80,"ttfb_ms":40,"model":"claude-sonnet-4",
    "target":"openai/gpt-4o","route":"default","passed_over":"groq/llama: HTTP 429",
    "tokens_in":12,"tokens_out":5})"));
}

TEST(LogFormat, AServerErrorLineHasNoDurationsAndItsError) {
  const RequestLine line{
      .id = "req_2", .method = "POST", .path = "/v1/messages", .status = 413, .error = "too large"};
  EXPECT_EQ(text_line(line), "req_2 POST /v1/messages 413 too large");
  EXPECT_EQ(json::parse("{" + json_members(line) + "}"),
            json::parse(R"({"id":"req_2","method":"POST","path":"/v1/messages","status":413,
              "error":"too large"})"));
}

TEST(LogFormat, StringsAreEscapedAndInvalidUtf8Replaced) {
  EXPECT_EQ(quoted("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(quoted("\n\r\t\x01\x7f"), R"("\n\r\t\u0001\u007f")");
  EXPECT_EQ(quoted("caf\xc3\xa9 → ok"), "\"caf\xc3\xa9 → ok\"");
  EXPECT_EQ(quoted("\xff"), R"("\ufffd")");
  EXPECT_EQ(quoted("\xc3"), R"("\ufffd")");                                // cut short
  EXPECT_EQ(quoted("\xc0\xaf"), R"("\ufffd\ufffd")");                      // overlong '/'
  EXPECT_EQ(quoted("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");            // a surrogate
  EXPECT_EQ(quoted("\xf4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // past U+10FFFF
  EXPECT_EQ(quoted("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"");
  EXPECT_EQ(quoted(std::string_view("a\0b", 3)), R"("a\u0000b")");
}

TEST(LogFormat, AHostileRequestLineIsStillOneJsonObject) {
  http::RequestLog log;
  log.model = "m\"}\n{\"evil\":1\xff";
  RequestLine line = line_of(log);
  line.path = "/v1/\x1b[31mred";
  const std::string members = json_members(line);
  EXPECT_EQ(members.find('\n'), std::string::npos);
  const json::value parsed = json::parse("{" + members + "}");
  EXPECT_EQ(parsed.at("model").as_string(), "m\"}\n{\"evil\":1\xef\xbf\xbd");
  EXPECT_EQ(parsed.at("path").as_string(), "/v1/\x1b[31mred");
}

std::string formatted(LogFormat format, spdlog::source_loc where, std::string_view payload,
                      spdlog::level::level_enum level = spdlog::level::warn) {
  const spdlog::details::log_msg msg(where, "ccgate", level,
                                     spdlog::string_view_t(payload.data(), payload.size()));
  spdlog::memory_buf_t out;
  make_formatter(format)->format(msg, out);
  return fmt::to_string(out);
}

TEST(LogFormat, OtherLinesAreJsonWithTimeLevelAndMessage) {
  const std::string line = formatted(LogFormat::json, {}, "provider \"x\": key\trefused");
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  const json::value parsed = json::parse(line);
  EXPECT_EQ(parsed.at("level").as_string(), "warning");
  EXPECT_EQ(parsed.at("message").as_string(), "provider \"x\": key\trefused");
  const std::string time(parsed.at("time").as_string());
  EXPECT_EQ(time.size(), 24u) << time;  // 2026-01-01T12:00:00.000Z
  EXPECT_EQ(time.back(), 'Z');
}

TEST(LogFormat, TextLinesKeepTheirPattern) {
  const std::string line = formatted(LogFormat::text, {}, "hello", spdlog::level::info);
  EXPECT_NE(line.find(" info  hello"), std::string::npos) << line;
}

}  // namespace
}  // namespace ccgate::app
