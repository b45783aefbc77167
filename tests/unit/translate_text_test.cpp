#include <gtest/gtest.h>

#include "translate/text.hpp"

namespace ccgate::translate {
namespace {

TEST(SecondsText, ShowsWholeAndFractionalSeconds) {
  EXPECT_EQ(seconds_text(std::chrono::milliseconds(600'000)), "600 s");
  EXPECT_EQ(seconds_text(std::chrono::milliseconds(1'500)), "1.5 s");
  EXPECT_EQ(seconds_text(std::chrono::milliseconds(250)), "0.25 s");
}

TEST(Utf8SequenceLength, MeasuresWellFormedSequences) {
  EXPECT_EQ(utf8_sequence_length("a"), 1u);
  EXPECT_EQ(utf8_sequence_length("\xc3\xa9"), 2u);
  EXPECT_EQ(utf8_sequence_length("\xe2\x82\xac!"), 3u);
  EXPECT_EQ(utf8_sequence_length("\xf0\x9f\x8e\x89"), 4u);
  EXPECT_EQ(utf8_sequence_length("\xf4\x8f\xbf\xbf"), 4u);  // U+10FFFF
}

TEST(Utf8SequenceLength, RejectsWhatIsNotUtf8) {
  EXPECT_EQ(utf8_sequence_length(""), 0u);
  EXPECT_EQ(utf8_sequence_length("\x80"), 0u);              // a continuation byte first
  EXPECT_EQ(utf8_sequence_length("\xc0\xaf"), 0u);          // overlong '/'
  EXPECT_EQ(utf8_sequence_length("\xe0\x80\xaf"), 0u);      // overlong
  EXPECT_EQ(utf8_sequence_length("\xed\xa0\x80"), 0u);      // a UTF-16 surrogate
  EXPECT_EQ(utf8_sequence_length("\xf4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(utf8_sequence_length("\xe2\x82"), 0u);          // cut short
  EXPECT_EQ(utf8_sequence_length("\xff"), 0u);
}

TEST(ValidUtf8, ReplacesEachStrayByteAndKeepsTheRest) {
  EXPECT_EQ(valid_utf8("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(valid_utf8("caf\xe9 ok"), "caf\xef\xbf\xbd ok");  // Latin-1 é
  EXPECT_EQ(valid_utf8("\xe2\x82"), "\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(valid_utf8(""), "");
}

TEST(Utf8Prefix, NeverEndsInsideACharacter) {
  EXPECT_EQ(utf8_prefix("abc", 5), "abc");
  EXPECT_EQ(utf8_prefix("abc", 2), "ab");
  EXPECT_EQ(utf8_prefix("a\u00e9b", 2), "a");  // é is 2 bytes
  EXPECT_EQ(utf8_prefix("a\u00e9b", 3), "a\u00e9");
  EXPECT_EQ(utf8_prefix("\u2014x", 2), "");     // — is 3 bytes
  EXPECT_EQ(utf8_prefix("\U0001F600", 3), "");  // 4 bytes
  EXPECT_EQ(utf8_prefix("\U0001F600", 4), "\U0001F600");
}

TEST(IgnoringCase, StartsWithAndContainsCompareAsciiLetters) {
  EXPECT_TRUE(starts_with_ignoring_case("GPT-5-mini", "gpt-5"));
  EXPECT_FALSE(starts_with_ignoring_case("gpt", "gpt-5"));
  EXPECT_TRUE(starts_with_ignoring_case("x", ""));
  EXPECT_TRUE(contains_ignoring_case("claude-3-5-HAIKU-2024", "haiku"));
  EXPECT_FALSE(contains_ignoring_case("claude-3-5-haik", "haiku"));
  EXPECT_TRUE(contains_ignoring_case("", ""));
  EXPECT_FALSE(contains_ignoring_case("", "a"));
  EXPECT_FALSE(contains_ignoring_case("caf\xC3\xA9", "CAF\xC3\x89"));  // ASCII only
}

}  // namespace
}  // namespace ccgate::translate
