// OpenAI Chat Completions requests → ChatRequest values; 400s only where OpenAI gives them.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "openai/chat_request.hpp"

namespace ccgate::openai {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

ChatRequest parse(std::string_view body) {
  return parse_chat_request(json::parse(body));
}

TEST(GatewayChatRequestTest, MinimalRequest) {
  const auto request = parse(R"({"model":"sonnet","messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(request.model, "sonnet");
  ASSERT_EQ(request.messages.size(), 1u);
  EXPECT_EQ(request.messages[0].role, Role::user);
  EXPECT_EQ(text_of(request.messages[0]), "hi");
  EXPECT_TRUE(request.tools.empty());
  EXPECT_EQ(request.tool_choice.mode, ToolChoice::Mode::automatic);
  EXPECT_TRUE(request.parallel_tool_calls);
  EXPECT_FALSE(request.max_tokens.has_value());
  EXPECT_FALSE(request.stream);
  EXPECT_FALSE(request.include_usage);
}

TEST(GatewayChatRequestTest, EveryRoleAndContentShape) {
  const auto request = parse(R"({"model":"opus","messages":[
    {"role":"system","content":"Be brief."},
    {"role":"developer","content":[{"type":"text","text":"Use metric units."}]},
    {"role":"user","name":"ada","content":[
      {"type":"text","text":"What is in this picture?"},
      {"type":"image_url","image_url":{"url":"https://example.com/cat.png","detail":"high"}},
      {"type":"image_url","image_url":"data:image/png;base64,iVBORw0KGgo="},
      {"type":"input_audio","input_audio":{"data":"UklGR","format":"wav"}},
      {"type":"file","file":{"file_id":"file-1"}}]},
    {"role":"assistant","content":null,"tool_calls":[
      {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
      {"id":"call_2","type":"function","function":{"name":"get_time","arguments":{"tz":"CET"}}}]},
    {"role":"tool","tool_call_id":"call_1","content":"sunny"},
    {"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"12:00"}]},
    {"role":"assistant","function_call":{"name":"legacy","arguments":"{}"}},
    {"role":"function","name":"legacy","content":"done"}]})");
  ASSERT_EQ(request.messages.size(), 8u);
  EXPECT_EQ(request.messages[0].role, Role::system);
  EXPECT_EQ(request.messages[1].role, Role::developer);
  EXPECT_EQ(text_of(request.messages[1]), "Use metric units.");

  const auto& user = request.messages[2];
  EXPECT_EQ(user.name, "ada");
  ASSERT_EQ(user.content.size(), 3u) << "audio and files are dropped";
  EXPECT_EQ(std::get<TextPart>(user.content[0]).text, "What is in this picture?");
  EXPECT_EQ(std::get<ImagePart>(user.content[1]).url, "https://example.com/cat.png");
  EXPECT_EQ(std::get<ImagePart>(user.content[2]).url, "data:image/png;base64,iVBORw0KGgo=");

  const auto& assistant = request.messages[3];
  EXPECT_TRUE(assistant.content.empty());
  ASSERT_EQ(assistant.tool_calls.size(), 2u);
  EXPECT_EQ(assistant.tool_calls[0].id, "call_1");
  EXPECT_EQ(assistant.tool_calls[0].name, "get_weather");
  EXPECT_EQ(assistant.tool_calls[0].arguments, R"({"city":"Paris"})");
  EXPECT_EQ(json::parse(assistant.tool_calls[1].arguments), json::parse(R"({"tz":"CET"})"))
      << "arguments sent as an object are kept as JSON text";

  EXPECT_EQ(request.messages[4].tool_call_id, "call_1");
  EXPECT_EQ(text_of(request.messages[4]), "sunny");
  EXPECT_EQ(text_of(request.messages[5]), "12:00");
  ASSERT_EQ(request.messages[6].tool_calls.size(), 1u);
  EXPECT_EQ(request.messages[6].tool_calls[0].name, "legacy");
  EXPECT_EQ(request.messages[7].role, Role::function);
  EXPECT_EQ(request.messages[7].name, "legacy");
}

TEST(GatewayChatRequestTest, ToolsAndChoices) {
  const auto request = parse(R"({"model":"m","messages":[{"role":"user","content":"x"}],
    "tools":[
      {"type":"function","function":{"name":"get_weather","description":"Weather now.",
        "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]},
        "strict":true}},
      {"type":"function","function":{"name":"ping"}}],
    "tool_choice":{"type":"function","function":{"name":"get_weather"}},
    "parallel_tool_calls":false})");
  ASSERT_EQ(request.tools.size(), 2u);
  EXPECT_EQ(request.tools[0].name, "get_weather");
  EXPECT_EQ(request.tools[0].description, "Weather now.");
  EXPECT_EQ(request.tools[0].parameters.at("required"), json::parse(R"(["city"])"));
  EXPECT_EQ(json::value(request.tools[1].parameters),
            json::parse(R"({"type":"object","properties":{}})"));
  EXPECT_EQ(request.tool_choice.mode, ToolChoice::Mode::function);
  EXPECT_EQ(request.tool_choice.function_name, "get_weather");
  EXPECT_FALSE(request.parallel_tool_calls);

  const auto choice = [](std::string_view value) {
    return parse(std::string(
                     R"({"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":)") +
                 std::string(value) + "}")
        .tool_choice.mode;
  };
  EXPECT_EQ(choice(R"("none")"), ToolChoice::Mode::none);
  EXPECT_EQ(choice(R"("auto")"), ToolChoice::Mode::automatic);
  EXPECT_EQ(choice(R"("required")"), ToolChoice::Mode::required);
  EXPECT_EQ(choice(R"({"type":"allowed_tools"})"), ToolChoice::Mode::automatic);
}

TEST(GatewayChatRequestTest, GenerationSettings) {
  const auto request = parse(R"({"model":"m","messages":[{"role":"user","content":"x"}],
    "max_tokens":100,"max_completion_tokens":250,"stop":["\n\n","END",""],"user":"u-42",
    "reasoning_effort":"high","stream":true,"stream_options":{"include_usage":true}})");
  EXPECT_EQ(request.max_tokens, 250) << "max_completion_tokens wins over the deprecated max_tokens";
  EXPECT_THAT(request.stop, ElementsAre("\n\n", "END"));
  EXPECT_EQ(request.user, "u-42");
  EXPECT_EQ(request.reasoning_effort, "high");
  EXPECT_TRUE(request.stream);
  EXPECT_TRUE(request.include_usage);

