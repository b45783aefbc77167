#include <gtest/gtest.h>

#include "translate/token_estimate.hpp"
#include "translate_test_support.hpp"

namespace ccgate::translate {
namespace {

namespace json = boost::json;

using testing::parse_json;

std::int64_t estimate(std::string_view request) {
  return estimate_input_tokens(parse_json(request));
}

// The estimate of one user message with this content, minus that of an empty one: what the
// content alone costs.
std::int64_t content_cost(std::string_view content) {
  return estimate(R"({"messages":[{"role":"user","content":)" + std::string(content) + "}]}") -
         estimate(R"({"messages":[{"role":"user","content":""}]})");
}

TEST(TokenEstimate, IsAtLeastOne) {
  EXPECT_EQ(estimate("{}"), 1);
  EXPECT_EQ(estimate("null"), 1);
  EXPECT_EQ(estimate(R"({"messages":[]})"), 1);
}

TEST(TokenEstimate, AsciiTextIsAboutFourBytesPerToken) {
  EXPECT_EQ(content_cost('"' + std::string(400, 'a') + '"'), 100);
}

TEST(TokenEstimate, NonAsciiCountsOnePerCharacter) {
  EXPECT_EQ(content_cost(R"("世界世界世界世界世界")"), 10);  // 30 bytes, 10 characters
  EXPECT_EQ(content_cost(R"("🎉🎉")"), 2);
  EXPECT_EQ(content_cost(R"("héllo")"), 1 + 1);  // 4 ASCII bytes → 1, é → 1
}

// Long text is counted in blocks; the count must not depend on where a block ends.
TEST(TokenEstimate, LongMixedTextCountsEveryByte) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "ab\u00e9c\u4e16";  // 3 ASCII bytes, 2 characters
  EXPECT_EQ(content_cost('"' + text + '"'), 3000 / 4 + 2000);
  EXPECT_EQ(content_cost('"' + std::string(100'000, 'x') + '"'), 25'000);
}

TEST(TokenEstimate, LongToolInputIsCountedWhole) {
  const std::string input = R"({"path":")" + std::string(4000, 'p') + R"("})";
  EXPECT_GE(content_cost(R"([{"type":"tool_use","id":"t","name":"","input":)" + input + "}]"),
            1000);
}

TEST(TokenEstimate, EachMessageAddsAnOverhead) {
  const auto one = estimate(R"({"messages":[{"role":"user","content":""}]})");
  const auto two =
      estimate(R"({"messages":[{"role":"user","content":""},{"role":"assistant","content":""}]})");
  EXPECT_GT(two, one);
}

struct BlockCase {
  std::string name;
  std::string content;
  std::int64_t tokens;
};

[[maybe_unused]] void PrintTo(const BlockCase& c, std::ostream* os) {
  *os << c.name;
}

class TokenEstimateBlocksTest : public ::testing::TestWithParam<BlockCase> {};

TEST_P(TokenEstimateBlocksTest, CountsWhatTheModelReads) {
  EXPECT_EQ(content_cost(GetParam().content), GetParam().tokens) << GetParam().content;
}

const std::string k40 = std::string(40, 'x');  // 10 tokens

const BlockCase kBlockCases[] = {
    {"Text", R"([{"type":"text","text":")" + k40 + R"("}])", 10},
    {"Thinking", R"([{"type":"thinking","thinking":")" + k40 + R"(","signature":"s"}])", 10},
    {"ToolUseNameAndCompactInput",
     R"([{"type":"tool_use","id":"t","name":"Read","input":{"path":")" + std::string(25, 'x') +
         R"("}}])",
     (4 + 36) / 4},  // "Read" and {"path":"xxx…"}: 4 + 36 bytes
    {"ToolResultString", R"([{"type":"tool_result","tool_use_id":"t","content":")" + k40 + R"("}])",
     10},
    {"ToolResultNestedText",
     R"([{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":")" + k40 +
         R"("}]}])",
     10},
    {"ImageHasAFixedCost",
     R"([{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}}])",
     1600},
    {"ImageInsideToolResult",
     R"([{"type":"tool_result","tool_use_id":"t","content":[{"type":"image","source":{"type":"url","url":"u"}}]}])",
     1600},
    {"TextDocument", R"([{"type":"document","source":{"type":"text","data":")" + k40 + R"("}}])",
     10},
    {"Base64DocumentBySize",
     R"([{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":")" +
         std::string(400, 'Q') + R"("}}])",
     100},
    {"SearchResult",
     R"([{"type":"search_result","title":"tttt","source":"ssss","content":[{"type":"text","text":")" +
         k40 + R"("}]}])",
     12},
};

INSTANTIATE_TEST_SUITE_P(Table, TokenEstimateBlocksTest, ::testing::ValuesIn(kBlockCases),
                         [](const auto& info) { return info.param.name; });

TEST(TokenEstimate, CountsSystemStringAndBlocks) {
  const auto base = estimate(R"({"messages":[]})");
  EXPECT_EQ(estimate(R"({"system":")" + k40 + R"(","messages":[]})"), 10);
  EXPECT_EQ(estimate(R"({"system":[{"type":"text","text":")" + k40 +
                     R"("},{"type":"text","text":")" + k40 + R"("}],"messages":[]})"),
            20);
  EXPECT_EQ(base, 1);
}

TEST(TokenEstimate, CountsToolDefinitions) {
  const auto without = estimate(R"({"messages":[{"role":"user","content":"hi"}]})");
  const auto with = estimate(R"({"messages":[{"role":"user","content":"hi"}],"tools":[
      {"name":"Read","description":")" +
                             std::string(400, 'd') + R"(","input_schema":{"type":"object"}}]})");
  EXPECT_GE(with - without, 100 + 4);  // the description alone is 100
}

TEST(TokenEstimate, UnknownBlocksAreCountedRatherThanIgnored) {
  EXPECT_GT(
      content_cost(
          R"([{"type":"web_search_tool_result","tool_use_id":"s","content":[{"type":"web_search_result","title":")" +
          std::string(400, 'r') + R"("}]}])"),
      100);
}

}  // namespace
}  // namespace ccgate::translate
