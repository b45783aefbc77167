#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "claude/line_buffer.hpp"

namespace ccgate::claude {
namespace {

std::vector<std::string> drain(LineBuffer& buffer) {
  std::vector<std::string> lines;
  while (auto line = buffer.next_line()) lines.push_back(*line);
  return lines;
}

TEST(ClaudeLineBuffer, SplitsLinesArrivingInAnyChunks) {
  LineBuffer buffer;
  buffer.append("{\"type\":\"sys");
  EXPECT_TRUE(drain(buffer).empty());
  buffer.append("tem\"}\n{\"a\":1}\n\n{\"b\"");
  EXPECT_EQ(drain(buffer), (std::vector<std::string>{R"({"type":"system"})", R"({"a":1})", ""}));
  buffer.append(":2}\n");
  EXPECT_EQ(drain(buffer), std::vector<std::string>{R"({"b":2})"});
  EXPECT_EQ(buffer.pending(), 0u);
}

TEST(ClaudeLineBuffer, KeepsAnUnterminatedTailForTakeRest) {
  LineBuffer buffer;
  buffer.append("one\ntwo");
  EXPECT_EQ(drain(buffer), std::vector<std::string>{"one"});
  EXPECT_EQ(buffer.pending(), 3u);
  EXPECT_EQ(buffer.take_rest(), "two");
  EXPECT_EQ(buffer.pending(), 0u);
  EXPECT_EQ(buffer.take_rest(), "");
}

TEST(ClaudeLineBuffer, PreparedRoomCountsOnlyWhatWasCommitted) {
  LineBuffer buffer;
  buffer.append("head ");
  auto room = buffer.prepare(1024);
  ASSERT_GE(room.size(), 1024u);
  std::memcpy(room.data(), "tail\nmore", 9);
  EXPECT_FALSE(buffer.next_line());  // nothing committed yet: the zeroed room is not data
  buffer.commit(9);
  EXPECT_EQ(drain(buffer), std::vector<std::string>{"head tail"});
  EXPECT_EQ(buffer.take_rest(), "more");
}

TEST(ClaudeLineBuffer, AFiveMegabyteLineBuiltFromSmallReadsArrivesWhole) {
  std::string line(5 * 1024 * 1024, ' ');
  for (std::size_t i = 0; i < line.size(); ++i)
    line[i] = static_cast<char>('!' + (i * 31 + i / 7) % 90);
  LineBuffer buffer;
  buffer.append("first\n");
  ASSERT_EQ(buffer.next_line(), "first");
  for (std::size_t at = 0; at < line.size(); at += 4096) {
    buffer.append(std::string_view(line).substr(at, 4096));
    ASSERT_FALSE(buffer.next_line().has_value());
  }
  buffer.append("\nlast\n");
  EXPECT_EQ(buffer.next_line(), line);
  EXPECT_EQ(buffer.next_line(), "last");
  EXPECT_FALSE(buffer.next_line());
}

TEST(ClaudeLineBuffer, ManyLinesSurviveCompaction) {
  LineBuffer buffer;
  std::vector<std::string> expected;
  std::vector<std::string> seen;
  for (int i = 0; i < 20000; ++i) {
    expected.push_back("line " + std::to_string(i));
    buffer.append(expected.back() + "\n");
    if (i % 7 == 0)
      for (auto& line : drain(buffer)) seen.push_back(std::move(line));
  }
  for (auto& line : drain(buffer)) seen.push_back(std::move(line));
  EXPECT_EQ(seen, expected);
}

TEST(ClaudeLineBuffer, ALineOfExactlyTheLimitIsAccepted) {
  LineBuffer buffer(8);
  EXPECT_EQ(buffer.append("12345678\n"), 9u);
  EXPECT_EQ(buffer.next_line(), "12345678");
  EXPECT_FALSE(buffer.overflowed());
  EXPECT_EQ(buffer.append("abc\n"), 4u);
  EXPECT_EQ(buffer.next_line(), "abc");
}

TEST(ClaudeLineBuffer, AnOverlongLineStopsTakingBytesOnePastTheLimit) {
  constexpr std::size_t kLimit = 1024;
  LineBuffer buffer(kLimit);
  buffer.append("ok\n");
  ASSERT_EQ(buffer.next_line(), "ok");
  const std::string flood(64 * 1024, 'x');
  std::size_t taken = 0;
  for (int i = 0; i < 160; ++i) {  // 10 MiB offered, without a newline
    taken += buffer.append(flood);
    EXPECT_FALSE(buffer.next_line().has_value());
  }
  EXPECT_EQ(taken, kLimit + 1) << "room ends one byte past the limit: the line cannot be whole";
  EXPECT_TRUE(buffer.overflowed());
  EXPECT_TRUE(buffer.prepare(4096).empty());
  EXPECT_EQ(buffer.take_rest().size(), kLimit + 1);
  EXPECT_FALSE(buffer.overflowed());
  EXPECT_EQ(buffer.append("next\n"), 5u) << "after the rest is taken there is room again";
  EXPECT_EQ(buffer.next_line(), "next");
}

}  // namespace
}  // namespace ccgate::claude
