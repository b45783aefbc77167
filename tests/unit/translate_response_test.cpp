#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "translate/response.hpp"
#include "translate_test_support.hpp"

namespace ccgate::translate {
namespace {

namespace json = boost::json;

using testing::parse_json;

ResponseContext context(std::vector<std::string> stop_sequences = {}) {
  return ResponseContext{.client_model = "claude-sonnet-4-5",
                         .stop_sequences = std::move(stop_sequences),
                         .make_id = testing::sequential_ids()};
}

// An OpenAI completion with the given choice and usage.
json::value completion(std::string_view choice, std::string_view usage = "null") {
  return parse_json(
      R"({"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o","choices":[)" +
      std::string(choice) + R"(],"usage":)" + std::string(usage) + "}");
}

TEST(Response, PlainTextMessageHasAnthropicShape) {
  const auto message = to_anthropic_message(
      completion(
          R"({"index":0,"message":{"role":"assistant","content":"Hello!","refusal":null},"finish_reason":"stop"})",
          R"({"prompt_tokens":12,"completion_tokens":3,"total_tokens":15})"),
      context());
  EXPECT_EQ(
      json::serialize(message),
      R"({"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5",)"
      R"("content":[{"type":"text","text":"Hello!"}],"stop_reason":"end_turn","stop_sequence":null,)"
      R"("usage":{"input_tokens":12,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":3}})");
}

struct BlocksCase {
  std::string name;
  std::string message;  // OpenAI choice.message
  std::string content;  // expected Anthropic content
};

[[maybe_unused]] void PrintTo(const BlocksCase& c, std::ostream* os) {
  *os << c.name;
}

class ResponseBlocksTest : public ::testing::TestWithParam<BlocksCase> {};

TEST_P(ResponseBlocksTest, Translates) {
  const auto message = to_anthropic_message(
      completion(R"({"index":0,"message":)" + GetParam().message + R"(,"finish_reason":"stop"})"),
      context());
  EXPECT_EQ(message.at("content"), parse_json(GetParam().content))
      << json::serialize(message.at("content"));
}

const BlocksCase kBlocksCases[] = {
    {"EmptyContentGivesNoBlocks", R"({"role":"assistant","content":""})", "[]"},
    {"NullContentGivesNoBlocks", R"({"role":"assistant","content":null})", "[]"},
    {"ContentParts",
     R"({"role":"assistant","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]})",
     R"([{"type":"text","text":"ab"}])"},
    {"ReasoningContentBecomesThinking",
     R"({"role":"assistant","reasoning_content":"think","content":"answer"})",
     R"([{"type":"thinking","thinking":"think","signature":"ccgate:reasoning_content"},{"type":"text","text":"answer"}])"},
    {"ReasoningFieldBecomesThinking", R"({"role":"assistant","reasoning":"r","content":"a"})",
     R"([{"type":"thinking","thinking":"r","signature":"ccgate:reasoning_content"},{"type":"text","text":"a"}])"},
    {"EmptyReasoningIsIgnored", R"({"role":"assistant","reasoning_content":"","content":"a"})",
     R"([{"type":"text","text":"a"}])"},
    {"Refusal", R"({"role":"assistant","content":null,"refusal":"I can't help with that."})",
     R"([{"type":"text","text":"I can't help with that."}])"},
    {"ToolCalls",
     R"({"role":"assistant","content":"Reading.","tool_calls":[
        {"id":"call_1","type":"function","function":{"name":"Read","arguments":"{\"p\":\"a\"}"}},
        {"id":"call_2","type":"function","function":{"name":"Glob","arguments":"  "}}]})",
     R"([{"type":"text","text":"Reading."},
        {"type":"tool_use","id":"call_1","name":"Read","input":{"p":"a"}},
        {"type":"tool_use","id":"call_2","name":"Glob","input":{}}])"},
    {"MissingOrEmptyToolIdsAreGenerated",
     R"({"role":"assistant","content":null,"tool_calls":[
        {"type":"function","function":{"name":"A","arguments":"{}"}},
        {"id":"","type":"function","function":{"name":"B","arguments":"{}"}}]})",
     R"([{"type":"tool_use","id":"toolu_1","name":"A","input":{}},
        {"type":"tool_use","id":"toolu_2","name":"B","input":{}}])"},
    {"ArgumentsThatAreNotAnObjectArePassedAsRaw",
     R"({"role":"assistant","tool_calls":[
        {"id":"c1","type":"function","function":{"name":"A","arguments":"{'city': 'Paris'}"}},
        {"id":"c2","type":"function","function":{"name":"B","arguments":"[1,2]"}},
        {"id":"c3","type":"function","function":{"name":"C","arguments":"{\"cut"}}]})",
     R"([{"type":"tool_use","id":"c1","name":"A","input":{"raw_arguments":"{'city': 'Paris'}"}},
        {"type":"tool_use","id":"c2","name":"B","input":{"raw_arguments":"[1,2]"}},
        {"type":"tool_use","id":"c3","name":"C","input":{"raw_arguments":"{\"cut"}}])"},
    {"LegacyFunctionCall",
     R"({"role":"assistant","content":null,"function_call":{"name":"f","arguments":"{\"x\":1}"}})",
     R"([{"type":"tool_use","id":"toolu_1","name":"f","input":{"x":1}}])"},
};

