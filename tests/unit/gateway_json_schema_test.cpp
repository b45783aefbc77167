// The JSON Schema check of tool arguments (gateway/json_schema.hpp): the subset tool schemas use,
// the first violation named by its path, and the limits that keep a hostile schema cheap.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "gateway/json_schema.hpp"

namespace ccgate::gateway {
namespace {

namespace json = boost::json;

json::value parsed(std::string_view text) {
  json::parse_options options;
  options.max_depth = 1000;
  return json::parse(text, {}, options);
}

std::optional<std::string> violation(std::string_view schema, std::string_view value,
                                     const SchemaLimits& limits = {}) {
  return schema_violation(parsed(schema), parsed(value), "input", limits);
}

constexpr std::string_view kWeather =
    R"({"type":"object","properties":{"city":{"type":"string","minLength":2},
        "days":{"type":"integer","minimum":1,"maximum":14},
        "unit":{"enum":["C","F"]},
        "tags":{"type":"array","items":{"type":"string","maxLength":3},"maxItems":2}},
        "required":["city"],"additionalProperties":false})";

TEST(JsonSchema, ValidArgumentsPass) {
  EXPECT_EQ(violation(kWeather, R"({"city":"Paris"})"), std::nullopt);
  EXPECT_EQ(violation(kWeather, R"({"city":"Paris","days":3,"unit":"C","tags":["a","bc"]})"),
            std::nullopt);
  EXPECT_EQ(violation(kWeather, R"({"city":"Paris","days":3.0})"), std::nullopt)
      << "3.0 is an integer";
}

TEST(JsonSchema, TheFirstViolationIsNamedByItsPath) {
  EXPECT_EQ(violation(kWeather, R"({"city":42})"), "input.city: expected string");
  EXPECT_EQ(violation(kWeather, R"({})"), "input.city: is required");
  EXPECT_EQ(violation(kWeather, R"([])"), "input: expected object");
  EXPECT_EQ(violation(kWeather, R"({"city":"P"})"), "input.city: expected at least 2 characters");
  EXPECT_EQ(violation(kWeather, R"({"city":"Paris","days":2.5})"), "input.days: expected integer");
  EXPECT_EQ(violation(kWeather, R"({"city":"Paris","days":15})"),
            "input.days: expected at most 14");
  EXPECT_EQ(violation(kWeather, R"({"city":"Paris","days":0})"), "input.days: expected at least 1");
  EXPECT_EQ(violation(kWeather, R"({"city":"Paris","unit":"K"})"),
            R"(input.unit: expected one of ["C","F"])");
  EXPECT_EQ(violation(kWeather, R"({"city":"Paris","tags":["a","long"]})"),
            "input.tags[1]: expected at most 3 characters");
  EXPECT_EQ(violation(kWeather, R"({"city":"Paris","tags":["a","b","c"]})"),
            "input.tags: expected at most 2 items");
  EXPECT_EQ(violation(kWeather, R"({"city":"Paris","country":"FR"})"),
            "input.country: is not an allowed property");
  EXPECT_EQ(violation(kWeather, R"({"city":"Paris","odd key":1})"),
            R"(input["odd key"]: is not an allowed property)");
}

TEST(JsonSchema, CharactersAreCountedNotBytes) {
  EXPECT_EQ(violation(R"({"type":"string","maxLength":2})", R"("éé")"), std::nullopt);
  EXPECT_EQ(violation(R"({"type":"string","minLength":3})", R"("éé")"),
            "input: expected at least 3 characters");
}

TEST(JsonSchema, TypeListsConstAndExclusiveBounds) {
  EXPECT_EQ(violation(R"({"type":["string","null"]})", "null"), std::nullopt);
  EXPECT_EQ(violation(R"({"type":["string","null"]})", "1"), "input: expected string or null");
  EXPECT_EQ(violation(R"({"const":{"a":[1,2]}})", R"({"a":[1,2.0]})"), std::nullopt);
  EXPECT_EQ(violation(R"({"const":"x"})", R"("y")"), R"(input: expected "x")");
  EXPECT_EQ(violation(R"({"exclusiveMinimum":0})", "0"), "input: expected more than 0");
  EXPECT_EQ(violation(R"({"maximum":1,"exclusiveMaximum":true})", "1"),
            "input: expected less than 1");
  EXPECT_EQ(violation(R"({"type":"boolean"})", "true"), std::nullopt);
  EXPECT_EQ(violation(R"({"type":"number"})", R"("1")"), "input: expected number");
}