  const auto single = parse(
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"stop":"###","max_tokens":7})");
  EXPECT_THAT(single.stop, ElementsAre("###"));
  EXPECT_EQ(single.max_tokens, 7);
}

TEST(GatewayChatRequestTest, UnknownFieldsAreIgnored) {
  const auto request = parse(R"({"model":"m","temperature":0.2,"top_p":1,"n":1,"seed":7,
    "logit_bias":{"50256":-100},"response_format":{"type":"text"},"metadata":{"a":"b"},
    "store":false,"future_field":{"x":[1,2]},
    "messages":[{"role":"user","content":"x","extra":true}]})");
  EXPECT_EQ(request.messages.size(), 1u);
}

struct InvalidCase {
  std::string name;
  std::string body;
  std::string param;
  std::string message_part;
};

class GatewayInvalidRequestTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(GatewayInvalidRequestTest, IsA400NamingTheParameter) {
  try {
    parse(GetParam().body);
    FAIL() << "accepted: " << GetParam().body;
  } catch (const InvalidRequest& error) {
    EXPECT_EQ(error.param(), GetParam().param);
    EXPECT_THAT(std::string(error.message()), HasSubstr(GetParam().message_part));
  }
}

const InvalidCase kInvalidCases[] = {
    {"BodyNotAnObject", R"([1,2])", "", "must be a JSON object"},
    {"ModelMissing", R"({"messages":[{"role":"user","content":"x"}]})", "model",
     "you must provide a model parameter"},
    {"ModelNotAString", R"({"model":5,"messages":[{"role":"user","content":"x"}]})", "model",
     "expected a string, but got an integer"},
    {"MessagesMissing", R"({"model":"m"})", "messages", "Missing required parameter: 'messages'"},
    {"MessagesEmpty", R"({"model":"m","messages":[]})", "messages", "empty array"},
    {"MessagesNotAnArray", R"({"model":"m","messages":"hi"})", "messages",
     "expected an array of objects, but got a string"},
    {"MessageNotAnObject", R"({"model":"m","messages":["hi"]})", "messages[0]",
     "expected an object"},
    {"RoleMissing", R"({"model":"m","messages":[{"content":"x"}]})", "messages[0].role",
     "Missing required parameter"},
    {"RoleInvalid",
     R"({"model":"m","messages":[{"role":"user","content":"a"},{"role":"bot","content":"x"}]})",
     "messages[1].role", "Invalid value: 'bot'"},
    {"ToolMessageWithoutId",
     R"({"model":"m","messages":[{"role":"user","content":"a"},{"role":"tool","content":"x"}]})",
     "messages[1].tool_call_id", "Missing required parameter"},
    {"FunctionMessageWithoutName",
     R"({"model":"m","messages":[{"role":"function","content":"x"}]})", "messages[0].name",
     "Missing required parameter"},
    {"ToolsNotAnArray",
     R"({"model":"m","messages":[{"role":"user","content":"x"}],"tools":{"type":"function"}})",
     "tools", "expected an array"},
    {"ToolWithoutType",
     R"({"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"function":{"name":"f"}}]})",
     "tools[0].type", "Missing required parameter"},
    {"ToolOfAnotherType",
     R"({"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}},{"type":"web_search"}]})",
     "tools[1].type", "Invalid value: 'web_search'"},
    {"ToolWithoutFunction",
     R"({"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function"}]})",
     "tools[0].function", "Missing required parameter"},
    {"ToolWithoutName",
     R"({"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"description":"d"}}]})",
     "tools[0].function.name", "Missing required parameter"},
    {"ToolWithEmptyName",
     R"({"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":""}}]})",
     "tools[0].function.name", "empty string"},
};

