// ToolManager: the client's tools as MCP tools, cached by signature for TOOL_CACHE_TTL.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

#include "gateway/tool_manager.hpp"
#include "gateway_test_support.hpp"

namespace ccgate::gateway {
namespace {

using namespace test_support;  // NOLINT: the room's test helpers
using ::testing::Optional;
using Clock = ToolManager::Clock;

constexpr auto kTtl = 1000ms;

const std::vector<openai::Tool> kWeatherAndTime = {
    tool("get_weather", "Weather for a city.",
         R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})"),
    tool("get_time", "The time in a zone.",
         R"({"type":"object","properties":{"zone":{"type":"string"}}})"),
};

// What the door does for an admitted request: the set for its tools, cached.
std::shared_ptr<const ToolSet> admit(ToolManager& manager, const std::vector<openai::Tool>& tools,
                                     Clock::time_point now = Clock::now()) {
  auto set = manager.tool_set(tools);
  manager.remember(set, now);
  return set;
}

bool cli_accepts(std::string_view safe_name) {
  return !safe_name.empty() &&
         translate::ToolNames::kCliPrefix.size() + safe_name.size() <=
             translate::ToolNames::kMaxCliNameLength &&
         std::all_of(safe_name.begin(), safe_name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
         });
}

TEST(GatewayToolManager, TheSameToolsInAnotherOrderShareOneCachedSet) {
  ToolManager manager(kTtl);
  const auto first = admit(manager, kWeatherAndTime);
  const std::vector<openai::Tool> reversed(kWeatherAndTime.rbegin(), kWeatherAndTime.rend());
  const auto second = admit(manager, reversed);

  EXPECT_EQ(ToolManager::signature_of(reversed), ToolManager::signature_of(kWeatherAndTime));
  EXPECT_EQ(first->signature, ToolManager::signature_of(kWeatherAndTime));
  EXPECT_EQ(second.get(), first.get());
  EXPECT_EQ(manager.size(), 1u);
}

TEST(GatewayToolManager, ASetIsCachedOnlyOnceItsRequestIsAdmitted) {
  ToolManager manager(kTtl);
  const auto refused = manager.tool_set(kWeatherAndTime);
  EXPECT_EQ(refused->signature, ToolManager::signature_of(kWeatherAndTime));
  EXPECT_EQ(refused->mcp_tools.size(), 2u) << "a complete set, usable by a new session";
  EXPECT_EQ(manager.size(), 0u) << "a refused request leaves nothing cached";
  EXPECT_NE(manager.tool_set(kWeatherAndTime).get(), refused.get()) << "built again, not cached";

  manager.remember(refused);
  EXPECT_EQ(manager.size(), 1u);
  EXPECT_EQ(manager.tool_set(kWeatherAndTime).get(), refused.get()) << "now the cached one";
  manager.remember(manager.tool_set(kWeatherAndTime));
  EXPECT_EQ(manager.size(), 1u) << "remembering the same set again adds nothing";
}

TEST(GatewayToolManager, AChangedDescriptionOrSchemaIsAnotherToolSet) {
  const auto base = ToolManager::signature_of(kWeatherAndTime);

  auto described = kWeatherAndTime;
  described[0].description = "Weather for a city, in Celsius.";
  auto reshaped = kWeatherAndTime;
  reshaped[0].parameters =
      json::parse(R"({"type":"object","properties":{"city":{"type":"number"}}})").as_object();
  auto renamed = kWeatherAndTime;
  renamed[1].name = "get_clock";
  const std::vector<openai::Tool> fewer(kWeatherAndTime.begin(), kWeatherAndTime.begin() + 1);

  EXPECT_NE(ToolManager::signature_of(described), base);
  EXPECT_NE(ToolManager::signature_of(reshaped), base);
  EXPECT_NE(ToolManager::signature_of(renamed), base);
  EXPECT_NE(ToolManager::signature_of(fewer), base);

  ToolManager manager(kTtl);
  const auto original = admit(manager, kWeatherAndTime);
  const auto changed = admit(manager, described);
  EXPECT_NE(changed.get(), original.get());
  EXPECT_EQ(changed->mcp_tools.front().description, "Weather for a city, in Celsius.");
  EXPECT_EQ(manager.size(), 2u);
}

