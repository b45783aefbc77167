#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "translate/ids.hpp"
#include "translate/model_map.hpp"

namespace ccgate::translate {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(ParseModelAliases, ReadsPairsIgnoringSpaces) {
  EXPECT_THAT(parse_model_aliases(" a=b , claude-x = gpt-5 ,"),
              ElementsAre(Pair("a", "b"), Pair("claude-x", "gpt-5")));
  EXPECT_TRUE(parse_model_aliases("").empty());
  EXPECT_TRUE(parse_model_aliases("  ").empty());
  EXPECT_THAT(parse_model_aliases("x=openrouter/google/gemini-2.5=pro"),
              ElementsAre(Pair("x", "openrouter/google/gemini-2.5=pro")));
}

TEST(ParseModelAliases, RejectsBadItemsNamingThem) {
  for (const char* text : {"a=b,nonsense", "=b", "a=", "a = "}) {
    try {
      parse_model_aliases(text);
      ADD_FAILURE() << "accepted " << text;
    } catch (const std::invalid_argument& error) {
      EXPECT_THAT(error.what(), ::testing::HasSubstr("is not of the form")) << text;
    }
  }
  try {
    parse_model_aliases("a=b,nonsense");
  } catch (const std::invalid_argument& error) {
    EXPECT_THAT(error.what(), ::testing::HasSubstr("\"nonsense\""));
  }
}

struct ReasoningCase {
  std::string model;
  bool reasoning;
};

[[maybe_unused]] void PrintTo(const ReasoningCase& c, std::ostream* os) {
  *os << c.model;
}

class ReasoningPrefixTest : public ::testing::TestWithParam<ReasoningCase> {};

TEST_P(ReasoningPrefixTest, TheDefaultPrefixesRecogniseOpenAIsReasoningFamilies) {
  const std::vector<std::string> defaults(kDefaultReasoningPrefixes.begin(),
                                          kDefaultReasoningPrefixes.end());
  EXPECT_EQ(has_reasoning_prefix(defaults, GetParam().model), GetParam().reasoning);
}

INSTANTIATE_TEST_SUITE_P(
    Defaults, ReasoningPrefixTest,
    ::testing::Values(ReasoningCase{"o1", true}, ReasoningCase{"o1-mini", true},
                      ReasoningCase{"o3-mini-2025-01-31", true}, ReasoningCase{"o4-mini", true},
                      ReasoningCase{"gpt-5", true}, ReasoningCase{"GPT-5-mini", true},
                      ReasoningCase{"openai/gpt-5", true},
                      ReasoningCase{"openrouter/openai/o3", true}, ReasoningCase{"gpt-4o", false},
                      ReasoningCase{"gpt-4.1", false}, ReasoningCase{"deepseek-reasoner", false},
                      ReasoningCase{"my-o3-finetune", false}, ReasoningCase{"", false}));

TEST(ReasoningPrefix, UsesConfiguredPrefixesAndNeverAnEmptyOne) {
  EXPECT_TRUE(has_reasoning_prefix({"DeepSeek-R"}, "deepseek-r1"));
  EXPECT_FALSE(has_reasoning_prefix({"DeepSeek-R"}, "o3"));
  EXPECT_FALSE(has_reasoning_prefix({""}, "o3"));
}

class IdGenerators : public ::testing::TestWithParam<MakeId> {};

TEST_P(IdGenerators, GiveThePrefixAnd24DistinctBase62Characters) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string id = GetParam()("toolu_");
    ASSERT_EQ(id.size(), 6u + 24u);
    EXPECT_TRUE(id.starts_with("toolu_"));
    EXPECT_EQ(
        id.find_first_not_of("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 6),
        std::string::npos)
        << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 200u);
}

INSTANTIATE_TEST_SUITE_P(SecretAndUnique, IdGenerators,
                         ::testing::Values(MakeId{random_id}, MakeId{unique_id}));

}  // namespace
}  // namespace ccgate::translate
