#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "translate/request.hpp"
#include "translate_test_support.hpp"

namespace ccgate::translate {
namespace {

namespace json = boost::json;

using ::testing::HasSubstr;
using testing::parse_json;
using testing::parse_object;

UpstreamModel target_with(const ModelQuirks& quirks, std::string name = "middle-model") {
  return {std::move(name), quirks};
}

// A minimal valid request with the given extra top-level keys spliced in.
json::object request_with(std::string_view extra_keys = "") {
  std::string text =
      R"({"model":"claude-sonnet-4-5","max_tokens":1000,"messages":[{"role":"user","content":"hi"}])";
  if (!extra_keys.empty()) text.append(",").append(extra_keys);
  text.append("}");
  return parse_object(text);
}

// A translation whose body is parsed back, for tests that look at one key.
struct Translated {
  json::object body;
  std::string client_model;
  std::string upstream_model;
  bool stream = false;
  std::vector<std::string> stop_sequences;
};

// For target (by default an ordinary model, every quirk at its default) under options.
Translated translate(const json::object& request, const UpstreamModel& target = target_with({}),
                     const RequestOptions& options = {}) {
  TranslatedRequest translated = to_openai_request(request, options, target);
  return {parse_object(translated.body), std::move(translated.client_model),
          std::move(translated.upstream_model), translated.stream,
          std::move(translated.stop_sequences)};
}

// ---- messages: a table of Anthropic messages → the OpenAI messages they become ----

struct MessagesCase {
  std::string name;
  std::string anthropic;  // the request's "messages" (and optionally "system", after a comma)
  std::string openai;     // the OpenAI "messages"
};

[[maybe_unused]] void PrintTo(const MessagesCase& c, std::ostream* os) {
  *os << c.name;
}

class MessagesTest : public ::testing::TestWithParam<MessagesCase> {};

TEST_P(MessagesTest, Translates) {
  const auto request = parse_object(R"({"model":"claude-haiku-4-5","max_tokens":64,"messages":)" +
                                    GetParam().anthropic + "}");
  const auto translated = translate(request);
  EXPECT_EQ(json::value(translated.body.at("messages")), parse_json(GetParam().openai))
      << json::serialize(translated.body.at("messages"));
}

const MessagesCase kMessagesCases[] = {
    {"UserString", R"([{"role":"user","content":"hello"}])",
     R"([{"role":"user","content":"hello"}])"},
    {"SingleTextBlockBecomesString",
     R"([{"role":"user","content":[{"type":"text","text":"hello","cache_control":{"type":"ephemeral"}}]}])",
     R"([{"role":"user","content":"hello"}])"},
    {"SeveralTextBlocksStayParts",
     R"([{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}])",
     R"([{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}])"},
    {"Base64Image",
     R"([{"role":"user","content":[{"type":"text","text":"what is this?"},
        {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}]}])",
     R"([{"role":"user","content":[{"type":"text","text":"what is this?"},
        {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}])"},
    {"UrlImage",
     R"([{"role":"user","content":[{"type":"image","source":{"type":"url","url":"https://x.test/a.jpg"}}]}])",
     R"([{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x.test/a.jpg"}}]}])"},
    {"TextDocumentWithTitle",
     R"([{"role":"user","content":[{"type":"document","title":"Notes","source":{"type":"text","media_type":"text/plain","data":"line one"}}]}])",
     R"([{"role":"user","content":"Notes\n\nline one"}])"},
    {"TextDocumentWithoutTitle",
     R"([{"role":"user","content":[{"type":"document","source":{"type":"text","data":"just text"}}]}])",
     R"([{"role":"user","content":"just text"}])"},
    {"PdfDocument",
     R"([{"role":"user","content":[{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0x"}},
        {"type":"document","title":"spec.pdf","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0y"}}]}])",
     R"([{"role":"user","content":[
        {"type":"file","file":{"filename":"document.pdf","file_data":"data:application/pdf;base64,JVBERi0x"}},
        {"type":"file","file":{"filename":"spec.pdf","file_data":"data:application/pdf;base64,JVBERi0y"}}]}])"},
    {"UrlDocument",
     R"([{"role":"user","content":[{"type":"document","source":{"type":"url","url":"https://x.test/a.pdf"}}]}])",
     R"([{"role":"user","content":"Document: https://x.test/a.pdf"}])"},
    {"SearchResult",
     R"([{"role":"user","content":[{"type":"search_result","title":"Guide","source":"https://x.test/g",
        "content":[{"type":"text","text":"first"},{"type":"text","text":"second"}]}]}])",
     R"([{"role":"user","content":"Guide\nSource: https://x.test/g\nfirst\nsecond"}])"},
    {"ToolResultsComeFirstThenTheRestAsOneUserMessage",
     R"([{"role":"assistant","content":[{"type":"tool_use","id":"toolu_a","name":"Read","input":{"p":"a"}},
                                        {"type":"tool_use","id":"toolu_b","name":"Read","input":{}}]},
        {"role":"user","content":[{"type":"text","text":"before"},
          {"type":"tool_result","tool_use_id":"toolu_a","content":"A"},
          {"type":"tool_result","tool_use_id":"toolu_b","content":[{"type":"text","text":"B1"},{"type":"text","text":"B2"}]},
          {"type":"text","text":"<system-reminder>after</system-reminder>"}]}])",
     R"([{"role":"assistant","content":null,"tool_calls":[
          {"id":"toolu_a","type":"function","function":{"name":"Read","arguments":"{\"p\":\"a\"}"}},
          {"id":"toolu_b","type":"function","function":{"name":"Read","arguments":"{}"}}]},
        {"role":"tool","tool_call_id":"toolu_a","content":"A"},
        {"role":"tool","tool_call_id":"toolu_b","content":"B1\nB2"},
        {"role":"user","content":[{"type":"text","text":"before"},{"type":"text","text":"<system-reminder>after</system-reminder>"}]}])"},
    {"OnlyToolResultsLeaveNoUserMessage",
     R"([{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"}]}])",
     R"([{"role":"tool","tool_call_id":"t1","content":"ok"}])"},
    {"ToolResultImagesMoveToTheFollowingUserMessage",
     R"([{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[
          {"type":"text","text":"screenshot taken"},
          {"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"/9j/"}}]},
        {"type":"text","text":"describe it"}]}])",
     R"([{"role":"tool","tool_call_id":"t1","content":"screenshot taken"},
        {"role":"user","content":[{"type":"text","text":"[image from tool result t1]"},
          {"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/"}},
          {"type":"text","text":"describe it"}]}])"},
    {"ToolResultErrorAndEmptyContent",
     R"([{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","is_error":true,"content":"command not found"},
        {"type":"tool_result","tool_use_id":"t2","content":""},
        {"type":"tool_result","tool_use_id":"t3"},
        {"type":"tool_result","tool_use_id":"t4","content":[]}]}])",
     R"j([{"role":"tool","tool_call_id":"t1","content":"Error: command not found"},
        {"role":"tool","tool_call_id":"t2","content":"(no content)"},
        {"role":"tool","tool_call_id":"t3","content":"(no content)"},
        {"role":"tool","tool_call_id":"t4","content":"(no content)"}])j"},
    {"ToolResultWithSearchResultAndDocument",
     R"([{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[
          {"type":"search_result","title":"T","source":"S","content":[{"type":"text","text":"body"}]},
          {"type":"document","source":{"type":"text","data":"doc"}}]}]}])",
     R"([{"role":"tool","tool_call_id":"t1","content":"T\nSource: S\nbody\ndoc"}])"},
    {"ToolReferenceFromToolSearch",
     R"([{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[
          {"type":"tool_reference","tool_name":"mcp__gateway__get_weather"}]}]}])",
     R"([{"role":"tool","tool_call_id":"t1","content":"Tool available: mcp__gateway__get_weather"}])"},
    {"DroppedBlocksInUserMessages",
     R"([{"role":"user","content":[{"type":"thinking","thinking":"x","signature":"s"},
        {"type":"redacted_thinking","data":"zzz"},{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}},
        {"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":[]},
        {"type":"container_upload","file_id":"f"},{"type":"brand_new_block","text":"?"},
        {"type":"text","text":"kept"}]}])",
     R"([{"role":"user","content":"kept"}])"},
    {"UserMessageWithNothingLeftIsOmitted",
     R"([{"role":"user","content":"first"},{"role":"user","content":[{"type":"thinking","thinking":"x"}]},
        {"role":"user","content":[]},{"role":"user","content":""},{"role":"user","content":[{"type":"text","text":""}]}])",
     R"([{"role":"user","content":"first"}])"},
    {"AssistantString", R"([{"role":"assistant","content":"sure"}])",
     R"([{"role":"assistant","content":"sure"}])"},
    {"AssistantTextsJoinedAndToolCalls",
     R"([{"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"sig"},
        {"type":"text","text":"one"},{"type":"text","text":"two"},
        {"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"ls","n":[1,2]},"cache_control":{"type":"ephemeral"}},
        {"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"q"}}]}])",
     R"([{"role":"assistant","content":"one\n\ntwo","tool_calls":[
        {"id":"toolu_1","type":"function","function":{"name":"Bash","arguments":"{\"command\":\"ls\",\"n\":[1,2]}"}}]}])"},
    {"AssistantOwnThinkingGoesBackAsReasoningContent",
     R"([{"role":"assistant","content":[{"type":"thinking","thinking":"First \"ls\". ","signature":"ccgate:reasoning_content"},
        {"type":"text","text":"Listing."},
        {"type":"thinking","thinking":"Then read.","signature":"ccgate:reasoning_content"},
        {"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"ls"}}]}])",
     R"([{"role":"assistant","content":"Listing.","reasoning_content":"First \"ls\". Then read.","tool_calls":[
        {"id":"toolu_1","type":"function","function":{"name":"Bash","arguments":"{\"command\":\"ls\"}"}}]}])"},
    {"AssistantForeignThinkingIsDropped",
     R"([{"role":"assistant","content":[{"type":"thinking","thinking":"anthropic's","signature":"EqQBCkgIBxABGAIiQGNjZ2F0ZTpyZWFzb25pbmdfY29udGVudA=="},
        {"type":"thinking","thinking":"unsigned"},{"type":"thinking","thinking":"empty","signature":""},
        {"type":"thinking","thinking":"old mark","signature":"ccgate-no-signature"},
        {"type":"redacted_thinking","data":"ccgate:reasoning_content"},{"type":"text","text":"Done."}]}])",
     R"([{"role":"assistant","content":"Done."}])"},
    {"AssistantWithOnlyOwnThinkingIsOmitted",
     R"([{"role":"user","content":"q"},{"role":"assistant","content":[{"type":"thinking","thinking":"x","signature":"ccgate:reasoning_content"}]}])",
     R"([{"role":"user","content":"q"}])"},
    {"AssistantWithNothingLeftIsOmitted",
     R"([{"role":"user","content":"q"},{"role":"assistant","content":[{"type":"thinking","thinking":"x","signature":"s"}]},
        {"role":"assistant","content":""},{"role":"assistant","content":[]}])",
     R"([{"role":"user","content":"q"}])"},
    {"SystemRoleInsideMessagesKeepsItsPosition",
     R"([{"role":"user","content":"a"},
        {"role":"system","content":"be brief","output_config":{"effort":"low"}},
        {"role":"system","content":[{"type":"text","text":"s1"},{"type":"text","text":"s2","cache_control":{"type":"ephemeral"}}]},
        {"role":"user","content":"b"}])",
     R"([{"role":"user","content":"a"},{"role":"system","content":"be brief"},
        {"role":"system","content":"s1\n\ns2"},{"role":"user","content":"b"}])"},
    {"TopLevelSystemBlocksWithoutBillingHeader",
     R"([{"role":"user","content":"q"}],
        "system":[{"type":"text","text":"x-anthropic-billing-header: cc_version=2.1.330; cc_entrypoint=cli"},
                  {"type":"text","text":"You are Claude Code."},
                  {"type":"text","text":"Be helpful.","cache_control":{"type":"ephemeral"}}])",
     R"([{"role":"system","content":"You are Claude Code.\n\nBe helpful."},{"role":"user","content":"q"}])"},
    {"TopLevelSystemString", R"([{"role":"user","content":"q"}],"system":"S")",
     R"([{"role":"system","content":"S"},{"role":"user","content":"q"}])"},
    {"EmptySystemIsOmitted", R"([{"role":"user","content":"q"}],"system":[])",
     R"([{"role":"user","content":"q"}])"},
};

