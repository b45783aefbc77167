#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "translate/route_traits.hpp"

namespace ccgate::translate {
namespace {

RouteTraits traits_of(std::string_view json_text) {
  static thread_local boost::json::value request;  // the traits view into it
  request = boost::json::parse(json_text);
  return route_traits(request);
}

TEST(RouteTraitsTest, PlainRequest) {
  const auto traits = traits_of(
      R"({"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(traits.model, "claude-sonnet-4-5");
  EXPECT_FALSE(traits.thinking);
  EXPECT_FALSE(traits.web_search);
}

TEST(RouteTraitsTest, ThinkingEnabledOnly) {
  EXPECT_TRUE(traits_of(R"({"thinking":{"type":"enabled","budget_tokens":1024}})").thinking);
  EXPECT_FALSE(traits_of(R"({"thinking":{"type":"adaptive"}})").thinking);
  EXPECT_FALSE(traits_of(R"({"thinking":{"type":"disabled"}})").thinking);
  EXPECT_FALSE(traits_of(R"({"thinking":{"type":"ENABLED"}})").thinking);
  EXPECT_FALSE(traits_of(R"({"thinking":true})").thinking);
  EXPECT_FALSE(traits_of(R"({"thinking":{"type":1}})").thinking);
  EXPECT_FALSE(traits_of(R"({"thinking":null})").thinking);
}

TEST(RouteTraitsTest, WebSearchServerToolAnywhereAmongTools) {
  EXPECT_TRUE(traits_of(R"({"tools":[{"name":"Read","input_schema":{}},
      {"type":"web_search_20250305","name":"web_search","max_uses":5}]})")
                  .web_search);
  EXPECT_TRUE(traits_of(R"({"tools":[{"type":"web_search_20260101"}]})").web_search);
  // A client tool named web_search is not the server tool.
  EXPECT_FALSE(traits_of(R"({"tools":[{"name":"web_search","input_schema":{}}]})").web_search);
  EXPECT_FALSE(traits_of(R"({"tools":[{"type":"web_fetch_20250910"}]})").web_search);
  EXPECT_FALSE(traits_of(R"({"tools":[1,"web_search",null,{"type":7}]})").web_search);
  EXPECT_FALSE(traits_of(R"({"tools":{"type":"web_search_20250305"}})").web_search);
}

TEST(RouteTraitsTest, AnyShapeIsTolerated) {
  for (std::string_view text : {"null", "[]", "\"claude\"", "42", "{}", R"({"model":7})",
                                R"({"model":null,"thinking":[],"tools":"x"})"}) {
    const auto traits = traits_of(text);
    EXPECT_TRUE(traits.model.empty()) << text;
    EXPECT_FALSE(traits.thinking) << text;
    EXPECT_FALSE(traits.web_search) << text;
  }
}

TEST(RouteTraitsTest, ModelIsAViewIntoTheRequest) {
  const boost::json::value request = boost::json::parse(R"({"model":"deepseek,deepseek-chat"})");
  const auto traits = route_traits(request);
  EXPECT_EQ(traits.model.data(), request.as_object().at("model").as_string().data());
}

}  // namespace
}  // namespace ccgate::translate