INSTANTIATE_TEST_SUITE_P(OpenAiRejects, GatewayInvalidRequestTest,
                         ::testing::ValuesIn(kInvalidCases),
                         [](const auto& info) { return info.param.name; });

// ---- bounds: OpenAI's own (stop, tools) and ccgate's (stop length, JSON depth) ----

std::string with_user(std::string_view extra) {
  return R"({"model":"m","messages":[{"role":"user","content":"x"}])" + std::string(extra) + "}";
}

std::string tools_json(std::size_t count) {
  std::string tools = "[";
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) tools += ",";
    tools += R"({"type":"function","function":{"name":"tool_)" + std::to_string(i) + R"("}})";
  }
  return tools + "]";
}

InvalidRequest rejection(std::string_view body) {
  try {
    parse(body);
  } catch (const InvalidRequest& error) {
    return error;
  }
  ADD_FAILURE() << "accepted: " << body.substr(0, 200);
  return InvalidRequest("", "");
}

TEST(GatewayChatRequestBounds, AtMostFourStopSequencesInOpenAisWords) {
  EXPECT_EQ(parse(with_user(R"(,"stop":["a","b","c","d"])")).stop.size(), 4u);
  const auto error = rejection(with_user(R"(,"stop":["a","b","c","d","e"])"));
  EXPECT_EQ(std::string(error.message()),
            "Invalid 'stop': array too long. Expected an array with maximum length 4, but got an "
            "array with length 5 instead.");
  EXPECT_EQ(error.param(), "stop");
  EXPECT_EQ(error.code(), "array_above_max_length");
}

TEST(GatewayChatRequestBounds, AStopSequenceHasABoundedLength) {
  const std::string longest(kMaxStopSequenceLength, 'x');
  EXPECT_THAT(parse(with_user(R"(,"stop":[")" + longest + R"("])")).stop, ElementsAre(longest));
  // Characters, not bytes: 256 two-byte characters are within the bound.
  std::string accented;
  for (std::size_t i = 0; i < kMaxStopSequenceLength; ++i) accented += "\u00e9";
  EXPECT_EQ(parse(with_user(R"(,"stop":")" + accented + R"(")")).stop.size(), 1u);

  const auto in_array = rejection(with_user(R"(,"stop":["ok",")" + longest + R"(x"])"));
  EXPECT_EQ(std::string(in_array.message()),
            "Invalid 'stop[1]': string too long. Expected a string with maximum length 256, but "
            "got a string with length 257 instead.");
  EXPECT_EQ(in_array.param(), "stop[1]");
  EXPECT_EQ(in_array.code(), "string_above_max_length");
  EXPECT_EQ(rejection(with_user(R"(,"stop":")" + longest + R"(x")")).param(), "stop");
}

TEST(GatewayChatRequestBounds, AtMost128ToolsInOpenAisWords) {
  EXPECT_EQ(parse(with_user(R"(,"tools":)" + tools_json(kMaxTools))).tools.size(), 128u);
  const auto error = rejection(with_user(R"(,"tools":)" + tools_json(kMaxTools + 1)));
  EXPECT_EQ(std::string(error.message()),
            "Invalid 'tools': array too long. Expected an array with maximum length 128, but got "
            "an array with length 129 instead.");
  EXPECT_EQ(error.param(), "tools");
  EXPECT_EQ(error.code(), "array_above_max_length");
}