INSTANTIATE_TEST_SUITE_P(Table, MessagesTest, ::testing::ValuesIn(kMessagesCases),
                         [](const auto& info) { return info.param.name; });

// ---- top-level fields ----

TEST(RequestModel, NamesTheTargetAndRemembersTheClientName) {
  const auto translated = translate(request_with(), target_with({}, "deepseek-chat"));
  EXPECT_EQ(translated.client_model, "claude-sonnet-4-5");
  EXPECT_EQ(translated.upstream_model, "deepseek-chat");
  EXPECT_EQ(translated.body.at("model"), "deepseek-chat");
}

TEST(RequestMaxTokens, IsSentAsMaxTokensForOrdinaryModels) {
  const auto body = translate(request_with()).body;
  EXPECT_EQ(body.at("max_tokens"), 1000);
  EXPECT_FALSE(body.contains("max_completion_tokens"));
}

struct ClampCase {
  std::int64_t requested;
  std::optional<std::int64_t> min_limit;
  std::optional<std::int64_t> max_limit;
  std::int64_t sent;
};

[[maybe_unused]] void PrintTo(const ClampCase& c, std::ostream* os) {
  *os << c.requested;
}

class ClampTest : public ::testing::TestWithParam<ClampCase> {};

TEST_P(ClampTest, ClampsOnlyToTheLimitsThatAreSet) {
  RequestOptions options;
  options.min_tokens_limit = GetParam().min_limit;
  options.max_tokens_limit = GetParam().max_limit;
  auto request = request_with();
  request["max_tokens"] = GetParam().requested;
  EXPECT_EQ(translate(request, target_with({}), options).body.at("max_tokens"), GetParam().sent);
}