INSTANTIATE_TEST_SUITE_P(Table, ResponseBlocksTest, ::testing::ValuesIn(kBlocksCases),
                         [](const auto& info) { return info.param.name; });

TEST(Response, NoChoicesIsAnInvalidUpstreamResponse) {
  for (const char* body : {R"({"choices":[]})", R"({"id":"x"})", R"({"choices":null})",
                           R"({"choices":[1]})", R"([])", R"("text")"}) {
    try {
      to_anthropic_message(parse_json(body), context());
      ADD_FAILURE() << "accepted " << body;
    } catch (const InvalidUpstreamResponse& error) {
      EXPECT_STREQ(error.what(), "upstream response has no choices");
    }
  }
}

TEST(Response, ChoiceWithoutMessageGivesEmptyContent) {
  const auto message = to_anthropic_message(parse_json(R"({"choices":[{"index":0}]})"), context());
  EXPECT_TRUE(message.at("content").as_array().empty());
  EXPECT_EQ(message.at("stop_reason"), "end_turn");
}

// ---- stop reasons ----

struct StopCase {
  std::string finish_reason;
  bool matched;
  bool tool_use;  // the message has a tool_use block
  std::string stop_reason;
};

[[maybe_unused]] void PrintTo(const StopCase& c, std::ostream* os) {
  *os << c.finish_reason;
}

class StopReasonTest : public ::testing::TestWithParam<StopCase> {};

TEST_P(StopReasonTest, Maps) {
  EXPECT_EQ(stop_reason_for(GetParam().finish_reason, GetParam().matched, GetParam().tool_use),
            GetParam().stop_reason);
}

INSTANTIATE_TEST_SUITE_P(FinishReasons, StopReasonTest,
                         ::testing::Values(StopCase{"stop", false, false, "end_turn"},
                                           StopCase{"stop", true, false, "stop_sequence"},
                                           StopCase{"stop", true, true, "tool_use"},
                                           StopCase{"length", false, false, "max_tokens"},
                                           StopCase{"length", true, false, "max_tokens"},
                                           StopCase{"length", false, true, "max_tokens"},
                                           StopCase{"tool_calls", false, true, "tool_use"},
                                           StopCase{"function_call", false, true, "tool_use"},
                                           // Found by fuzz_openai_stream: every call unusable.
                                           StopCase{"tool_calls", false, false, "end_turn"},
                                           StopCase{"content_filter", false, false, "refusal"},
                                           StopCase{"", false, false, "end_turn"},
                                           StopCase{"eos", false, false, "end_turn"}));

struct StopSequenceCase {
  std::string choice_extra;
  std::string finish_reason;
  std::string stop_reason;
  std::string stop_sequence;  // "" = null
};

[[maybe_unused]] void PrintTo(const StopSequenceCase& c, std::ostream* os) {
  *os << c.finish_reason << c.choice_extra;
}

class ResponseStopSequenceTest : public ::testing::TestWithParam<StopSequenceCase> {};

TEST_P(ResponseStopSequenceTest, ReportsTheMatchedSequence) {
  const auto message = to_anthropic_message(
      completion(R"({"index":0,"message":{"role":"assistant","content":"x"},"finish_reason":)" +
                 GetParam().finish_reason + GetParam().choice_extra + "}"),
      context({"END", "###"}));
  EXPECT_EQ(message.at("stop_reason"), json::value(GetParam().stop_reason));
  if (GetParam().stop_sequence.empty()) {
    EXPECT_TRUE(message.at("stop_sequence").is_null());
  } else {
    EXPECT_EQ(message.at("stop_sequence"), json::value(GetParam().stop_sequence));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Providers, ResponseStopSequenceTest,
    ::testing::Values(
        StopSequenceCase{R"(,"stop_reason":"END")", R"("stop")", "stop_sequence", "END"},  // vLLM
        StopSequenceCase{R"(,"matched_stop":"###")", R"("stop")", "stop_sequence",
                         "###"},                                                    // SGLang
        StopSequenceCase{R"(,"stop_reason":151645)", R"("stop")", "end_turn", ""},  // EOS token id
        StopSequenceCase{R"(,"matched_stop":"other")", R"("stop")", "end_turn", ""},
        StopSequenceCase{"", R"("stop")", "end_turn", ""},
        StopSequenceCase{R"(,"stop_reason":"END")", R"("length")", "max_tokens", ""},
        StopSequenceCase{"", "null", "end_turn", ""}));

TEST(Response, ToolUseBlocksMakeStopReasonToolUseUnlessCutByLength) {
  const std::string tool_message =
      R"({"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"A","arguments":"{}"}}]})";
  auto message = to_anthropic_message(
      completion(R"({"index":0,"message":)" + tool_message + R"(,"finish_reason":"stop"})"),
      context());
  EXPECT_EQ(message.at("stop_reason"), "tool_use");
  message = to_anthropic_message(
      completion(R"({"index":0,"message":)" + tool_message + R"(,"finish_reason":"length"})"),
      context());
  EXPECT_EQ(message.at("stop_reason"), "max_tokens");
}

