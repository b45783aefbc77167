#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "http/sse.hpp"

namespace ccgate::http {
namespace {

// Events as {event, data} pairs, which gtest compares and prints.
using Event = std::pair<std::string, std::string>;

std::vector<SseEvent> drain(SseReader& reader) {
  std::vector<SseEvent> events;
  while (auto event = reader.next()) events.push_back(std::move(*event));
  return events;
}

// Feeds the pieces one by one, taking events as they complete, then finishes.
std::vector<Event> read_all(const std::vector<std::string_view>& pieces) {
  SseReader reader;
  std::vector<Event> events;
  for (const auto piece : pieces) {
    reader.feed(piece);
    for (auto& event : drain(reader)) events.emplace_back(event.event, event.data);
  }
  while (auto event = reader.finish()) events.emplace_back(event->event, event->data);
  return events;
}

std::vector<Event> read_all(std::string_view whole) {
  return read_all(std::vector<std::string_view>{whole});
}

TEST(SseReader, ReadsEventNameAndData) {
  EXPECT_THAT(read_all("event: message_start\ndata: {\"type\":\"message_start\"}\n\n"),
              testing::ElementsAre(Event{"message_start", R"({"type":"message_start"})"}));
}

TEST(SseReader, JoinsMultiLineDataWithNewlines) {
  EXPECT_THAT(read_all("data: first\ndata: second\ndata:\ndata: fourth\n\n"),
              testing::ElementsAre(Event{"", "first\nsecond\n\nfourth"}));
}

TEST(SseReader, IgnoresCommentsAndUnknownFields) {
  EXPECT_THAT(read_all(": ping\n\n: keep-alive\ndata: x\nid: 7\nretry: 100\nfoo: bar\n\n"),
              testing::ElementsAre(Event{"", "x"}));
}

TEST(SseReader, AcceptsCrLfLineEnds) {
  EXPECT_THAT(read_all("event: delta\r\ndata: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n"),
              testing::ElementsAre(Event{"delta", "a\nb"}, Event{"", "c"}));
}

TEST(SseReader, EventNameBelongsToOneEventOnly) {
  EXPECT_THAT(read_all("event: named\ndata: 1\n\ndata: 2\n\nevent: orphan\n\ndata: 3\n\n"),
              testing::ElementsAre(Event{"named", "1"}, Event{"", "2"}, Event{"", "3"}));
}

TEST(SseReader, StripsOnlyOneSpaceAfterTheColon) {
  EXPECT_THAT(read_all("data:tight\n\ndata:  two spaces\n\ndata\n\n"),
              testing::ElementsAre(Event{"", "tight"}, Event{"", " two spaces"}, Event{"", ""}));
}

TEST(SseReader, GivesTheSameEventsWhereverTheInputIsSplit) {
  const std::string stream =
      ": comment\r\n\r\nevent: message_start\r\ndata: {\"a\":1}\r\n\r\n"
      "data: line one\ndata: line two\n\nevent: ping\ndata: {}\n\ndata: [DONE]\n\n";
  const auto expected = read_all(stream);
  ASSERT_EQ(expected.size(), 4u);
  for (std::size_t split = 0; split <= stream.size(); ++split) {
    const std::string_view whole(stream);
    EXPECT_EQ(read_all({whole.substr(0, split), whole.substr(split)}), expected)
        << "split at " << split;
  }
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < stream.size(); ++i)
    bytes.push_back(std::string_view(stream).substr(i, 1));
  EXPECT_EQ(read_all(bytes), expected);
}

TEST(SseReader, FinishReturnsALastEventWithoutItsBlankLine) {
  EXPECT_THAT(read_all("data: last"), testing::ElementsAre(Event{"", "last"}));
  EXPECT_THAT(read_all("event: e\ndata: last\r\n"), testing::ElementsAre(Event{"e", "last"}));
  EXPECT_THAT(read_all("data: a\n\ndata: b\n"),
              testing::ElementsAre(Event{"", "a"}, Event{"", "b"}));
  EXPECT_THAT(read_all("data: a\n\n: trailing comment"), testing::ElementsAre(Event{"", "a"}));
  EXPECT_THAT(read_all("event: no data\n"), testing::IsEmpty());
}

TEST(SseReader, HoldsNoMoreThanTheUnfinishedTail) {
  SseReader reader;
  for (int i = 0; i < 1000; ++i) {
    reader.feed("data: " + std::to_string(i) + "\n\n");
    ASSERT_EQ(drain(reader).size(), 1u);
  }
  reader.feed("data: half");
  EXPECT_TRUE(drain(reader).empty());
  EXPECT_EQ(reader.buffered(), std::string_view("data: half").size());
}

TEST(SseReader, AMegabyteLineFedOneByteAtATimeArrivesWhole) {
  const std::string text(1024 * 1024, 'x');
  const std::string stream = "event: big\ndata: " + text + "\r\n\ndata: after\n\n";
  SseReader reader;
  std::vector<SseEvent> events;
  for (const char byte : stream) {
    reader.feed(std::string_view(&byte, 1));
    for (auto& event : drain(reader)) events.push_back(std::move(event));
    // Nothing is held but the unfinished line: no copy per piece, no growth beyond it.
    ASSERT_LE(reader.buffered(), text.size() + 16);
  }
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].event, "big");
  EXPECT_EQ(events[0].data.size(), text.size());
  EXPECT_EQ(events[0].data, text);
  EXPECT_EQ(events[1].data, "after");
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(SseReader, ALineLongerThanTheLimitIsAnError) {
  SseReader reader(1024);
  reader.feed("data: " + std::string(1024 - 6, 'a') + "\n\n");  // exactly at the limit
  ASSERT_TRUE(reader.next().has_value());
  reader.feed("data: " + std::string(1024, 'b') + "\n\n");
  EXPECT_THROW(reader.next(), SseTooLong);
}