INSTANTIATE_TEST_SUITE_P(Limits, ClampTest,
                         ::testing::Values(ClampCase{32000, std::nullopt, std::nullopt, 32000},
                                           ClampCase{32000, std::nullopt, 4096, 4096},
                                           ClampCase{50, 100, std::nullopt, 100},
                                           ClampCase{50, 100, 4096, 100},
                                           ClampCase{2000, 100, 4096, 2000},
                                           ClampCase{1, std::nullopt, 4096, 1}));

TEST(RequestSampling, CopiesTemperatureTopPStopAndUserAndDropsTopK) {
  const auto translated = translate(request_with(
      R"("temperature":0.2,"top_p":0.9,"top_k":40,"stop_sequences":["END","\n\nHuman:"],
         "metadata":{"user_id":"user_abc_account__session_1"})"));
  const auto& body = translated.body;
  EXPECT_EQ(body.at("temperature"), 0.2);
  EXPECT_EQ(body.at("top_p"), 0.9);
  EXPECT_FALSE(body.contains("top_k"));
  EXPECT_EQ(json::value(body.at("stop")), parse_json(R"(["END","\n\nHuman:"])"));
  EXPECT_EQ(translated.stop_sequences, (std::vector<std::string>{"END", "\n\nHuman:"}));
  EXPECT_EQ(body.at("user"), "user_abc_account__session_1");
}

TEST(RequestSampling, LongUserIdsAreNotSentBecauseProvidersRejectThem) {
  // Claude Code 2.1.330's user_id, a JSON object of about 150 characters.
  const auto body =
      translate(
          request_with(
              R"("metadata":{"user_id":"{\"device_id\":\"594229c3a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6d246\",\"account_uuid\":\"\",\"session_id\":\"77e519d7-9414-4ee9-9cbc-bbcf0e4d5c17\"}"})"))
          .body;
  EXPECT_FALSE(body.contains("user"));
  EXPECT_EQ(translate(request_with(R"("metadata":{"user_id":")" + std::string(64, 'u') + R"("})"))
                .body.at("user"),
            json::value(std::string(64, 'u')));
}

TEST(RequestSampling, OmitsWhatTheClientDidNotSend) {
  const auto translated = translate(request_with(R"("stop_sequences":[],"metadata":{})"));
  for (const char* key : {"temperature", "top_p", "stop", "user", "stream", "stream_options",
                          "tools", "tool_choice", "parallel_tool_calls", "reasoning_effort"}) {
    EXPECT_FALSE(translated.body.contains(key)) << key;
  }
  EXPECT_TRUE(translated.stop_sequences.empty());
  EXPECT_FALSE(translated.stream);
}

TEST(RequestStream, AsksForUsageInTheStream) {
  const auto translated = translate(request_with(R"("stream":true)"));
  EXPECT_TRUE(translated.stream);
  EXPECT_EQ(translated.body.at("stream"), true);
  EXPECT_EQ(json::value(translated.body.at("stream_options")),
            parse_json(R"({"include_usage":true})"));
}

TEST(RequestStream, FalseSendsNoStreamKey) {
  const auto translated = translate(request_with(R"("stream":false)"));
  EXPECT_FALSE(translated.stream);
  EXPECT_FALSE(translated.body.contains("stream"));
}

TEST(RequestDrops, PlatformKeysNeverReachTheUpstream) {
  const auto body =
      translate(
          request_with(
              R"("context_management":{"edits":[]},"output_config":{"effort":"high"},"service_tier":"auto",
         "container":"c1","mcp_servers":[{"type":"url","url":"https://m.test"}],"betas":["x"],
         "cache_control":{"type":"ephemeral"},"thinking":{"type":"enabled","budget_tokens":2000},
         "some_future_key":1)"))
          .body;
  EXPECT_EQ(json::value(body), parse_json(R"({"model":"middle-model",
      "messages":[{"role":"user","content":"hi"}],"max_tokens":1000})"));
}

// ---- tools ----

TEST(RequestTools, BecomeFunctionsAndServerToolsAreDropped) {
  const auto body = translate(request_with(R"("tools":[
      {"name":"Read","description":"Reads a file","input_schema":{"type":"object","properties":{"p":{"type":"string"}}},
       "cache_control":{"type":"ephemeral"},"defer_loading":false,"strict":true},
      {"name":"NoDescription","input_schema":{"type":"object"}},
      {"type":"web_search_20250305","name":"web_search","max_uses":5},
      {"type":"custom","name":"Custom","input_schema":{"type":"object"}}],
      "tool_choice":{"type":"auto"})"))
                        .body;
  EXPECT_EQ(json::value(body.at("tools")), parse_json(R"([
      {"type":"function","function":{"name":"Read","description":"Reads a file",
        "parameters":{"type":"object","properties":{"p":{"type":"string"}}}}},
      {"type":"function","function":{"name":"NoDescription","parameters":{"type":"object"}}},
      {"type":"function","function":{"name":"Custom","parameters":{"type":"object"}}}])"));
  EXPECT_EQ(body.at("tool_choice"), "auto");
}

TEST(RequestTools, ClaudeCodesDeferredToolPlaceholderIsNotATool) {
  const auto body = translate(request_with(R"("tools":[
      {"name":"DeferredToolPlaceholder","defer_loading":true,"input_schema":{"type":"object"}},
      {"name":"Read","input_schema":{"type":"object"}}])"))
                        .body;
  EXPECT_EQ(json::value(body.at("tools")), parse_json(R"([
      {"type":"function","function":{"name":"Read","parameters":{"type":"object"}}}])"));
}

TEST(RequestTools, NoToolLeftMeansNoToolKeys) {
  const auto body =
      translate(request_with(R"("tools":[{"type":"web_search_20250305","name":"web_search"}],
      "tool_choice":{"type":"any","disable_parallel_tool_use":true})"))
          .body;
  EXPECT_FALSE(body.contains("tools"));
  EXPECT_FALSE(body.contains("tool_choice"));
  EXPECT_FALSE(body.contains("parallel_tool_calls"));
}

struct ToolChoiceCase {
  std::string anthropic;
  std::string openai;  // "" = no tool_choice key
};

[[maybe_unused]] void PrintTo(const ToolChoiceCase& c, std::ostream* os) {
  *os << c.anthropic;
}

class ToolChoiceTest : public ::testing::TestWithParam<ToolChoiceCase> {};

TEST_P(ToolChoiceTest, Maps) {
  const auto body =
      translate(
          request_with(R"("tools":[{"name":"T","input_schema":{"type":"object"}}],"tool_choice":)" +
                       GetParam().anthropic))
          .body;
  if (GetParam().openai.empty()) {
    EXPECT_FALSE(body.contains("tool_choice"));
  } else {
    EXPECT_EQ(body.at("tool_choice"), parse_json(GetParam().openai));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Choices, ToolChoiceTest,
    ::testing::Values(ToolChoiceCase{R"({"type":"auto"})", R"("auto")"},
                      ToolChoiceCase{R"({"type":"any"})", R"("required")"},
                      ToolChoiceCase{R"({"type":"none"})", R"("none")"},
                      ToolChoiceCase{R"({"type":"tool","name":"T"})",
                                     R"({"type":"function","function":{"name":"T"}})"},
                      ToolChoiceCase{R"({"type":"auto","future_option":1})", R"("auto")"}));

TEST(RequestTools, DisableParallelToolUseTurnsParallelCallsOff) {
  auto body = translate(request_with(R"("tools":[{"name":"T","input_schema":{"type":"object"}}],
      "tool_choice":{"type":"auto","disable_parallel_tool_use":true})"))
                  .body;
  EXPECT_EQ(body.at("parallel_tool_calls"), false);
  body = translate(request_with(R"("tools":[{"name":"T","input_schema":{"type":"object"}}],
      "tool_choice":{"type":"auto","disable_parallel_tool_use":false})"))
             .body;
  EXPECT_FALSE(body.contains("parallel_tool_calls"));
}

// ---- the target model and its quirks ----

constexpr std::string_view kToolKeys =
    R"("tools":[{"name":"T","input_schema":{"type":"object"}}],
       "tool_choice":{"type":"any","disable_parallel_tool_use":true})";

TEST(RequestTarget, DefaultQuirksSendEverythingAsBefore) {
  const auto body =
      translate(request_with(std::string(kToolKeys) + R"(,"stream":true,"temperature":0.5)"),
                target_with({}))
          .body;
  EXPECT_EQ(body.at("max_tokens"), 1000);
  EXPECT_EQ(body.at("temperature"), 0.5);
  EXPECT_EQ(body.at("tool_choice"), "required");
  EXPECT_EQ(body.at("parallel_tool_calls"), false);
  EXPECT_EQ(json::value(body.at("stream_options")), parse_json(R"({"include_usage":true})"));
}

TEST(RequestQuirks, ReasoningDecidesByTheQuirkNotByTheName) {
  const auto request = request_with(
      R"("temperature":0.2,"top_p":0.9,"thinking":{"type":"enabled","budget_tokens":20000})");
  const auto reasoning = translate(request, target_with({.reasoning = true}, "my-model")).body;
  EXPECT_EQ(reasoning.at("max_completion_tokens"), 1000);
  EXPECT_EQ(reasoning.at("reasoning_effort"), "high");
  for (const char* key : {"max_tokens", "temperature", "top_p"})
    EXPECT_FALSE(reasoning.contains(key)) << key;
  const auto ordinary = translate(request, target_with({}, "o3-mini")).body;
  EXPECT_EQ(ordinary.at("max_tokens"), 1000);
  EXPECT_EQ(ordinary.at("temperature"), 0.2);
  EXPECT_FALSE(ordinary.contains("reasoning_effort"));
}

// Claude Code asks for 32k and more; DeepSeek's chat model answers 400 above 8k.
TEST(RequestQuirks, MaxOutputTokensClampsMaxTokensDown) {
  auto request = request_with();
  request["max_tokens"] = 32000;
  EXPECT_EQ(translate(request, target_with({.max_output_tokens = 8192})).body.at("max_tokens"),
            8192);
  request["max_tokens"] = 1000;
  EXPECT_EQ(translate(request, target_with({.max_output_tokens = 8192})).body.at("max_tokens"),
            1000);
  request["max_tokens"] = 64000;
  EXPECT_EQ(translate(request, target_with({.max_output_tokens = 32768, .reasoning = true}))
                .body.at("max_completion_tokens"),
            32768);
}

TEST(RequestQuirks, TheModelsCeilingWinsOverMinTokensLimitAndBothLimitsApplyFirst) {
  RequestOptions options;
  options.min_tokens_limit = 16000;
  auto request = request_with();
  request["max_tokens"] = 100;
  EXPECT_EQ(
      translate(request, target_with({.max_output_tokens = 8192}), options).body.at("max_tokens"),
      8192);
  options = {};
  options.max_tokens_limit = 4096;
  request["max_tokens"] = 32000;
  EXPECT_EQ(
      translate(request, target_with({.max_output_tokens = 8192}), options).body.at("max_tokens"),
      4096);
}

TEST(RequestQuirks, WithoutToolChoiceNeitherToolChoiceNorParallelToolCallsIsSent) {
  const auto body = translate(request_with(kToolKeys), target_with({.tool_choice = false})).body;
  EXPECT_EQ(body.at("tools").as_array().size(), 1u);
  EXPECT_FALSE(body.contains("tool_choice"));
  EXPECT_FALSE(body.contains("parallel_tool_calls"));
}

TEST(RequestQuirks, WithoutParallelToolCallsTheChoiceIsStillSent) {
  const auto body =
      translate(request_with(kToolKeys), target_with({.parallel_tool_calls = false})).body;
  EXPECT_EQ(body.at("tool_choice"), "required");
  EXPECT_FALSE(body.contains("parallel_tool_calls"));
}

TEST(RequestQuirks, WithoutStreamOptionsTheStreamAsksForNoUsage) {
  const auto translated =
      translate(request_with(R"("stream":true)"), target_with({.stream_options = false}));
  EXPECT_TRUE(translated.stream);
  EXPECT_EQ(translated.body.at("stream"), true);
  EXPECT_FALSE(translated.body.contains("stream_options"));
}

TEST(RequestQuirks, OwnThinkingGoesBackUnlessTheModelRefusesTheRoundTrip) {
  const auto request = parse_object(R"({"model":"m","max_tokens":10,"tools":[
      {"name":"ls","input_schema":{"type":"object"}}],"messages":[
    {"role":"user","content":"list"},
    {"role":"assistant","content":[
      {"type":"thinking","thinking":"Use ls.","signature":"ccgate:reasoning_content"},
      {"type":"tool_use","id":"t1","name":"ls","input":{}}]},
    {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"a.txt"}]},
    {"role":"assistant","content":[
      {"type":"thinking","thinking":"Done.","signature":"ccgate:reasoning_content"},
      {"type":"text","text":"a.txt"}]},
    {"role":"user","content":"thanks"}]})");
  // Every earlier assistant message, not only the current tool loop's (see request.cpp).
  const auto kept = translate(request, target_with({})).body.at("messages").as_array();
  EXPECT_EQ(kept[1].at("reasoning_content"), "Use ls.");
  EXPECT_EQ(kept[3].at("reasoning_content"), "Done.");
  const auto dropped = translate(request, target_with({.reasoning_round_trip = false}))
                           .body.at("messages")
                           .as_array();
  ASSERT_EQ(dropped.size(), 5u);
  for (const auto& message : dropped)
    EXPECT_FALSE(message.as_object().contains("reasoning_content")) << message;
  EXPECT_EQ(dropped[1].at("tool_calls").as_array().size(), 1u);
  EXPECT_EQ(dropped[3].at("content"), "a.txt");
}

// ---- thinking → reasoning_effort ----

struct ThinkingCase {
  std::string keys;    // thinking (and output_config) as sent by the client
  std::string effort;  // "" = no reasoning_effort
};

[[maybe_unused]] void PrintTo(const ThinkingCase& c, std::ostream* os) {
  *os << c.keys;
}

class ThinkingTest : public ::testing::TestWithParam<ThinkingCase> {};

TEST_P(ThinkingTest, BecomesReasoningEffortForReasoningModels) {
  auto request = request_with(GetParam().keys);
  const auto body = translate(request, target_with({.reasoning = true}, "o3-mini")).body;
  if (GetParam().effort.empty()) {
    EXPECT_FALSE(body.contains("reasoning_effort"));
  } else {
    EXPECT_EQ(body.at("reasoning_effort"), json::value(GetParam().effort));
  }
}

TEST_P(ThinkingTest, IsNeverSentToOtherModels) {
  EXPECT_FALSE(translate(request_with(GetParam().keys)).body.contains("reasoning_effort"));
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ThinkingTest,
    ::testing::Values(
        ThinkingCase{R"("thinking":{"type":"enabled","budget_tokens":1024})", "low"},
        ThinkingCase{R"("thinking":{"type":"enabled","budget_tokens":4095})", "low"},
        ThinkingCase{R"("thinking":{"type":"enabled","budget_tokens":4096})", "medium"},
        ThinkingCase{R"("thinking":{"type":"enabled","budget_tokens":16383})", "medium"},
        ThinkingCase{R"("thinking":{"type":"enabled","budget_tokens":16384})", "high"},
        ThinkingCase{R"("thinking":{"budget_tokens":31999,"type":"enabled"})", "high"},
        ThinkingCase{R"("thinking":{"enabled":true,"budget_tokens":2000})", "low"},
        ThinkingCase{R"("thinking":{"enabled":true})", "medium"},
        ThinkingCase{R"("thinking":{"enabled":false})", ""},
        ThinkingCase{R"("thinking":{"type":"disabled"},"output_config":{"effort":"high"})", ""},
        ThinkingCase{R"("thinking":{"type":"adaptive"})", ""},
        ThinkingCase{R"("thinking":{"type":"adaptive"},"output_config":{"effort":"low"})", "low"},
        ThinkingCase{R"("thinking":{"type":"adaptive"},"output_config":{"effort":"medium"})",
                     "medium"},
        ThinkingCase{R"("thinking":{"type":"adaptive"},"output_config":{"effort":"max"})", "high"},
        ThinkingCase{R"("thinking":{"type":"adaptive"},"output_config":{"effort":"xhigh"})",
                     "high"},
        ThinkingCase{R"("output_config":{"effort":"high"})", ""}));

// ---- what makes a request invalid, and what does not ----

struct InvalidCase {
  std::string body;
  std::string message;
};

[[maybe_unused]] void PrintTo(const InvalidCase& c, std::ostream* os) {
  *os << c.body;
}

class InvalidRequestTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidRequestTest, IsRejectedWithAFieldMessage) {
  try {
    to_openai_request(parse_json(GetParam().body), {}, target_with({}));
    ADD_FAILURE() << "accepted " << GetParam().body;
  } catch (const InvalidRequest& error) {
    EXPECT_THAT(error.what(), HasSubstr(GetParam().message));
  }
}

// A valid request with one part replaced: `keys` are spliced in after the defaults, so they win.
std::string body_with(std::string_view keys) {
  return R"({"model":"m","max_tokens":10,"messages":[{"role":"user","content":"hi"}],)" +
         std::string(keys) + "}";
}

const std::string kTool = R"({"name":"T","input_schema":{"type":"object"}})";

INSTANTIATE_TEST_SUITE_P(
    Bodies, InvalidRequestTest,
    ::testing::Values(
        InvalidCase{R"([1,2])", "JSON object"}, InvalidCase{R"("text")", "JSON object"},
        // model
        InvalidCase{R"({"max_tokens":10,"messages":[]})", "model: Field required"},
        InvalidCase{body_with(R"("model":7)"), "model: Input should be a valid string"},
        InvalidCase{body_with(R"("model":"")"), "model: String should have at least 1"},
        // max_tokens
        InvalidCase{R"({"model":"m","messages":[]})", "max_tokens: Field required"},
        InvalidCase{body_with(R"("max_tokens":0)"), "max_tokens: Input should be greater than"},
        InvalidCase{body_with(R"("max_tokens":-5)"), "max_tokens: Input should be greater than"},
        InvalidCase{body_with(R"("max_tokens":0.5)"),
                    "max_tokens: Input should be a valid integer"},
        InvalidCase{body_with(R"("max_tokens":"100")"),
                    "max_tokens: Input should be a valid integer"},
        InvalidCase{body_with(R"("max_tokens":true)"),
                    "max_tokens: Input should be a valid integer"},
        InvalidCase{body_with(R"("max_tokens":null)"),
                    "max_tokens: Input should be a valid integer"},
        InvalidCase{body_with(R"("max_tokens":1.5)"),
                    "max_tokens: Input should be a valid integer"},
        InvalidCase{body_with(R"("max_tokens":2147483648)"),
                    "max_tokens: Input should be less than or equal to 2147483647"},
        InvalidCase{body_with(R"("max_tokens":9223372036854775807)"),
                    "max_tokens: Input should be less than"},
        InvalidCase{body_with(R"("max_tokens":18446744073709551615)"),
                    "max_tokens: Input should be less than"},
        InvalidCase{body_with(R"("max_tokens":99999999999999999999)"),
                    "max_tokens: Input should be less than"},
        InvalidCase{body_with(R"("max_tokens":1e300)"), "max_tokens: Input should be less than"},
        // messages
        InvalidCase{R"({"model":"m","max_tokens":10})", "messages: Field required"},
        InvalidCase{body_with(R"("messages":{})"), "messages: Input should be a valid list"},
        InvalidCase{body_with(R"("messages":"hi")"), "messages: Input should be a valid list"},
        InvalidCase{body_with(R"("messages":[])"), "messages: at least one message is required"},
        InvalidCase{body_with(R"("messages":[{"role":"user","content":"a"},42])"),
                    "messages.1: Input should be a valid dictionary"},
        InvalidCase{body_with(R"("messages":[{"content":"no role"}])"),
                    "messages.0.role: Field required"},
        InvalidCase{body_with(R"("messages":[{"role":1,"content":"x"}])"),
                    "messages.0.role: Input should be a valid string"},
        InvalidCase{
            body_with(
                R"("messages":[{"role":"user","content":"a"},{"role":"tool","content":"x"}])"),
            "messages.1.role: Input should be 'user' or 'assistant'"},
        InvalidCase{body_with(R"("messages":[{"role":"developer","content":"x"}])"),
                    "messages.0.role: Input should be 'user' or 'assistant'"},
        InvalidCase{body_with(R"("messages":[{"role":"user"}])"),
                    "messages.0.content: Field required"},
        InvalidCase{body_with(R"("messages":[{"role":"user","content":null}])"),
                    "messages.0.content: Input should be a valid string or a list"},
        InvalidCase{body_with(R"("messages":[{"role":"user","content":42}])"),
                    "messages.0.content: Input should be a valid string or a list"},
        InvalidCase{body_with(R"("messages":[{"role":"system","content":{"text":"x"}}])"),
                    "messages.0.content: Input should be a valid string or a list"},
        InvalidCase{body_with(R"("messages":[{"role":"user","content":["hi"]}])"),
                    "messages.0.content.0: Input should be a valid dictionary"},
        InvalidCase{body_with(R"("messages":[{"role":"user","content":[{"text":"hi"}]}])"),
                    "messages.0.content.0.type: Field required"},
        InvalidCase{
            body_with(
                R"("messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text"}]}])"),
            "messages.0.content.1.text: Field required"},
        InvalidCase{
            body_with(R"("messages":[{"role":"user","content":[{"type":"text","text":5}]}])"),
            "messages.0.content.0.text: Input should be a valid string"},
        InvalidCase{
            body_with(
                R"("messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t","input":{}}]}])"),
            "messages.0.content.0.name: Field required"},
        InvalidCase{
            body_with(
                R"("messages":[{"role":"assistant","content":[{"type":"tool_use","name":"T","input":{}}]}])"),
            "messages.0.content.0.id: Field required"},
        InvalidCase{
            body_with(
                R"("messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"T","input":[]}]}])"),
            "messages.0.content.0.input: Input should be a valid dictionary"},
        InvalidCase{
            body_with(
                R"("messages":[{"role":"user","content":[{"type":"tool_result","content":"x"}]}])"),
            "messages.0.content.0.tool_use_id: Field required"},
        // nothing left to send
        InvalidCase{
            body_with(
                R"("messages":[{"role":"user","content":""},{"role":"assistant","content":[{"type":"thinking","thinking":"t"}]}])"),
            "messages: no message has content to send upstream"},
        InvalidCase{body_with(R"("messages":[{"role":"system","content":"only a system entry"}])"),
                    "messages: no message has content"},
        // system
        InvalidCase{body_with(R"("system":42)"),
                    "system: Input should be a valid string or a list of text blocks"},
        InvalidCase{body_with(R"("system":{"type":"text","text":"S"})"),
                    "system: Input should be a valid string or a list"},
        InvalidCase{body_with(R"("system":[1])"), "system.0: Input should be a valid dictionary"},
        // tools and tool_choice
        InvalidCase{body_with(R"("tools":{})"), "tools: Input should be a valid list"},
        InvalidCase{body_with(R"("tools":[)" + kTool + R"(,7])"),
                    "tools.1: Input should be a valid dictionary"},
        InvalidCase{body_with(R"("tools":[{"input_schema":{"type":"object"}}])"),
                    "tools.0.name: Field required"},
        InvalidCase{body_with(R"("tools":[{"name":"","input_schema":{"type":"object"}}])"),
                    "tools.0.name: String should have at least 1"},
        InvalidCase{body_with(R"("tools":[{"name":"x","input_schema":"object"}])"),
                    "tools.0.input_schema: Input should be a valid dictionary"},
        InvalidCase{body_with(R"("tools":[)" + kTool + R"(],"tool_choice":"auto")"),
                    "tool_choice: Input should be a valid dictionary"},
        InvalidCase{body_with(R"("tools":[)" + kTool + R"(],"tool_choice":{})"),
                    "tool_choice.type: Field required"},
        InvalidCase{body_with(R"("tools":[)" + kTool + R"(],"tool_choice":{"type":"mystery"})"),
                    "tool_choice.type: Input tag 'mystery'"},
        InvalidCase{body_with(R"("tools":[)" + kTool + R"(],"tool_choice":{"type":"tool"})"),
                    "tool_choice.name: Field required"},
        InvalidCase{
            body_with(R"("tools":[)" + kTool + R"(],"tool_choice":{"type":"tool","name":"Other"})"),
            "tool_choice.name: tool 'Other' is not among the tools offered"},
        InvalidCase{body_with(R"("tool_choice":{"type":"tool","name":"T"})"),
                    "tool_choice.name: tool 'T' is not among the tools offered"},
        InvalidCase{
            body_with(
                R"("tools":[{"type":"web_search_20250305","name":"web_search"}],"tool_choice":{"type":"tool","name":"web_search"})"),
            "tool_choice.name: tool 'web_search' is a server tool"},
        // sampling
        InvalidCase{body_with(R"("stream":"yes")"), "stream: Input should be a valid boolean"},
        InvalidCase{body_with(R"("temperature":"hot")"),
                    "temperature: Input should be a valid number"},
        InvalidCase{body_with(R"("top_p":null)"), "top_p: Input should be a valid number"},
        InvalidCase{body_with(R"("stop_sequences":"END")"),
                    "stop_sequences: Input should be a valid list"},
        InvalidCase{body_with(R"("stop_sequences":["END",3])"),
                    "stop_sequences.1: Input should be a valid string"}));

