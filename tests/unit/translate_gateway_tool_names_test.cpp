// Client tool names ↔ MCP tool names the CLI accepts.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "translate/tool_names.hpp"

namespace ccgate::translate {
namespace {

bool cli_accepts(std::string_view cli_name) {
  if (cli_name.size() > ToolNames::kMaxCliNameLength) return false;
  if (!cli_name.starts_with(ToolNames::kCliPrefix)) return false;
  const auto name = cli_name.substr(ToolNames::kCliPrefix.size());
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

const std::vector<std::string> kAwkwardNames = {
    "get_weather",
    "get-time",
    "search.web",
    "search web",
    "search_web",
    "météo",
    "天气",
    "files/read",
    "a",
    std::string(80, 'x'),
    std::string(70, 'x') + "1",
    std::string(70, 'x') + "2",
    "x.y.z",
    "x_y_z",
    "x y z",
};

TEST(GatewayToolNamesTest, SafeNamesStayAsTheyAre) {
  const ToolNames names({"get_weather", "get-time", "Lookup_2"});
  EXPECT_EQ(names.safe_for("get_weather"), "get_weather");
  EXPECT_EQ(names.safe_for("get-time"), "get-time");
  EXPECT_EQ(names.cli_name_for("Lookup_2"), "mcp__gateway__Lookup_2");
}

TEST(GatewayToolNamesTest, UnsafeCharactersBecomeUnderscores) {
  const ToolNames names({"search.web", "météo", "files/read now"});
  EXPECT_EQ(names.safe_for("search.web"), "search_web");
  EXPECT_EQ(names.safe_for("météo"), "m_t_o") << "one '_' per character, not per byte";
  EXPECT_EQ(names.safe_for("files/read now"), "files_read_now");
}

TEST(GatewayToolNamesTest, EveryNameIsAcceptedByTheCliAndRoundTrips) {
  const ToolNames names(kAwkwardNames);
  std::set<std::string> safe_names;
  for (const auto& client : kAwkwardNames) {
    SCOPED_TRACE(client);
    const auto cli_name = names.cli_name_for(client);
    ASSERT_TRUE(cli_name.has_value());
    EXPECT_TRUE(cli_accepts(*cli_name)) << *cli_name;
    EXPECT_EQ(names.client_for_cli_name(*cli_name), client);
    EXPECT_EQ(names.client_for(*names.safe_for(client)), client);
    safe_names.insert(*names.safe_for(client));
  }
  EXPECT_EQ(safe_names.size(), kAwkwardNames.size()) << "no two client tools share a name";
}

TEST(GatewayToolNamesTest, CollisionsGetAStableHashSuffix) {
  const ToolNames names({"search_web", "search.web", "search web"});
  EXPECT_EQ(names.safe_for("search_web"), "search_web") << "the already-safe name keeps its name";
  const auto dotted = *names.safe_for("search.web");
  const auto spaced = *names.safe_for("search web");
  EXPECT_THAT(dotted, ::testing::MatchesRegex("search_web_[0-9a-f]{8}"));
  EXPECT_THAT(spaced, ::testing::MatchesRegex("search_web_[0-9a-f]{8}"));
  EXPECT_NE(dotted, spaced);
  // The suffix depends only on the name: the same in another tool list.
  EXPECT_EQ(ToolNames({"search.web", "search_web", "zeta"}).safe_for("search.web"), dotted);
}

TEST(GatewayToolNamesTest, LongNamesAreCutAndStayDistinct) {
  const std::string long_a = std::string(70, 'x') + "1";
  const std::string long_b = std::string(70, 'x') + "2";
  const ToolNames names({long_a, long_b});
  EXPECT_EQ(names.cli_name_for(long_a)->size(), ToolNames::kMaxCliNameLength);
  EXPECT_NE(names.safe_for(long_a), names.safe_for(long_b));
  const ToolNames alone({long_a});
  EXPECT_EQ(alone.safe_for(long_a), std::string(ToolNames::kMaxSafeLength, 'x'))
      << "a name cut without a collision needs no suffix";
}

TEST(GatewayToolNamesTest, SameListInAnyOrderGivesTheSameMapping) {
  const ToolNames reference(kAwkwardNames);
  auto shuffled = kAwkwardNames;
  std::mt19937 random(42);
  for (int round = 0; round < 5; ++round) {
    std::shuffle(shuffled.begin(), shuffled.end(), random);
    shuffled.push_back(shuffled.front());  // duplicates change nothing
    const ToolNames names(shuffled);
    for (const auto& client : kAwkwardNames) {
      EXPECT_EQ(names.safe_for(client), reference.safe_for(client)) << client;
    }
  }
}

TEST(GatewayToolNamesTest, UnknownNamesAreNotTheClients) {
  const ToolNames names({"get_weather"});
  EXPECT_FALSE(names.safe_for("delete_files").has_value());
  EXPECT_FALSE(names.client_for("delete_files").has_value());
  EXPECT_FALSE(names.client_for_cli_name("mcp__gateway__delete_files").has_value());
  EXPECT_FALSE(names.client_for_cli_name("Bash").has_value());
  EXPECT_FALSE(names.client_for_cli_name("mcp__other__get_weather").has_value());
  EXPECT_FALSE(names.client_for_cli_name("get_weather").has_value());
}

TEST(GatewayToolNamesTest, HyphensTheCliTurnedIntoUnderscoresStillMatch) {
  const ToolNames names({"get-time"});
  EXPECT_EQ(names.client_for_cli_name("mcp__gateway__get_time"), "get-time");
  // An exact name always wins, and an ambiguous one matches nothing.
  const ToolNames both({"get-time", "get_time"});
  EXPECT_EQ(both.client_for("get_time"), "get_time");
  EXPECT_EQ(both.client_for("get-time"), "get-time");
  const ToolNames ambiguous({"a-b_c", "a_b-c"});
  EXPECT_FALSE(ambiguous.client_for("a_b_c").has_value());
}

}  // namespace
}  // namespace ccgate::translate