TEST(JsonSchema, ItemsByPositionAndAdditionalPropertiesAsASchema) {
  EXPECT_EQ(
      violation(R"({"prefixItems":[{"type":"string"}],"items":{"type":"number"}})", R"(["a",1,2])"),
      std::nullopt);
  EXPECT_EQ(violation(R"({"prefixItems":[{"type":"string"}],"items":{"type":"number"}})",
                      R"(["a",1,"b"])"),
            "input[2]: expected number");
  EXPECT_EQ(violation(R"({"items":[{"type":"string"}],"additionalItems":false})", R"(["a",1])"),
            "input[1]: no value is allowed here");
  EXPECT_EQ(violation(R"({"additionalProperties":{"type":"integer"}})", R"({"a":1,"b":"x"})"),
            "input.b: expected integer");
  EXPECT_EQ(violation(R"({"minProperties":1})", "{}"), "input: expected at least 1 properties");
}

TEST(JsonSchema, Combinators) {
  constexpr std::string_view any = R"({"anyOf":[{"type":"string"},{"type":"integer"}]})";
  EXPECT_EQ(violation(any, "3"), std::nullopt);
  EXPECT_EQ(violation(any, "true"),
            "input: matches none of the anyOf schemas (the first says input: expected string)");
  constexpr std::string_view one = R"({"oneOf":[{"type":"number"},{"type":"integer"}]})";
  EXPECT_EQ(violation(one, "1.5"), std::nullopt);
  EXPECT_EQ(violation(one, "1"), "input: matches more than one of the oneOf schemas");
  EXPECT_EQ(violation(R"({"allOf":[{"minimum":1},{"maximum":2}]})", "3"),
            "input: expected at most 2");
  EXPECT_EQ(violation(R"({"not":{"type":"null"}})", "null"),
            "input: matches the schema it must not match (not)");
}

TEST(JsonSchema, KeywordsNotCheckedPass) {
  // pattern: std::regex backtracks without bound, and a client writes its own tools' schemas.
  EXPECT_EQ(violation(R"({"type":"string","pattern":"^(a+)+$","format":"email"})", R"("aaa!")"),
            std::nullopt);
  EXPECT_EQ(violation(R"({"$ref":"#/definitions/x"})", "1"), std::nullopt);
  EXPECT_EQ(violation(R"({"type":"whatever"})", "1"), std::nullopt);
  EXPECT_EQ(violation("true", "1"), std::nullopt);
  EXPECT_EQ(violation("{}", R"({"anything":[1]})"), std::nullopt);
  // patternProperties is not checked, so additionalProperties cannot tell what is additional.
  EXPECT_EQ(
      violation(R"({"patternProperties":{"^x":{}},"additionalProperties":false})", R"({"xy":1})"),
      std::nullopt);
}

TEST(JsonSchema, AHostileSchemaFailsTheCheckInsteadOfRunningOn) {
  // Each of 1000 items checked against 200 anyOf branches, only the last of which matches:
  // 200 000 visits, past the 50 000 allowed.
  std::string branches;
  for (int i = 0; i < 199; ++i) branches += R"({"minimum":1000},)";
  branches += R"({"type":"integer"})";
  std::string items;
  for (int i = 0; i < 1000; ++i) items += std::string(i ? "," : "") + "1";
  const auto answer = violation(R"({"items":{"anyOf":[)" + branches + "]}}", "[" + items + "]");
  ASSERT_TRUE(answer.has_value());
  EXPECT_THAT(*answer, ::testing::HasSubstr("too complex to check"));

  std::string deep = "{}";
  std::string value = "1";
  for (int i = 0; i < 100; ++i) {
    deep = R"({"type":"array","items":)" + deep + "}";
    value = "[" + value + "]";
  }
  const auto nested = violation(deep, value, {.max_depth = 64, .max_steps = 100'000});
  ASSERT_TRUE(nested.has_value());
  EXPECT_THAT(*nested, ::testing::HasSubstr("nested too deeply to check"));
}

}  // namespace
}  // namespace ccgate::gateway