TEST(RequestTolerance, AcceptsWholeFloatMaxTokensAndTheLargestBound) {
  auto translated = translate(parse_object(body_with(R"("max_tokens":1024.0)")));
  EXPECT_EQ(translated.body.at("max_tokens"), 1024);
  translated = translate(parse_object(body_with(R"("max_tokens":2147483647)")));
  EXPECT_EQ(translated.body.at("max_tokens"), 2147483647);
  translated = translate(parse_object(body_with(R"("max_tokens":2.147483647e9)")));
  EXPECT_EQ(translated.body.at("max_tokens"), 2147483647);
}

TEST(RequestTolerance, WhatTheRealApiAcceptsStillPasses) {
  const auto translated = translate(parse_object(body_with(R"(
    "messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"brand_new_block"},
                                          {"type":"image","source":{"type":"file","file_id":"f"}}]},
                {"role":"system","content":[]},
                {"role":"assistant","content":""},
                {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":7}]}],
    "system":[{"type":"text","text":"S"},{"type":"future_system_block"}],
    "tools":[{"name":"web_search","type":"web_search_20250305"},{"name":"T","input_schema":{}}],
    "tool_choice":{"type":"any"},"stream":false,"temperature":1,"stop_sequences":[],
    "metadata":"not an object","thinking":"unknown","brand_new_key":{"a":[1]})")));
  EXPECT_EQ(json::serialize(translated.body.at("messages")),
            R"([{"role":"system","content":"S"},{"role":"user","content":"a"},)"
            R"j({"role":"tool","tool_call_id":"t1","content":"(no content)"}])j");
}

TEST(RequestValidation, CountTokensChecksModelMessagesSystemAndTools) {
  EXPECT_NO_THROW(validate_count_tokens_request(
      parse_json(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})")));
  // count_tokens takes no max_tokens, and no conversation needs to be left to send.
  EXPECT_NO_THROW(validate_count_tokens_request(
      parse_json(R"({"model":"m","messages":[{"role":"user","content":""}]})")));
  const std::pair<std::string, std::string> invalid[] = {
      {R"([])", "JSON object"},
      {R"({"messages":[{"role":"user","content":"hi"}]})", "model: Field required"},
      {R"({"model":"m"})", "messages: Field required"},
      {R"({"model":"m","messages":[]})", "messages: at least one message is required"},
      {R"({"model":"m","messages":[{"role":"bot","content":"x"}]})", "messages.0.role:"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"system":1})", "system:"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{}]})",
       "tools.0.name: Field required"},
  };
  for (const auto& [body, message] : invalid) {
    try {
      validate_count_tokens_request(parse_json(body));
      ADD_FAILURE() << "accepted " << body;
    } catch (const InvalidRequest& error) {
      EXPECT_THAT(error.what(), HasSubstr(message)) << body;
    }
  }
}