TEST(GatewayToolManager, NestedSchemaKeyOrderDoesNotMatter) {
  const auto one = tool("lookup", "Looks up.",
                        R"({"type":"object","required":["q"],
                            "properties":{"q":{"type":"string","description":"query"},
                                          "limit":{"minimum":1,"type":"integer"}}})");
  const auto other = tool("lookup", "Looks up.",
                          R"({"properties":{"limit":{"type":"integer","minimum":1},
                                            "q":{"description":"query","type":"string"}},
                              "required":["q"],"type":"object"})");
  EXPECT_EQ(ToolManager::signature_of({one}), ToolManager::signature_of({other}));

  // Array order is meaning, not formatting: it still counts.
  const auto reordered_enum = tool("lookup", "Looks up.", R"({"type":"object","enum":["b","a"]})");
  const auto enum_ = tool("lookup", "Looks up.", R"({"type":"object","enum":["a","b"]})");
  EXPECT_NE(ToolManager::signature_of({reordered_enum}), ToolManager::signature_of({enum_}));
}

TEST(GatewayToolManager, SweepDropsSetsUnusedForLongerThanTheTtl) {
  ToolManager manager(kTtl);
  const auto t0 = Clock::now();
  const auto held = admit(manager, kWeatherAndTime, t0);

  EXPECT_EQ(manager.sweep(t0 + kTtl), 0u) << "exactly the TTL is not past it";
  EXPECT_EQ(manager.size(), 1u);
  EXPECT_EQ(manager.sweep(t0 + kTtl + 1ms), 1u);
  EXPECT_EQ(manager.size(), 0u);

  // A session that holds the set keeps it usable; registering again builds a fresh one.
  EXPECT_EQ(held->mcp_tools.size(), 2u);
  const auto again = admit(manager, kWeatherAndTime, t0 + kTtl + 2ms);
  EXPECT_NE(again.get(), held.get());
  EXPECT_EQ(again->signature, held->signature);
}

TEST(GatewayToolManager, ASetUsedRecentlySurvivesTheSweep) {
  ToolManager manager(kTtl);
  const auto t0 = Clock::now();
  const std::vector<openai::Tool> search = {tool("search")};
  const auto kept = admit(manager, kWeatherAndTime, t0);
  const auto unused = admit(manager, search, t0);
  EXPECT_EQ(admit(manager, kWeatherAndTime, t0 + kTtl / 2).get(), kept.get());

  EXPECT_EQ(manager.sweep(t0 + kTtl + 1ms), 1u);
  EXPECT_EQ(manager.size(), 1u);
  EXPECT_EQ(admit(manager, kWeatherAndTime, t0 + kTtl + 2ms).get(), kept.get())
      << "the recently used set is still the cached one";
  EXPECT_NE(admit(manager, search, t0 + kTtl + 2ms).get(), unused.get())
      << "the swept set had to be built again";
  EXPECT_EQ(manager.size(), 2u);
}

TEST(GatewayToolManager, NamesTheCliWouldRefuseAreServedAsSafeNamesAndMappedBack) {
  const std::string long_name(80, 'w');
  const std::vector<openai::Tool> tools = {
      tool("get.weather", "Dotted."),
      tool("look up", "Spaced."),
      tool(long_name, "Long."),
      tool("plain_name", "Plain."),
  };
  ToolManager manager(kTtl);
  const auto set = admit(manager, tools);

  ASSERT_EQ(set->mcp_tools.size(), tools.size());
  for (std::size_t i = 0; i < tools.size(); ++i) {
    const auto& served = set->mcp_tools[i];
    EXPECT_TRUE(cli_accepts(served.name)) << served.name;
    EXPECT_THAT(set->names.client_for(served.name), Optional(tools[i].name));
    EXPECT_THAT(set->names.client_for_cli_name("mcp__gateway__" + served.name),
                Optional(tools[i].name));
    EXPECT_EQ(served.description, tools[i].description) << "the description follows its tool";
    EXPECT_EQ(served.input_schema, tools[i].parameters);
  }
  EXPECT_EQ(set->mcp_tools[0].name, "get_weather");
  EXPECT_EQ(set->mcp_tools[1].name, "look_up");
  EXPECT_EQ(set->mcp_tools[3].name, "plain_name");
  EXPECT_EQ(set->names.client_for("get.weather"), std::nullopt)
      << "the client's raw name is not an MCP name";
}

}  // namespace
}  // namespace ccgate::gateway