TEST(SseReader, ALineWithoutEndIsAnErrorAsSoonAsItPassesTheLimit) {
  SseReader reader(1024);
  reader.feed("data: ");
  std::size_t fed = 6;
  try {
    for (; fed < 100 * 1024; fed += 100) {
      reader.feed(std::string(100, 'c'));
      EXPECT_FALSE(reader.next().has_value());
    }
    ADD_FAILURE() << "no error after " << fed << " bytes";
  } catch (const SseTooLong& error) {
    EXPECT_THAT(error.what(), testing::HasSubstr("1024"));
  }
  EXPECT_LE(fed, 1024u + 100u);
}

TEST(SseReader, AnEventsDataIsBoundedLikeALine) {
  SseReader reader(1024);
  std::string many_lines;
  for (int i = 0; i < 20; ++i) many_lines += "data: " + std::string(100, 'd') + "\n";
  reader.feed(many_lines);
  EXPECT_THROW(reader.next(), SseTooLong);
}

TEST(SseReader, FinishChecksTheLastLineToo) {
  SseReader reader(1024);
  reader.feed("data: " + std::string(1019, 'e'));  // 1025 bytes: its \r may follow
  EXPECT_FALSE(reader.next().has_value());
  EXPECT_THROW(reader.finish(), SseTooLong);
}

TEST(SseReader, CrLfLinesAtTheLimitAreAccepted) {
  SseReader reader(16);
  const std::string line = "data: " + std::string(10, 'f');  // 16 bytes
  for (const char byte : line + "\r\n\r\n") {
    reader.feed(std::string_view(&byte, 1));
    if (auto event = reader.next()) {
      EXPECT_EQ(event->data, std::string(10, 'f'));
      return;
    }
  }
  ADD_FAILURE() << "no event";
}

TEST(SseWriter, WritesEventsDataAndComments) {
  std::string out;
  append_sse_event(out, "message_stop", R"({"type":"message_stop"})");
  append_sse_data(out, "[DONE]");
  append_sse_comment(out, "keep-alive");
  EXPECT_EQ(out,
            "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
            "data: [DONE]\n\n"
            ": keep-alive\n\n");
}

TEST(SseWriter, MultiLineDataSurvivesTheRoundTrip) {
  std::string out;
  append_sse_event(out, "e", "one\ntwo");
  append_sse_data(out, "three\n\nfive");
  append_sse_comment(out, "a\ndata: injected");
  EXPECT_THAT(read_all(out),
              testing::ElementsAre(Event{"e", "one\ntwo"}, Event{"", "three\n\nfive"}));
}

}  // namespace
}  // namespace ccgate::http
