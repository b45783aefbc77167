#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "routing/router.hpp"

namespace ccgate::routing {
namespace {

using ::testing::ElementsAre;

// Providers 0..3: openai, deepseek, openrouter, groq.
enum : std::size_t { kOpenai, kDeepseek, kOpenrouter, kGroq };

Catalog providers_only() {
  Catalog catalog;
  for (const char* name : {"openai", "deepseek", "openrouter", "groq"}) {
    catalog.providers.push_back(Provider{.name = name});
  }
  return catalog;
}

Catalog every_route() {
  Catalog catalog = providers_only();
  Routes& r = catalog.routes;
  r.fallback = {{kDeepseek, "deepseek-chat"}};
  r.opus = {{kOpenai, "gpt-5"}, {kDeepseek, "deepseek-reasoner"}};
  r.sonnet = {{kOpenai, "gpt-4.1"}};
  r.haiku = {{kGroq, "llama-small"}};
  r.background = {{kGroq, "llama-background"}};
  r.think = {{kDeepseek, "deepseek-reasoner"}};
  r.long_context = {{kOpenrouter, "google/gemini-2.5-pro"}};
  r.long_context_threshold = 60'000;
  r.web_search = {{kOpenrouter, "perplexity/sonar"}};
  r.models = {{"gpt-4o", {{kOpenai, "gpt-4o"}, {kOpenrouter, "openai/gpt-4o"}}}};
  return catalog;
}

translate::RouteTraits named(std::string_view model) {
  return {.model = model};
}

Decision decide_for(const Catalog& catalog, std::string_view model,
                    std::optional<std::int64_t> tokens = std::nullopt) {
  return decide(catalog, named(model), tokens);
}

TEST(RouterTest, FamiliesByCaseInsensitiveSubstring) {
  const Catalog catalog = every_route();
  // Haiku names go to background when it is set; see BackgroundOnlyWhenSet for the haiku route.
  EXPECT_EQ(decide_for(catalog, "claude-opus-4-1").route, "opus");
  EXPECT_THAT(decide_for(catalog, "claude-OPUS-4-1").chain,
              ElementsAre(Target{kOpenai, "gpt-5"}, Target{kDeepseek, "deepseek-reasoner"}));
  EXPECT_EQ(decide_for(catalog, "claude-sonnet-4-5-20250929").route, "sonnet");
  EXPECT_THAT(decide_for(catalog, "Claude-Sonnet-4").chain,
              ElementsAre(Target{kOpenai, "gpt-4.1"}));
  EXPECT_EQ(decide_for(catalog, "Claude-Haiku").route, "background");
}

TEST(RouterTest, UnknownClaudeFamilyIsTheMiddleTierNeverRaw) {
  const Catalog catalog = every_route();
  for (std::string_view name : {"claude-fable-5-2", "CLAUDE-next", "anthropic.claude-x"}) {
    const Decision decision = decide_for(catalog, name);
    EXPECT_EQ(decision.route, "sonnet") << name;
    EXPECT_THAT(decision.chain, ElementsAre(Target{kOpenai, "gpt-4.1"})) << name;
  }
}

TEST(RouterTest, UnknownClaudeFamilyWithoutSonnetRouteTakesTheDefault) {
  Catalog catalog = every_route();
  catalog.routes.sonnet.clear();
  const Decision decision = decide_for(catalog, "claude-fable-5-2");
  EXPECT_EQ(decision.route, "default");
  EXPECT_THAT(decision.chain, ElementsAre(Target{kDeepseek, "deepseek-chat"}));
}

TEST(RouterTest, EmptyFamilyRouteFallsToTheDefault) {
  Catalog catalog = every_route();
  catalog.routes.opus.clear();
  catalog.routes.background.clear();
  catalog.routes.haiku.clear();
  EXPECT_EQ(decide_for(catalog, "claude-opus-4").route, "default");
  EXPECT_THAT(decide_for(catalog, "claude-opus-4").chain,
              ElementsAre(Target{kDeepseek, "deepseek-chat"}));
  EXPECT_EQ(decide_for(catalog, "claude-3-5-haiku").route, "default");
}

TEST(RouterTest, BackgroundOnlyForHaikuNamesAndOnlyWhenSet) {
  Catalog catalog = every_route();
  EXPECT_EQ(decide_for(catalog, "claude-3-5-haiku-20241022").route, "background");
  EXPECT_THAT(decide_for(catalog, "claude-3-5-haiku-20241022").chain,
              ElementsAre(Target{kGroq, "llama-background"}));
  EXPECT_EQ(decide_for(catalog, "claude-sonnet-4").route, "sonnet");
  catalog.routes.background.clear();
  EXPECT_EQ(decide_for(catalog, "claude-3-5-haiku-20241022").route, "haiku");
  EXPECT_THAT(decide_for(catalog, "claude-3-5-haiku-20241022").chain,
              ElementsAre(Target{kGroq, "llama-small"}));
}

TEST(RouterTest, NonClaudeNamePassesUnchangedToTheDefaultsProvider) {
  const Catalog catalog = every_route();
  const Decision decision = decide_for(catalog, "llama3.1:8b");
  EXPECT_EQ(decision.route, "passthrough");
  EXPECT_THAT(decision.chain, ElementsAre(Target{kDeepseek, "llama3.1:8b"}));
}

TEST(RouterTest, DirectSelectionWithSlashOrComma) {
  const Catalog catalog = every_route();
  EXPECT_EQ(decide_for(catalog, "groq/llama-3.1-8b-instant").route, "direct");
  EXPECT_THAT(decide_for(catalog, "groq/llama-3.1-8b-instant").chain,
              ElementsAre(Target{kGroq, "llama-3.1-8b-instant"}));
  EXPECT_THAT(decide_for(catalog, "deepseek,deepseek-reasoner").chain,
              ElementsAre(Target{kDeepseek, "deepseek-reasoner"}));
  // Split at the first separator: the model keeps its own '/' and ','.
  EXPECT_THAT(decide_for(catalog, "openrouter/anthropic/claude-sonnet-4").chain,
              ElementsAre(Target{kOpenrouter, "anthropic/claude-sonnet-4"}));
  EXPECT_THAT(decide_for(catalog, "openrouter,anthropic/claude-opus-4").chain,
              ElementsAre(Target{kOpenrouter, "anthropic/claude-opus-4"}));
  // Provider names are matched like the configuration's lower-case names.
  EXPECT_THAT(decide_for(catalog, "DeepSeek/deepseek-chat").chain,
              ElementsAre(Target{kDeepseek, "deepseek-chat"}));
}

TEST(RouterTest, WithoutDirectSelectionAProviderPrefixIsPartOfTheName) {
  // The implicit catalog (no file): one provider named "openai" in front of, say, Groq.
  Catalog catalog = providers_only();
  catalog.routes.fallback = {{kOpenai, "gpt-4.1"}};
  catalog.routes.direct_selection = false;
  const Decision decision = decide_for(catalog, "openai/gpt-oss-120b");
  EXPECT_EQ(decision.route, "passthrough");
  EXPECT_THAT(decision.chain, ElementsAre(Target{kOpenai, "openai/gpt-oss-120b"}));
  EXPECT_EQ(decide_for(catalog, "groq,llama3").route, "passthrough");
}

TEST(RouterTest, DirectSelectionWinsOverModelRoutesAndScenarios) {
  Catalog catalog = every_route();
  catalog.routes.models.push_back({"groq/x", {{kOpenai, "aliased"}}});
  const translate::RouteTraits traits{.model = "groq/x", .thinking = true, .web_search = true};
  const Decision decision = decide(catalog, traits, 1'000'000);
  EXPECT_EQ(decision.route, "direct");
  EXPECT_THAT(decision.chain, ElementsAre(Target{kGroq, "x"}));
}

TEST(RouterTest, UnknownProviderPrefixIsAModelName) {
  const Catalog catalog = every_route();
  // OpenRouter-style names: "anthropic" is no configured provider, so the name is a model name.
  const Decision claude = decide_for(catalog, "anthropic/claude-sonnet-4");
  EXPECT_EQ(claude.route, "sonnet");
  EXPECT_THAT(claude.chain, ElementsAre(Target{kOpenai, "gpt-4.1"}));
  const Decision other = decide_for(catalog, "meta-llama/llama-3.3-70b");
  EXPECT_EQ(other.route, "passthrough");
  EXPECT_THAT(other.chain, ElementsAre(Target{kDeepseek, "meta-llama/llama-3.3-70b"}));
  const Decision comma = decide_for(catalog, "nobody,gpt-4o-mini");
  EXPECT_EQ(comma.route, "passthrough");
  EXPECT_THAT(comma.chain, ElementsAre(Target{kDeepseek, "nobody,gpt-4o-mini"}));
}

TEST(RouterTest, ProviderWithEmptyModelIsNotADirectSelection) {
  const Catalog catalog = every_route();
  EXPECT_EQ(decide_for(catalog, "groq/").route, "passthrough");
  EXPECT_EQ(decide_for(catalog, "/gpt-4o").route, "passthrough");
}

TEST(RouterTest, ExactModelRouteIsCaseInsensitiveAndWinsOverScenarios) {
  const Catalog catalog = every_route();
  const translate::RouteTraits traits{.model = "GPT-4o", .thinking = true, .web_search = true};
  const Decision decision = decide(catalog, traits, 1'000'000);
  EXPECT_EQ(decision.route, "model");
  EXPECT_THAT(decision.chain,
              ElementsAre(Target{kOpenai, "gpt-4o"}, Target{kOpenrouter, "openai/gpt-4o"}));
  EXPECT_EQ(decide_for(catalog, "gpt-4o-mini").route, "passthrough");  // exact, not a prefix
}

TEST(RouterTest, ExactModelRouteBeatsTheFamilyRule) {
  Catalog catalog = every_route();
  catalog.routes.models.push_back({"claude-opus-4-1", {{kGroq, "pinned"}}});
  EXPECT_EQ(decide_for(catalog, "claude-opus-4-1").route, "model");
  EXPECT_THAT(decide_for(catalog, "claude-opus-4-1").chain, ElementsAre(Target{kGroq, "pinned"}));
}

TEST(RouterTest, LongContextAboveTheThresholdOnly) {
  const Catalog catalog = every_route();
  EXPECT_EQ(decide_for(catalog, "claude-sonnet-4", 60'000).route, "sonnet");
  EXPECT_EQ(decide_for(catalog, "claude-sonnet-4", 60'001).route, "long_context");
  EXPECT_THAT(decide_for(catalog, "claude-sonnet-4", 60'001).chain,
              ElementsAre(Target{kOpenrouter, "google/gemini-2.5-pro"}));
  EXPECT_EQ(decide_for(catalog, "claude-sonnet-4", std::nullopt).route, "sonnet");
}

TEST(RouterTest, ScenarioPrecedence) {
  const Catalog catalog = every_route();
  translate::RouteTraits traits{.model = "claude-3-5-haiku", .thinking = true, .web_search = true};
  EXPECT_EQ(decide(catalog, traits, 100'000).route, "long_context");
  EXPECT_EQ(decide(catalog, traits, 10).route, "web_search");
  traits.web_search = false;
  EXPECT_EQ(decide(catalog, traits, 10).route, "think");
  traits.thinking = false;
  EXPECT_EQ(decide(catalog, traits, 10).route, "background");
}

TEST(RouterTest, ScenariosApplyToNonClaudeNames) {
  const Catalog catalog = every_route();
  const translate::RouteTraits thinking{.model = "llama3", .thinking = true};
  EXPECT_EQ(decide(catalog, thinking, std::nullopt).route, "think");
  const translate::RouteTraits search{.model = "llama3", .web_search = true};
  EXPECT_THAT(decide(catalog, search, std::nullopt).chain,
              ElementsAre(Target{kOpenrouter, "perplexity/sonar"}));
}

TEST(RouterTest, UnsetScenariosAreSkipped) {
  Catalog catalog = every_route();
  catalog.routes.long_context.clear();
  catalog.routes.web_search.clear();
  catalog.routes.think.clear();
  const translate::RouteTraits traits{
      .model = "claude-opus-4", .thinking = true, .web_search = true};
  EXPECT_EQ(decide(catalog, traits, 1'000'000).route, "opus");
}

TEST(RouterTest, EmptyRoutes) {
  const Catalog catalog = providers_only();
  EXPECT_TRUE(decide_for(catalog, "claude-sonnet-4").chain.empty());
  EXPECT_EQ(decide_for(catalog, "claude-sonnet-4").route, "default");
  EXPECT_TRUE(decide_for(catalog, "gpt-4o").chain.empty());
  EXPECT_THAT(decide_for(catalog, "openai/gpt-4o").chain, ElementsAre(Target{kOpenai, "gpt-4o"}));
  EXPECT_FALSE(needs_token_estimate(catalog));
  EXPECT_TRUE(needs_token_estimate(every_route()));
}

TEST(RouterTest, OnlyADefaultServesEveryClaudeName) {
  Catalog catalog = providers_only();
  catalog.routes.fallback = {{kOpenai, "gpt-4.1"}};
  for (std::string_view name :
       {"claude-opus-4", "claude-sonnet-4", "claude-3-5-haiku", "claude-fable-5-2"}) {
    EXPECT_EQ(decide_for(catalog, name).route, "default") << name;
    EXPECT_THAT(decide_for(catalog, name).chain, ElementsAre(Target{kOpenai, "gpt-4.1"}));
  }
}

TEST(RouterTest, MissingModelPassesThroughEmpty) {
  const Catalog catalog = every_route();
  const Decision decision = decide_for(catalog, "");
  EXPECT_EQ(decision.route, "passthrough");  // the request's validation rejects it afterwards
  EXPECT_THAT(decision.chain, ElementsAre(Target{kDeepseek, ""}));
}

TEST(CatalogTest, QuirksForListedModelCaseInsensitive) {
  Provider provider{.name = "deepseek"};
  provider.default_quirks.max_output_tokens = 4096;
  provider.models = {
      {"deepseek-reasoner", {.max_output_tokens = 32768, .reasoning = true, .tool_choice = false}}};
  const auto listed = provider.quirks_for("DeepSeek-Reasoner");
  EXPECT_EQ(listed.max_output_tokens, 32768);
  EXPECT_TRUE(listed.reasoning);
  EXPECT_FALSE(listed.tool_choice);
  EXPECT_EQ(provider.quirks_for("deepseek-chat"), provider.default_quirks);
  EXPECT_EQ(provider.quirks_for("deepseek-reasoner-x"), provider.default_quirks);  // exact only
}

TEST(CatalogTest, ReasoningPrefixesMakeUnlistedModelsReasoning) {
  Provider provider{.name = "openai", .reasoning_prefixes = {"o1", "o3", "gpt-5"}};
  EXPECT_TRUE(provider.quirks_for("o3-mini").reasoning);
  EXPECT_TRUE(provider.quirks_for("GPT-5-mini").reasoning);
  EXPECT_TRUE(provider.quirks_for("openai/gpt-5").reasoning);  // a vendor prefix is removed
  EXPECT_FALSE(provider.quirks_for("gpt-4o").reasoning);
  EXPECT_FALSE(provider.quirks_for("my-o1").reasoning);
  // A listed model's quirks are what the file says, prefix or not.
  provider.models = {{"o1-preview", {.reasoning = false}}};
  EXPECT_FALSE(provider.quirks_for("o1-preview").reasoning);
}

TEST(CatalogTest, ProviderIndexAndTargetName) {
  const Catalog catalog = every_route();
  EXPECT_EQ(catalog.provider_index("groq"), kGroq);
  EXPECT_EQ(catalog.provider_index("GROQ"), kGroq);
  EXPECT_EQ(catalog.provider_index("anthropic"), std::nullopt);
  EXPECT_EQ(catalog.provider_index(""), std::nullopt);
  EXPECT_EQ(target_name(catalog, {kOpenrouter, "perplexity/sonar"}), "openrouter/perplexity/sonar");
}

TEST(RouterTest, DecidesOnTraitsReadFromARequest) {
  const Catalog catalog = every_route();
  const auto request = boost::json::parse(R"({"model":"claude-sonnet-4","thinking":
      {"type":"enabled","budget_tokens":2048},"messages":[]})");
  EXPECT_EQ(decide(catalog, translate::route_traits(request), std::nullopt).route, "think");
}

}  // namespace
}  // namespace ccgate::routing
