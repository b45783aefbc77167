#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

#include "translate/ids.hpp"
#include "translate/model_map.hpp"

namespace ccgate::translate {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

struct ModelCase {
  std::string client;
  std::string upstream;
};

[[maybe_unused]] void PrintTo(const ModelCase& c, std::ostream* os) {
  *os << c.client;
}

class ModelMapTest : public ::testing::TestWithParam<ModelCase> {};

TEST_P(ModelMapTest, MapsClientNameToUpstream) {
  ModelMap map{.big_model = "big",
               .middle_model = "middle",
               .small_model = "small",
               .aliases = {{"claude-sonnet-4-5", "gpt-5"}, {"My-Model", "qwen3-coder"}}};
  EXPECT_EQ(map.upstream_for(GetParam().client), GetParam().upstream);
}

INSTANTIATE_TEST_SUITE_P(
    Families, ModelMapTest,
    ::testing::Values(ModelCase{"claude-3-5-haiku-20241022", "small"},
                      ModelCase{"claude-haiku-4-5", "small"},
                      ModelCase{"claude-sonnet-4-20250514", "middle"},
                      ModelCase{"claude-opus-4-1", "big"},
                      ModelCase{"CLAUDE-OPUS-4", "big"},  // family match ignores case
                      ModelCase{"Claude-Haiku", "small"},
                      ModelCase{"claude-sonnet-4-5", "gpt-5"},  // alias beats family
                      ModelCase{"CLAUDE-SONNET-4-5", "gpt-5"},  // alias ignores case
                      ModelCase{"my-model", "qwen3-coder"},
                      ModelCase{"gpt-4.1", "gpt-4.1"},  // anything else passes through
                      ModelCase{"o3-mini", "o3-mini"},
                      ModelCase{"deepseek/deepseek-chat", "deepseek/deepseek-chat"},
                      ModelCase{"claude-3-unknown", "claude-3-unknown"}));

TEST(ModelMapDefaults, MatchTheOriginalProject) {
  ModelMap map;
  EXPECT_EQ(map.upstream_for("claude-opus-4"), "gpt-4o");
  EXPECT_EQ(map.upstream_for("claude-sonnet-4"), "gpt-4o");
  EXPECT_EQ(map.upstream_for("claude-haiku-4"), "gpt-4o-mini");
}

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

class ReasoningModelsTest : public ::testing::TestWithParam<ReasoningCase> {};

TEST_P(ReasoningModelsTest, RecognisesByPrefix) {
  EXPECT_EQ(ReasoningModels{}.matches(GetParam().model), GetParam().reasoning);
}

INSTANTIATE_TEST_SUITE_P(
    Defaults, ReasoningModelsTest,
    ::testing::Values(ReasoningCase{"o1", true}, ReasoningCase{"o1-mini", true},
                      ReasoningCase{"o3-mini-2025-01-31", true}, ReasoningCase{"o4-mini", true},
                      ReasoningCase{"gpt-5", true}, ReasoningCase{"GPT-5-mini", true},
                      ReasoningCase{"openai/gpt-5", true},
                      ReasoningCase{"openrouter/openai/o3", true}, ReasoningCase{"gpt-4o", false},
                      ReasoningCase{"gpt-4.1", false}, ReasoningCase{"deepseek-reasoner", false},
                      ReasoningCase{"my-o3-finetune", false}, ReasoningCase{"", false}));

TEST(ReasoningModels, UsesConfiguredPrefixes) {
  ReasoningModels models{.prefixes = {"DeepSeek-R"}};
  EXPECT_TRUE(models.matches("deepseek-r1"));
  EXPECT_FALSE(models.matches("o3"));
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
