#include <gtest/gtest.h>

#include "gateway/name_glob.hpp"

namespace ccgate::gateway {
namespace {

TEST(NameGlob, LiteralsMatchThemselvesOnly) {
  EXPECT_TRUE(glob_matches("Read", "Read"));
  EXPECT_FALSE(glob_matches("Read", "read"));
  EXPECT_FALSE(glob_matches("Read", "ReadFile"));
  EXPECT_FALSE(glob_matches("", "Read"));
  EXPECT_TRUE(glob_matches("", ""));
}

TEST(NameGlob, StarMatchesAnyRunIncludingNone) {
  EXPECT_TRUE(glob_matches("*", ""));
  EXPECT_TRUE(glob_matches("*", "anything"));
  EXPECT_TRUE(glob_matches("mcp__search__*", "mcp__search__web"));
  EXPECT_TRUE(glob_matches("mcp__search__*", "mcp__search__"));
  EXPECT_FALSE(glob_matches("mcp__search__*", "mcp__other__web"));
  EXPECT_TRUE(glob_matches("*_weather", "get_weather"));
  EXPECT_TRUE(glob_matches("a*b*c", "aXbYbZc"));
  EXPECT_FALSE(glob_matches("a*b*c", "aXbYbZ"));
  EXPECT_TRUE(glob_matches("**", "x"));
}

TEST(NameGlob, QuestionMarkMatchesExactlyOneCharacter) {
  EXPECT_TRUE(glob_matches("get_?eather", "get_weather"));
  EXPECT_FALSE(glob_matches("get_?eather", "get_eather"));
  EXPECT_FALSE(glob_matches("?", ""));
}

TEST(NameGlob, AnyOfAListMatches) {
  EXPECT_TRUE(any_glob_matches({"get_*", "Read"}, "Read"));
  EXPECT_TRUE(any_glob_matches({"get_*", "Read"}, "get_weather"));
  EXPECT_FALSE(any_glob_matches({"get_*", "Read"}, "set_weather"));
  EXPECT_FALSE(any_glob_matches({}, "Read"));
}

TEST(NameGlob, LongNamesDoNotBacktrackExponentially) {
  const std::string name(10'000, 'a');
  EXPECT_FALSE(glob_matches("*a*a*a*a*a*a*a*b", name));
}

}  // namespace
}  // namespace ccgate::gateway