// Found by fuzz_openai_stream (the same rule serves both paths): "tool_calls" whose only call
// has no function gives no tool_use block, so it must not say tool_use either.
TEST(Response, ToolCallsWithoutAUsableCallEndTheTurn) {
  const auto message = to_anthropic_message(
      completion(
          R"({"index":0,"message":{"role":"assistant","content":"hi","tool_calls":[{"id":"c","type":"function"}]},"finish_reason":"tool_calls"})"),
      context());
  EXPECT_EQ(message.at("content"), parse_json(R"([{"type":"text","text":"hi"}])"));
  EXPECT_EQ(message.at("stop_reason"), "end_turn");
}

// Found by fuzz_openai_response: 1e999 parses to infinity, which Boost.JSON writes as
// `Infinity`; the client got a body that is not JSON. Such arguments stay text.
TEST(Response, ArgumentsWithANumberBeyondADoubleStayText) {
  const auto message = to_anthropic_message(
      completion(
          R"({"index":0,"message":{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"A","arguments":"{\"n\":[1e999]}"}}]},"finish_reason":"tool_calls"})"),
      context());
  EXPECT_EQ(message.at("content").at(0).at("input"),
            parse_json(R"({"raw_arguments":"{\"n\":[1e999]}"})"));
  EXPECT_NO_THROW(json::parse(json::serialize(message)));
}

// ---- usage ----

struct UsageCase {
  std::string name;
  std::string openai;
  std::string anthropic;
  bool present;
};

[[maybe_unused]] void PrintTo(const UsageCase& c, std::ostream* os) {
  *os << c.name;
}

class UsageTest : public ::testing::TestWithParam<UsageCase> {};

TEST_P(UsageTest, Maps) {
  const auto openai = parse_json(GetParam().openai);
  const Usage usage = usage_from_openai(&openai);
  EXPECT_EQ(usage.present, GetParam().present);
  EXPECT_EQ(json::value(anthropic_usage(usage)), parse_json(GetParam().anthropic));
  const auto message = to_anthropic_message(
      completion(R"({"index":0,"message":{"content":"x"},"finish_reason":"stop"})",
                 GetParam().openai),
      context());
  EXPECT_EQ(message.at("usage"), parse_json(GetParam().anthropic));
}

const UsageCase kUsageCases[] = {
    {"Plain", R"({"prompt_tokens":100,"completion_tokens":20,"total_tokens":120})",
     R"({"input_tokens":100,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":20})",
     true},
    {"CachedTokensAreNotInput",
     R"({"prompt_tokens":5120,"completion_tokens":61,"prompt_tokens_details":{"cached_tokens":4096}})",
     R"({"input_tokens":1024,"cache_creation_input_tokens":0,"cache_read_input_tokens":4096,"output_tokens":61})",
     true},
    {"NullDetails", R"({"prompt_tokens":7,"completion_tokens":1,"prompt_tokens_details":null})",
     R"({"input_tokens":7,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1})",
     true},
    {"DeepSeekCacheHits",
     R"({"prompt_tokens":3000,"completion_tokens":5,"prompt_cache_hit_tokens":2944,"prompt_cache_miss_tokens":56})",
     R"({"input_tokens":56,"cache_creation_input_tokens":0,"cache_read_input_tokens":2944,"output_tokens":5})",
     true},
    {"NeverNegative",
     R"({"prompt_tokens":10,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":50}})",
     R"({"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":50,"output_tokens":1})",
     true},
    {"Null", "null",
     R"({"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0})",
     false},
    {"EmptyObject", "{}",
     R"({"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0})",
     true},
};

INSTANTIATE_TEST_SUITE_P(Table, UsageTest, ::testing::ValuesIn(kUsageCases),
                         [](const auto& info) { return info.param.name; });

TEST(Usage, MissingIsZeros) {
  EXPECT_FALSE(usage_from_openai(nullptr).present);
  const auto message = to_anthropic_message(
      parse_json(R"({"choices":[{"message":{"content":"x"},"finish_reason":"stop"}]})"), context());
  EXPECT_EQ(
      message.at("usage"),
      parse_json(
          R"({"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0})"));
}

}  // namespace
}  // namespace ccgate::translate