TEST(RequestShape, ClaudeCodeTurnTranslatesWhole) {
  const auto translated = translate(parse_object(R"({
    "model":"claude-sonnet-4-5","max_tokens":32000,"stream":true,
    "system":[{"type":"text","text":"S"}],
    "messages":[{"role":"user","content":"hi"},
      {"role":"assistant","content":[{"type":"text","text":"ok"},{"type":"tool_use","id":"call_1","name":"Read","input":{"p":"a"}}]},
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"call_1","content":[{"type":"text","text":"X"}]},{"type":"text","text":"note"}]}],
    "tools":[{"name":"Read","description":"r","input_schema":{"type":"object"}}],"tool_choice":{"type":"any"}})"));
  EXPECT_EQ(
      json::serialize(translated.body),
      R"({"model":"middle-model","messages":[{"role":"system","content":"S"},{"role":"user","content":"hi"},)"
      R"({"role":"assistant","content":"ok","tool_calls":[{"id":"call_1","type":"function","function":{"name":"Read","arguments":"{\"p\":\"a\"}"}}]},)"
      R"({"role":"tool","tool_call_id":"call_1","content":"X"},{"role":"user","content":"note"}],)"
      R"("max_tokens":32000,"tools":[{"type":"function","function":{"name":"Read","description":"r","parameters":{"type":"object"}}}],)"
      R"("tool_choice":"required","stream":true,"stream_options":{"include_usage":true}})");
}

}  // namespace
}  // namespace ccgate::translate
