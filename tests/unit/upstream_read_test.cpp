// Reading an upstream answer: read_answer's MAX_RESPONSE_SIZE bound, read_error_body's cap.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "upstream/provider.hpp"
#include "upstream_test_support.hpp"

namespace ccgate::upstream {
namespace {

using ::testing::HasSubstr;
using namespace ccgate::testing;

std::string chunked(const std::string& data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + data + "\r\n";
}

// What read_answer gives for this answer (pieces, head included), or its failure.
std::string read_answer_of(std::vector<std::string> pieces, std::size_t limit) {
  std::string outcome;
  run_with_client(
      [&](asio::any_io_executor executor, http::Client& client) -> asio::awaitable<void> {
        ScriptedUpstream upstream(executor, pieces);
        http::Response response = co_await client.send(post_to(upstream.url()), kQuick);
        try {
          outcome = co_await read_answer(response, limit);
        } catch (const Failure& failure) {
          EXPECT_EQ(failure.kind(), Failure::Kind::protocol);
          EXPECT_EQ(failure.upstream_status(), 200);
          outcome = std::string("failure: ") + failure.what();
        }
      });
  return outcome;
}

TEST(ReadAnswer, ReadsAnAnswerUpToTheLimit) {
  const std::string body(1000, 'a');
  EXPECT_EQ(read_answer_of({head("Content-Length: 1000\r\n"), body}, 1000), body);
  EXPECT_EQ(
      read_answer_of({head("Transfer-Encoding: chunked\r\n"), chunked(body), "0\r\n\r\n"}, 1000),
      body);
}

TEST(ReadAnswer, ADeclaredLengthOverTheLimitFailsBeforeTheBody) {
  EXPECT_THAT(read_answer_of({head("Content-Length: 5000\r\n")}, 1000),
              HasSubstr("failure: the answer is larger than MAX_RESPONSE_SIZE (1000 bytes)"));
}

TEST(ReadAnswer, AChunkedAnswerOverTheLimitFailsAsItArrives) {
  std::vector<std::string> pieces{head("Transfer-Encoding: chunked\r\n")};
  for (int i = 0; i < 20; ++i) pieces.push_back(chunked(std::string(100, 'b')));
  pieces.push_back("0\r\n\r\n");
  EXPECT_THAT(read_answer_of(pieces, 1000), HasSubstr("MAX_RESPONSE_SIZE (1000 bytes)"));
}

TEST(ReadErrorBody, KeepsTheFirstMebibyteAndStops) {
  std::string outcome;
  run_with_client(
      [&](asio::any_io_executor executor, http::Client& client) -> asio::awaitable<void> {
        std::vector<std::string> pieces{head("Transfer-Encoding: chunked\r\n")};
        for (int i = 0; i < 40; ++i) pieces.push_back(chunked(std::string(64 * 1024, 'e')));
        pieces.push_back("0\r\n\r\n");
        ScriptedUpstream upstream(executor, pieces);
        http::Response response = co_await client.send(post_to(upstream.url()), kQuick);
        outcome = co_await read_error_body(response);
      });
  EXPECT_EQ(outcome.size(), kErrorBodyLimit);
}

}  // namespace
}  // namespace ccgate::upstream
