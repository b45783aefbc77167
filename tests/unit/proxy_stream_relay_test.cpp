// expect_event_stream: what a 2xx answer to a streaming request must be before anything is sent
// to the client, against a loopback upstream that answers with scripted bytes.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proxy/stream_relay.hpp"
#include "upstream/failure.hpp"
#include "upstream_test_support.hpp"

namespace ccgate::proxy {
namespace {

using ::testing::HasSubstr;
using namespace ccgate::testing;

struct Outcome {
  std::string first_bytes;
  std::string failure;  // empty: accepted
};

// The upstream answers with `pieces` (head included); what expect_event_stream makes of it.
Outcome expect_stream_from(std::vector<std::string> pieces, std::size_t max_line_size = 1024) {
  Outcome outcome;
  run_with_client(
      [&](asio::any_io_executor executor, http::Client& client) -> asio::awaitable<void> {
        ScriptedUpstream upstream(executor, pieces);
        http::Response response = co_await client.send(post_to(upstream.url()), kQuick);
        try {
          outcome.first_bytes = co_await expect_event_stream(response, max_line_size);
        } catch (const upstream::Failure& failure) {
          EXPECT_EQ(failure.kind(), upstream::Failure::Kind::protocol);
          outcome.failure = failure.what();
        }
      });
  return outcome;
}

TEST(ExpectEventStream, AnEventStreamPassesWithoutReadingTheBody) {
  const auto outcome = expect_stream_from(
      {head("Content-Type: Text/Event-Stream; charset=utf-8\r\n"), "<html>not looked at"});
  EXPECT_EQ(outcome.failure, "");
  EXPECT_EQ(outcome.first_bytes, "");
}

TEST(ExpectEventStream, AnHtmlPageIsRefusedNamingItsTypeAndTitle) {
  const auto outcome =
      expect_stream_from({head("Content-Type: text/html\r\n"),
                          "<!DOCTYPE html>\n<html><head><title>Guest Wi-Fi</title></head></html>"});
  EXPECT_THAT(outcome.failure, HasSubstr("not an event stream (content type text/html)"));
  EXPECT_THAT(outcome.failure, HasSubstr("Guest Wi-Fi"));
  EXPECT_THAT(outcome.failure, HasSubstr("OPENAI_BASE_URL"));
}

TEST(ExpectEventStream, AJsonErrorIsRefusedWithItsMessage) {
  const auto outcome = expect_stream_from(
      {head("Content-Type: application/json\r\n"), R"({"error":{"message":"no such model"}})"});
  EXPECT_THAT(outcome.failure, HasSubstr("(content type application/json): no such model"));
}

TEST(ExpectEventStream, AWholeCompletionIsNamedAsSuch) {
  const auto outcome =
      expect_stream_from({head("Content-Type: application/json\r\n"),
                          R"({"id":"c","object":"chat.completion","choices":[]})"});
  EXPECT_THAT(outcome.failure, HasSubstr("ignored stream: true"));
}

TEST(ExpectEventStream, AnUnlabelledStreamSplitAnywhereIsLookedAtAndPasses) {
  const auto outcome = expect_stream_from(
      {head(""), "\r\n\n", "da", "ta: {\"choices\":[]}", "\r", "\n\ndata: [DONE]\n\n"});
  EXPECT_EQ(outcome.failure, "");
  // The blank lines before it are dropped; the rest is kept for the relay, line end included.
  EXPECT_THAT(outcome.first_bytes, ::testing::StartsWith("data: {\"choices\":[]}\r\n"));
}

TEST(ExpectEventStream, EveryFieldAndCommentCountsAsAStream) {
  for (const char* first : {": keep-alive\n", "event: x\n", "id: 1\n", "retry: 5\n", "data\n"}) {
    EXPECT_EQ(expect_stream_from({head("Content-Type: text/plain\r\n"), first}).failure, "")
        << first;
  }
}

TEST(ExpectEventStream, AnUnlabelledNonStreamIsRefused) {
  EXPECT_THAT(expect_stream_from({head(""), "{\"error\":\"quota\"}"}).failure,
              HasSubstr("(no content type): quota"));
  EXPECT_THAT(expect_stream_from({head("Content-Type: text/plain\r\n"), "Bad Gateway\n"}).failure,
              HasSubstr("(content type text/plain): Bad Gateway"));
  EXPECT_THAT(expect_stream_from({head("")}).failure, HasSubstr("an empty body"));
}

TEST(ExpectEventStream, AFirstLineLongerThanTheLimitIsRefused) {
  const auto outcome =
      expect_stream_from({head(""), "data: " + std::string(600, 'x'), std::string(600, 'y')});
  EXPECT_THAT(outcome.failure, HasSubstr("longer than MAX_LINE_SIZE (1024 bytes)"));
  // Blank lines count too: an upstream cannot hold the client with line ends alone.
  EXPECT_THAT(expect_stream_from({head(""), std::string(2000, '\n')}).failure,
              HasSubstr("MAX_LINE_SIZE"));
}

}  // namespace
}  // namespace ccgate::proxy