// A tool whose parameters schema nests `levels` objects under "properties"/"child".
std::string deep_tool_request(std::size_t levels) {
  std::string schema = R"({"type":"string"})";
  for (std::size_t i = 0; i < levels; ++i)
    schema = R"({"type":"object","properties":{"child":)" + schema + "}}";
  return with_user(R"(,"tools":[{"type":"function","function":{"name":"deep","parameters":)" +
                   schema + "}}]");
}

TEST(GatewayChatRequestBounds, DeepToolSchemasAreReadUpToTheDepthLimit) {
  // 40 schema levels are 80 JSON levels, plus 5 around them: real schemas fit 128.
  const auto request = parse_chat_request_body(deep_tool_request(40), 128);
  ASSERT_EQ(request.tools.size(), 1u);
  const json::value* level = &request.tools[0].parameters.at("properties").at("child");
  for (int i = 1; i < 40; ++i) level = &level->at("properties").at("child");
  EXPECT_EQ(*level, json::parse(R"({"type":"string"})")) << "the schema arrives whole";

  try {
    parse_chat_request_body(deep_tool_request(70), 128);
    FAIL() << "a body nested 145 levels deep was accepted";
  } catch (const InvalidRequest& error) {
    EXPECT_THAT(std::string(error.message()), HasSubstr("MAX_JSON_DEPTH"));
    EXPECT_THAT(std::string(error.message()), HasSubstr("128"));
    EXPECT_EQ(error.code(), "json_too_deep");
  }
  EXPECT_EQ(parse_chat_request_body(deep_tool_request(70), 256).tools.size(), 1u)
      << "the limit is the configured one";
  EXPECT_THROW(parse_chat_request_body(R"({"model":)", 128), InvalidRequest);
}

// ---- the conversation's tool calls ----

TEST(GatewayChatRequestTest, EveryToolCallMustBeAnsweredRightAfterItsMessage) {
  const auto error = rejection(R"({"model":"m","messages":[
    {"role":"user","content":"weather?"},
    {"role":"assistant","tool_calls":[
      {"id":"call_a","type":"function","function":{"name":"w","arguments":"{}"}},
      {"id":"call_b","type":"function","function":{"name":"w","arguments":"{}"}}]},
    {"role":"tool","tool_call_id":"call_a","content":"sunny"},
    {"role":"user","content":"and tomorrow?"}]})");
  EXPECT_EQ(std::string(error.message()),
            "An assistant message with 'tool_calls' must be followed by tool messages responding "
            "to each 'tool_call_id'. The following tool_call_ids did not have response messages: "
            "call_b");
  EXPECT_EQ(error.param(), "messages.[1].role");

  // Every call answered, then a new user message: fine.
  EXPECT_EQ(parse(R"({"model":"m","messages":[
    {"role":"user","content":"weather?"},
    {"role":"assistant","tool_calls":[
      {"id":"call_a","type":"function","function":{"name":"w","arguments":"{}"}},
      {"id":"call_b","type":"function","function":{"name":"w","arguments":"{}"}}]},
    {"role":"tool","tool_call_id":"call_b","content":"rain"},
    {"role":"tool","tool_call_id":"call_a","content":"sunny"},
    {"role":"user","content":"and tomorrow?"}]})")
                .messages.size(),
            5u);
  // A request that ends with the tool calls is one the client has not answered yet.
  EXPECT_EQ(rejection(R"({"model":"m","messages":[{"role":"user","content":"weather?"},
    {"role":"assistant","tool_calls":[{"id":"call_a","type":"function","function":{"name":"w"}}]}]})")
                .param(),
            "messages.[1].role");
}

TEST(GatewayChatRequestTest, ToleratedWhereOpenAiIsToo) {
  // Content null for a user, a tool call without function, odd stop entries: no 400.
  const auto request = parse(R"({"model":"m","messages":[{"role":"user","content":null},
    {"role":"assistant","content":"ok","tool_calls":[{"id":"x"}]}],"stop":[1,"S"],
    "parallel_tool_calls":"yes","max_tokens":"many"})");
  EXPECT_TRUE(request.messages[0].content.empty());
  EXPECT_TRUE(request.messages[1].tool_calls.empty());
  EXPECT_THAT(request.stop, ElementsAre("S"));
  EXPECT_TRUE(request.parallel_tool_calls);
  EXPECT_FALSE(request.max_tokens.has_value());
}

}  // namespace
}  // namespace ccgate::openai
