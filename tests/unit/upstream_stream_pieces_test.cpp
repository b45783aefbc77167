// Response::read_some over every recorded OpenAI stream (tests/unit/fixtures/*.sse), sent as one
// HTTP chunk per event: chunks that arrive in one socket read are handed over together (one
// piece, hence one write to the client, instead of one per event), and the bytes and the events
// the relay reads from them are exactly those of chunks read one at a time.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "http/sse.hpp"
#include "upstream_test_support.hpp"

namespace ccgate::testing {
namespace {

const std::filesystem::path kFixtures = std::filesystem::path(__FILE__).parent_path() / "fixtures";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << file.rdbuf();
  return bytes.str();
}

std::vector<std::string> fixture_names() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(kFixtures))
    if (entry.path().extension() == ".sse") names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// The stream's events, each with the blank line (LF or CRLF) that ends it (the last may lack
// one).
std::vector<std::string> split_events(std::string_view body) {
  std::vector<std::string> events;
  while (!body.empty()) {
    const auto lf = body.find("\n\n");
    const auto crlf = body.find("\r\n\r\n");
    std::size_t size = body.size();
    if (lf != std::string_view::npos) size = lf + 2;
    if (crlf != std::string_view::npos && crlf + 4 < size) size = crlf + 4;
    events.emplace_back(body.substr(0, size));
    body.remove_prefix(size);
  }
  return events;
}

std::string chunk(std::string_view data) {
  std::ostringstream out;
  out << std::hex << data.size() << "\r\n" << data << "\r\n";
  return out.str();
}

const std::string kChunkedHead =
    head("Content-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n");

struct Read {
  std::vector<std::string> pieces;
  std::vector<std::pair<std::string, std::string>> events;  // what the relay's reader makes of it
};

// What read_some hands over when the upstream writes `writes`, and the events an SseReader fed
// piece by piece (as the relay feeds it) reads from them.
Read read_stream(std::vector<std::string> writes) {
  Read read;
  run_with_client(
      [&](asio::any_io_executor executor, http::Client& client) -> asio::awaitable<void> {
        ScriptedUpstream upstream(executor, writes);
        http::Response response = co_await client.send(post_to(upstream.url()), kQuick);
        http::SseReader reader;
        while (auto piece = co_await response.read_some()) {
          read.pieces.emplace_back(*piece);
          reader.feed(*piece);
          while (auto event = reader.next()) read.events.emplace_back(event->event, event->data);
        }
        if (auto last = reader.finish()) read.events.emplace_back(last->event, last->data);
      });
  return read;
}

std::string joined(const std::vector<std::string>& pieces) {
  std::string all;
  for (const auto& piece : pieces) all += piece;
  return all;
}

TEST(StreamPieces, ChunksReadTogetherGiveTheSameBytesAndEventsAsChunksReadApart) {
  const auto names = fixture_names();
  ASSERT_FALSE(names.empty());
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    const std::string body = read_file(kFixtures / name);
    const auto events = split_events(body);
    ASSERT_GT(events.size(), 2u);

    // One write per chunk, with a pause between them: read one at a time (the old path).
    std::vector<std::string> apart{kChunkedHead};
    for (const auto& event : events) apart.push_back(chunk(event));
    apart.emplace_back("0\r\n\r\n");
    const Read one_by_one = read_stream(apart);

    // The whole chunked body in one write.
    std::string together = kChunkedHead;
    for (const auto& event : events) together += chunk(event);
    together += "0\r\n\r\n";
    const Read at_once = read_stream({together});

    EXPECT_EQ(joined(one_by_one.pieces), body);
    EXPECT_EQ(joined(at_once.pieces), body);
    EXPECT_EQ(at_once.events, one_by_one.events);
    EXPECT_EQ(one_by_one.pieces.size(), events.size());
    // Each piece holds what one socket read brought (up to 4 KiB): fewer pieces than events.
    EXPECT_LT(at_once.pieces.size(), events.size());
    EXPECT_GE(at_once.pieces.size(), body.size() / 4096);
  }
}

TEST(StreamPieces, ABadChunkAfterGoodOnesFailsOnlyAfterTheGoodOnesAreHandedOver) {
  const std::string writes = kChunkedHead + chunk("data: one\n\n") + chunk("data: two\n\n") +
                             "zz-not-a-size\r\ndata: three\r\n0\r\n\r\n";
  std::vector<std::string> pieces;
  std::string failure;
  run_with_client(
      [&](asio::any_io_executor executor, http::Client& client) -> asio::awaitable<void> {
        ScriptedUpstream upstream(executor, {writes});
        http::Response response = co_await client.send(post_to(upstream.url()), kQuick);
        try {
          while (auto piece = co_await response.read_some()) pieces.emplace_back(*piece);
        } catch (const http::ClientError& error) {
          failure = error.what();
        }
      });
  EXPECT_EQ(joined(pieces), "data: one\n\ndata: two\n\n");
  EXPECT_FALSE(failure.empty()) << "a malformed chunk size must fail the read";
}

}  // namespace
}  // namespace ccgate::testing
