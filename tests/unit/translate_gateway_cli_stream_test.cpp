// Recorded Claude Code CLI stdout (tests/unit/fixtures/cli) through the CLI-stream → OpenAI
// translator: what an OpenAI client assembles from the chunks, and the non-streaming completion.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "translate/cli_stream.hpp"
#include "translate_gateway_test_support.hpp"

namespace ccgate::translate {
namespace {

namespace json = boost::json;
using gateway_testing::assemble;
using gateway_testing::ClientView;
using gateway_testing::options_with_tools;
using gateway_testing::read_cli_fixture;
using gateway_testing::run_lines;
using ::testing::HasSubstr;
using ::testing::Not;

struct ExpectedCall {
  std::string id;      // what the client sees
  std::string cli_id;  // the CLI's tool_use id
  std::string name;
  std::string arguments;
};

struct FixtureCase {
  std::string file{};
  std::string content{};
  std::string reasoning{};
  std::vector<ExpectedCall> calls{};
  std::string finish_reason{};  // "" for an error end
  int status = 0;               // error ends
  std::string error_text{};     // part of the error message
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
};

void PrintTo(const FixtureCase& fixture, std::ostream* out) {
  *out << fixture.file;
}

std::string fixture_name(const ::testing::TestParamInfo<FixtureCase>& info) {
  std::string name = info.param.file.substr(0, info.param.file.find('.'));
  for (char& c : name) {
    if (c == '_') c = 'X';
  }
  return name;
}

class GatewayCliFixtureTest : public ::testing::TestWithParam<FixtureCase> {};

TEST_P(GatewayCliFixtureTest, StreamingClientSeesTheReply) {
  const auto& expected = GetParam();
  auto options = options_with_tools();
  options.include_usage = true;
  CliStreamTranslator translator(options);
  const auto run = run_lines(translator, read_cli_fixture(expected.file));
  ASSERT_TRUE(run.end.has_value()) << "the turn never ended";
  const ClientView view = assemble(run.sse);

  EXPECT_TRUE(view.done_last);
  EXPECT_EQ(view.done_count, 1);
  if (expected.finish_reason.empty()) {
    EXPECT_EQ(run.end->kind, TurnEnd::Kind::error);
    EXPECT_EQ(run.end->status, expected.status);
    ASSERT_TRUE(view.error.has_value());
    EXPECT_THAT(std::string(view.error->at("message").as_string()), HasSubstr(expected.error_text));
    EXPECT_TRUE(view.chunks.empty()) << "an error is never shown as content";
    EXPECT_FALSE(translator.response_started());
    return;
  }
  EXPECT_TRUE(view.role_first);
  EXPECT_EQ(view.role, "assistant");
  EXPECT_EQ(view.content, expected.content);
  EXPECT_EQ(view.reasoning, expected.reasoning);
  EXPECT_EQ(view.finish_reason, expected.finish_reason);
  ASSERT_EQ(view.tool_calls.size(), expected.calls.size());
  for (std::size_t i = 0; i < expected.calls.size(); ++i) {
    const auto& call = view.tool_calls.at(static_cast<std::int64_t>(i));
    EXPECT_EQ(call.id, expected.calls[i].id);
    EXPECT_EQ(call.type, "function");
    EXPECT_EQ(call.name, expected.calls[i].name);
    EXPECT_EQ(json::parse(call.arguments), json::parse(expected.calls[i].arguments));
  }
  for (const auto& chunk : view.chunks) {
    EXPECT_EQ(chunk.at("id"), "chatcmpl-test1");
    EXPECT_EQ(chunk.at("object"), "chat.completion.chunk");
    EXPECT_EQ(chunk.at("model"), "sonnet");
    EXPECT_EQ(chunk.at("created"), 1795310729);
  }
  ASSERT_TRUE(view.usage.has_value());
  EXPECT_EQ(view.usage->at("prompt_tokens"), expected.prompt_tokens);
  EXPECT_EQ(view.usage->at("completion_tokens"), expected.completion_tokens);
  EXPECT_EQ(view.usage->at("total_tokens"), expected.prompt_tokens + expected.completion_tokens);
}

TEST_P(GatewayCliFixtureTest, NonStreamingCompletionMatches) {
  const auto& expected = GetParam();
  auto options = options_with_tools();
  options.stream = false;
  CliStreamTranslator translator(options);
  const auto run = run_lines(translator, read_cli_fixture(expected.file));
  ASSERT_TRUE(run.end.has_value());
  EXPECT_TRUE(run.sse.empty()) << "nothing is written when not streaming";
  const auto completion = translator.completion(*run.end);

  if (expected.finish_reason.empty()) {
    EXPECT_EQ(run.end->status, expected.status);
    EXPECT_THAT(std::string(completion.at("error").at("message").as_string()),
                HasSubstr(expected.error_text));
    return;
  }
  EXPECT_EQ(completion.at("object"), "chat.completion");
  EXPECT_EQ(completion.at("id"), "chatcmpl-test1");
  const auto& choice = completion.at("choices").at(0).as_object();
  EXPECT_EQ(choice.at("finish_reason"), expected.finish_reason.c_str());
  const auto& message = choice.at("message").as_object();
  EXPECT_EQ(message.at("role"), "assistant");
  if (expected.content.empty() && !expected.calls.empty()) {
    EXPECT_TRUE(message.at("content").is_null());
  } else {
    EXPECT_EQ(message.at("content"), expected.content.c_str());
  }
  if (expected.reasoning.empty()) {
    EXPECT_FALSE(message.contains("reasoning_content"));
  } else {
    EXPECT_EQ(message.at("reasoning_content"), expected.reasoning.c_str());
  }
  if (expected.calls.empty()) {
    EXPECT_FALSE(message.contains("tool_calls"));
  } else {
    const auto& calls = message.at("tool_calls").as_array();
    ASSERT_EQ(calls.size(), expected.calls.size());
    for (std::size_t i = 0; i < calls.size(); ++i) {
      EXPECT_EQ(calls[i].at("id"), expected.calls[i].id.c_str());
      EXPECT_EQ(calls[i].at("function").at("name"), expected.calls[i].name.c_str());
      EXPECT_EQ(json::parse(calls[i].at("function").at("arguments").as_string()),
                json::parse(expected.calls[i].arguments));
    }
  }
  EXPECT_EQ(completion.at("usage").at("prompt_tokens"), expected.prompt_tokens);
  EXPECT_EQ(completion.at("usage").at("completion_tokens"), expected.completion_tokens);
  ASSERT_EQ(translator.tool_calls().size(), expected.calls.size());
  for (std::size_t i = 0; i < expected.calls.size(); ++i) {
    EXPECT_EQ(translator.tool_calls()[i].id, expected.calls[i].id);
    EXPECT_EQ(translator.tool_calls()[i].cli_id, expected.calls[i].cli_id);
    EXPECT_EQ(translator.tool_calls()[i].client_name, expected.calls[i].name);
  }
}

const FixtureCase kFixtureCases[] = {
    {.file = "plain_text.jsonl",
     .content = "hello from fake",
     .finish_reason = "stop",
     .prompt_tokens = 12,
     .completion_tokens = 5},
    {.file = "no_partial_messages.jsonl",
     .content = "hello from fake",
     .finish_reason = "stop",
     .prompt_tokens = 12,
     .completion_tokens = 5},
    {.file = "thinking_text.jsonl",
     .content = "Hi there!",
     .reasoning = "The user wants a greeting. Keep it short.",
     .finish_reason = "stop",
     .prompt_tokens = 20,
     .completion_tokens = 30},
    {.file = "tool_call.jsonl",
     .calls = {{"call_test1", "toolu_fake0001", "get_weather", R"({"city":"Paris"})"}},
     .finish_reason = "tool_calls",
     .prompt_tokens = 12,
     .completion_tokens = 5},
    // Only this response's model call counts: the result line's 24/10 includes the first one.
    {.file = "tool_continuation.jsonl",
     .content = "The weather in Paris is sunny.",
     .finish_reason = "stop",
     .prompt_tokens = 12,
     .completion_tokens = 5},
    {.file = "two_tool_calls.jsonl",
     .content = "I'll check both cities.",
     .calls = {{"call_test1", "toolu_fake0002", "get_weather", R"({"city":"Paris"})"},
               {"call_test2", "toolu_fake0003", "get_weather", R"({"city":"London"})"}},
     .finish_reason = "tool_calls",
     .prompt_tokens = 40,
     .completion_tokens = 61},
    {.file = "hidden_tool.jsonl",
     .content = "Let me clean up.\n\nI am not allowed to delete files.",
     .finish_reason = "stop",
     .prompt_tokens = 90,
     .completion_tokens = 29},
    {.file = "api_error_401.jsonl", .status = 401, .error_text = "invalid x-api-key"},
    {.file = "api_error_429_text_only.jsonl", .status = 429, .error_text = "rate limit"},
    {.file = "error_max_turns.jsonl",
     .status = 502,
     .error_text = "Reached maximum number of turns (1)"},
    {.file = "cache_usage.jsonl",
     .content = "Cached answer.",
     .finish_reason = "stop",
     .prompt_tokens = 1503,
     .completion_tokens = 42},
    {.file = "unknown_lines.jsonl",
     .content = "hello from fake",
     .finish_reason = "stop",
     .prompt_tokens = 12,
     .completion_tokens = 5},
    {.file = "recipe_text.jsonl",
     .content = "Step 1: mix.\nStep 2: bake at 180 °C.\nEND\nStep 3: eat 🍰.",
     .finish_reason = "stop",
     .prompt_tokens = 15,
     .completion_tokens = 25},
};

INSTANTIATE_TEST_SUITE_P(Recorded, GatewayCliFixtureTest, ::testing::ValuesIn(kFixtureCases),
                         fixture_name);

// ---- the turn boundary ----

TEST(GatewayCliStreamTest, ToolCallTurnEndsAtMessageStopWithoutAResultLine) {
  const auto lines = read_cli_fixture("two_tool_calls.jsonl");
  CliStreamTranslator translator(options_with_tools());
  std::string sse;
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
    ASSERT_FALSE(translator.on_line(lines[i], sse).has_value()) << "ended early at line " << i;
  }
  const auto end = translator.on_line(lines.back(), sse);  // message_stop
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->kind, TurnEnd::Kind::tool_calls);
  EXPECT_EQ(translator.tool_calls().size(), 2u);
  EXPECT_FALSE(translator.ended_before_cli()) << "the CLI is waiting in the MCP call, not cut";
}

TEST(GatewayCliStreamTest, LinesAfterTheEndAreIgnored) {
  CliStreamTranslator translator(options_with_tools());
  auto lines = read_cli_fixture("plain_text.jsonl");
  const auto run = run_lines(translator, lines);
  ASSERT_TRUE(run.end.has_value());
  std::string more;
  for (const auto& line : lines) EXPECT_FALSE(translator.on_line(line, more).has_value());
  translator.finish(*run.end, more);
  EXPECT_TRUE(more.empty());
}

TEST(GatewayCliStreamTest, ClientToolWithAnUnsafeNameIsShownUnderTheClientsName) {
  CliStreamOptions options = options_with_tools({"weather.get"});
  CliStreamTranslator translator(options);
  const auto cli_name = options.tools.cli_name_for("weather.get");
  ASSERT_TRUE(cli_name.has_value());
  std::string sse;
  const auto event = [](std::string_view event_json) {
    return json::object{{"type", "stream_event"}, {"event", json::parse(event_json)}};
  };
  translator.on_line(event(R"({"type":"message_start","message":{"id":"msg_1","usage":{}}})"), sse);
  translator.on_line(
      event(
          R"({"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_9","name":")" +
          *cli_name + R"(","input":{}}})"),
      sse);
  translator.on_line(event(R"({"type":"content_block_stop","index":0})"), sse);
  translator.on_line(event(R"({"type":"message_delta","delta":{"stop_reason":"tool_use"}})"), sse);
  const auto end = translator.on_line(event(R"({"type":"message_stop"})"), sse);
  ASSERT_TRUE(end.has_value());
  translator.finish(*end, sse);
  const auto view = assemble(sse);
  ASSERT_EQ(view.tool_calls.size(), 1u);
  EXPECT_EQ(view.tool_calls.at(0).name, "weather.get");
  EXPECT_EQ(view.tool_calls.at(0).arguments, "{}") << "a call without input still parses";
  EXPECT_EQ(view.finish_reason, "tool_calls");
}

TEST(GatewayCliStreamTest, BuiltInToolUseIsNotShown) {
  CliStreamTranslator translator(options_with_tools());
  std::string sse;
  const auto event = [](std::string_view event_json) {
    return json::object{{"type", "stream_event"}, {"event", json::parse(event_json)}};
  };
  translator.on_line(event(R"({"type":"message_start","message":{"id":"msg_1"}})"), sse);
  translator.on_line(
      event(
          R"({"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"Bash","input":{}}})"),
      sse);
  translator.on_line(
      event(
          R"({"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"command\":\"rm -rf /\"}"}})"),
      sse);
  translator.on_line(event(R"({"type":"message_delta","delta":{"stop_reason":"tool_use"}})"), sse);
  EXPECT_FALSE(translator.on_line(event(R"({"type":"message_stop"})"), sse).has_value())
      << "no client tool was called: the CLI goes on and the turn continues";
  EXPECT_TRUE(sse.empty());
  EXPECT_TRUE(translator.tool_calls().empty());
}

TEST(GatewayCliStreamTest, AssistantOnlyMessageWithClientToolCallEndsTheTurn) {
  CliStreamTranslator translator(options_with_tools());
  std::string sse;
  const auto end = translator.on_line(
      json::parse(
          R"({"type":"assistant","message":{"id":"msg_2","model":"claude-opus-5-5","stop_reason":"tool_use","content":[{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_7","name":"mcp__gateway__get_weather","input":{"city":"Oslo"}}]}})")
          .as_object(),
      sse);
  ASSERT_TRUE(end.has_value());
  translator.finish(*end, sse);
  const auto view = assemble(sse);
  EXPECT_EQ(view.content, "Checking.");
  ASSERT_EQ(view.tool_calls.size(), 1u);
  EXPECT_EQ(view.tool_calls.at(0).id, "call_test1") << "the client sees ccgate's id";
  ASSERT_EQ(translator.tool_calls().size(), 1u);
  EXPECT_EQ(translator.tool_calls()[0].cli_id, "toolu_7")
      << "and the CLI's is kept for the MCP call";
  EXPECT_EQ(json::parse(view.tool_calls.at(0).arguments), json::parse(R"({"city":"Oslo"})"));
  EXPECT_EQ(view.finish_reason, "tool_calls");
}

TEST(GatewayCliStreamTest, WithToolChoiceNoneAClientToolUseIsHiddenAndTheTurnGoesOn) {
  // The model calls get_weather anyway; the approval denies it and the model answers in text.
  auto lines = read_cli_fixture("tool_call.jsonl");
  for (auto& line : read_cli_fixture("tool_continuation.jsonl")) lines.push_back(std::move(line));
  for (const bool stream : {true, false}) {
    auto options = options_with_tools();
    options.client_tools = false;
    options.stream = stream;
    CliStreamTranslator translator(options);
    const auto run = run_lines(translator, lines);
    ASSERT_TRUE(run.end.has_value());
    EXPECT_EQ(run.lines_used, lines.size()) << "the turn ends at the result line, not the call";
    EXPECT_EQ(run.end->kind, TurnEnd::Kind::stop);
    EXPECT_TRUE(translator.tool_calls().empty());
    EXPECT_EQ(translator.content(), "The weather in Paris is sunny.");
    if (stream) {
      const auto view = assemble(run.sse);
      EXPECT_TRUE(view.tool_calls.empty()) << run.sse;
      EXPECT_EQ(view.finish_reason, "stop");
      EXPECT_THAT(run.sse, Not(HasSubstr("tool_calls")));
    } else {
      const auto completion = translator.completion(*run.end);
      const auto& choice = completion.at("choices").at(0).as_object();
      EXPECT_EQ(choice.at("finish_reason"), "stop");
      EXPECT_FALSE(choice.at("message").as_object().contains("tool_calls"));
    }
  }
}

TEST(GatewayCliStreamTest, AnAssistantLineCallingAClientToolIsHiddenUnderToolChoiceNone) {
  auto options = options_with_tools();
  options.client_tools = false;
  CliStreamTranslator translator(options);
  std::string sse;
  const auto end = translator.on_line(
      json::parse(
          R"({"type":"assistant","message":{"id":"msg_2","model":"claude-opus-5-5","stop_reason":"tool_use","content":[{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_7","name":"mcp__gateway__get_weather","input":{"city":"Oslo"}}]}})")
          .as_object(),
      sse);
  EXPECT_FALSE(end.has_value()) << "no client tool call: the turn goes on";
  EXPECT_TRUE(translator.tool_calls().empty());
  EXPECT_EQ(translator.content(), "Checking.");
}

// ---- a user line written mid-turn ----

json::object echo_of(std::string_view text) {
  return json::object{{"type", "user"},
                      {"message", json::object{{"role", "user"}, {"content", text}}},
                      {"parent_tool_use_id", nullptr},
                      {"isReplay", true}};
}

TEST(GatewayCliStreamTest, ALineTakenIntoTheRunningTurnEndsTheAnswerAtItsResult) {
  // The CLI took the line with the tool result: its echo comes before the result line.
  auto lines = read_cli_fixture("tool_continuation.jsonl");
  lines.insert(lines.begin() + 1, echo_of("And tomorrow?"));
  auto options = options_with_tools();
  options.user_lines_in_flight = 1;
  CliStreamTranslator translator(options);
  const auto run = run_lines(translator, lines);
  ASSERT_TRUE(run.end.has_value());
  EXPECT_EQ(run.lines_used, lines.size());
  EXPECT_EQ(run.end->kind, TurnEnd::Kind::stop);
  EXPECT_EQ(assemble(run.sse).content, "The weather in Paris is sunny.");
}

TEST(GatewayCliStreamTest, ALineTheCliRunsAsATurnOfItsOwnIsPartOfTheSameAnswer) {
  // The CLI read the line too late for the running turn: it ends that turn, then takes the line
  // (init, echo) and answers it. The client gets both, as one answer.
  auto lines = read_cli_fixture("tool_continuation.jsonl");
  const auto first_result = lines.size();
  auto next_turn = read_cli_fixture("plain_text.jsonl");  // init, the answer, its result
  lines.push_back(next_turn.front());
  lines.push_back(echo_of("And tomorrow?"));
  lines.insert(lines.end(), next_turn.begin() + 1, next_turn.end());
  for (const bool stream : {true, false}) {
    auto options = options_with_tools();
    options.user_lines_in_flight = 1;
    options.stream = stream;
    CliStreamTranslator translator(options);
    const auto run = run_lines(translator, lines);
    ASSERT_TRUE(run.end.has_value());
    EXPECT_GT(run.lines_used, first_result) << "the first result line is not the end";
    EXPECT_EQ(run.lines_used, lines.size());
    EXPECT_EQ(run.end->kind, TurnEnd::Kind::stop);
    EXPECT_EQ(translator.content(), "The weather in Paris is sunny.\n\nhello from fake");
    if (stream) EXPECT_EQ(assemble(run.sse).content, translator.content());
  }

  // Without a line in flight, echoes are just lines: the first result ends the answer.
  CliStreamTranslator plain(options_with_tools());
  const auto run = run_lines(plain, lines);
  EXPECT_EQ(run.lines_used, first_result);
}

TEST(GatewayCliStreamTest, AnErrorResultEndsTheAnswerEvenWithALineInFlight) {
  auto lines = read_cli_fixture("error_max_turns.jsonl");
  auto options = options_with_tools();
  options.user_lines_in_flight = 1;
  CliStreamTranslator translator(options);
  const auto run = run_lines(translator, lines);
  ASSERT_TRUE(run.end.has_value());
  EXPECT_EQ(run.end->kind, TurnEnd::Kind::error);
}

// ---- reading CLI lines ----

TEST(GatewayCliLineTest, ObjectsAreMessagesOtherTextIsNot) {
  const auto message = parse_cli_line(R"({"type":"result","subtype":"success"})", 16);
  EXPECT_EQ(message.kind, CliLine::Kind::message);
  EXPECT_EQ(message.message.at("type"), "result");
  EXPECT_EQ(parse_cli_line("[SandboxDebug] starting", 16).kind, CliLine::Kind::other);
  EXPECT_EQ(parse_cli_line("", 16).kind, CliLine::Kind::other);
  EXPECT_EQ(parse_cli_line("[1,2]", 16).kind, CliLine::Kind::other);
  EXPECT_EQ(parse_cli_line("  {\"type\":\"keep_alive\"}", 16).kind, CliLine::Kind::message);
}

TEST(GatewayCliLineTest, ALineThatCannotBeReadIsUnreadableNeverSkipped) {
  const auto truncated = parse_cli_line(R"({"type":"assistant","message":{"content":[)", 16);
  EXPECT_EQ(truncated.kind, CliLine::Kind::unreadable);
  EXPECT_THAT(truncated.problem, HasSubstr("cannot read"));

  // An assistant line whose tool input nests 40 arrays: 44 levels in all.
  const std::string deep = R"({"type":"assistant","message":{"content":[{"input":)" +
                           std::string(40, '[') + std::string(40, ']') + "}]}}";
  EXPECT_EQ(parse_cli_line(deep, 44).kind, CliLine::Kind::message);
  const auto too_deep = parse_cli_line(deep, 43);
  EXPECT_EQ(too_deep.kind, CliLine::Kind::unreadable);
  EXPECT_THAT(too_deep.problem, HasSubstr("deeper than 43 levels"));
  EXPECT_THAT(too_deep.problem, HasSubstr("MAX_JSON_DEPTH"));
}

// ---- errors ----

TEST(GatewayCliStreamTest, SyntheticMessageIsAnErrorEvenWhenTheResultSaysSuccess) {
  auto lines = read_cli_fixture("api_error_401.jsonl");
  lines.back()["is_error"] = false;
  lines.back()["api_error_status"] = nullptr;
  CliStreamTranslator translator(options_with_tools());
  const auto run = run_lines(translator, lines);
  ASSERT_TRUE(run.end.has_value());
  EXPECT_EQ(run.end->kind, TurnEnd::Kind::error);
  EXPECT_EQ(run.end->status, 401) << "from the synthetic text: API Error: 401";
  EXPECT_THAT(assemble(run.sse).content, Not(HasSubstr("API Error")));
}

TEST(GatewayCliStreamTest, ErrorAfterContentIsAnErrorEventInTheStream) {
  auto lines = read_cli_fixture("plain_text.jsonl");
  auto& result = lines.back();
  result["is_error"] = true;
  result["api_error_status"] = 529;
  result["result"] = "API Error: 529 Overloaded";
  CliStreamTranslator translator(options_with_tools());
  const auto run = run_lines(translator, lines);
  ASSERT_TRUE(run.end.has_value());
  EXPECT_EQ(run.end->status, 502);
  EXPECT_TRUE(translator.response_started());
  const auto view = assemble(run.sse);
  EXPECT_EQ(view.content, "hello from fake");
  ASSERT_TRUE(view.error.has_value());
  EXPECT_THAT(std::string(view.error->at("message").as_string()), HasSubstr("Overloaded"));
  EXPECT_EQ(view.error->at("type"), "api_error");
  EXPECT_TRUE(view.done_last);
  EXPECT_TRUE(view.finish_reason.empty());
}

TEST(GatewayCliStreamTest, CliExitingWithoutAResultIsAnError) {
  auto lines = read_cli_fixture("api_error_401.jsonl");
  lines.pop_back();  // the process died before its result line
  CliStreamTranslator synthetic(options_with_tools());
  EXPECT_FALSE(run_lines(synthetic, lines).end.has_value());
  const auto reported = synthetic.end_without_result("exit code 1");
  EXPECT_EQ(reported.kind, TurnEnd::Kind::error);
  EXPECT_EQ(reported.status, 401);
  EXPECT_THAT(reported.message, HasSubstr("invalid x-api-key"));

  CliStreamTranslator silent(options_with_tools());
  const auto crashed = silent.end_without_result("killed by signal 9");
  EXPECT_EQ(crashed.status, 502);
  EXPECT_THAT(crashed.message, HasSubstr("killed by signal 9"));
}

TEST(GatewayCliStreamTest, ApiErrorStatusMapping) {
  EXPECT_EQ(status_for_api_error(400), 400);
  EXPECT_EQ(status_for_api_error(401), 401);
  EXPECT_EQ(status_for_api_error(403), 403);
  EXPECT_EQ(status_for_api_error(429), 429);
  EXPECT_EQ(status_for_api_error(500), 502);
  EXPECT_EQ(status_for_api_error(529), 502);
  EXPECT_EQ(status_for_api_error(std::nullopt), 502);
}

// ---- reasoning, usage ----

TEST(GatewayCliStreamTest, ReasoningHiddenWhenNotWanted) {
  auto options = options_with_tools();
  options.include_reasoning = false;
  CliStreamTranslator translator(options);
  const auto run = run_lines(translator, read_cli_fixture("thinking_text.jsonl"));
  const auto view = assemble(run.sse);
  EXPECT_EQ(view.content, "Hi there!");
  EXPECT_EQ(view.reasoning, "");
  EXPECT_THAT(run.sse, Not(HasSubstr("reasoning_content")));
}

TEST(GatewayCliStreamTest, UsageChunkIsLastBeforeDoneAndCarriesCacheAndThinking) {
  auto options = options_with_tools();
  options.include_usage = true;
  CliStreamTranslator translator(options);
  const auto run = run_lines(translator, read_cli_fixture("cache_usage.jsonl"));
  const auto view = assemble(run.sse);
  ASSERT_FALSE(view.chunks.empty());
  const auto& last = view.chunks.back();
  EXPECT_TRUE(last.at("choices").as_array().empty());
  EXPECT_EQ(last.at("usage").at("prompt_tokens_details").at("cached_tokens"), 1200);
  for (std::size_t i = 0; i + 1 < view.chunks.size(); ++i) {
    EXPECT_TRUE(view.chunks[i].at("usage").is_null()) << "OpenAI sends usage: null until the end";
  }

  CliStreamTranslator thinking(options);
  run_lines(thinking, read_cli_fixture("thinking_text.jsonl"));
  EXPECT_EQ(thinking.usage().reasoning_tokens, 18);
}

TEST(GatewayCliStreamTest, NoUsageChunkUnlessAsked) {
  CliStreamTranslator translator(options_with_tools());
  const auto run = run_lines(translator, read_cli_fixture("plain_text.jsonl"));
  const auto view = assemble(run.sse);
  EXPECT_FALSE(view.usage.has_value());
  EXPECT_THAT(run.sse, Not(HasSubstr("\"usage\"")));
}

TEST(GatewayCliStreamTest, ModelHittingMaxTokensFinishesWithLength) {
  auto lines = read_cli_fixture("plain_text.jsonl");
  for (auto& line : lines) {
    if (line.at("type") != "stream_event") continue;
    auto& event = line.at("event").as_object();
    if (event.at("type") == "message_delta")
      event["delta"].as_object()["stop_reason"] = "max_tokens";
  }
  CliStreamTranslator translator(options_with_tools());
  const auto run = run_lines(translator, lines);
  EXPECT_EQ(assemble(run.sse).finish_reason, "length");
}

// ---- stop sequences and max_tokens, applied by the translator ----

const std::string kRecipe = "Step 1: mix.\nStep 2: bake at 180 °C.\nEND\nStep 3: eat 🍰.";

struct LimitRun {
  ClientView view;
  gateway_testing::Run run;
  bool stopped_by_stop_sequence = false;
  bool ended_before_cli = false;
};

LimitRun run_recipe(std::vector<std::string> stop, std::optional<std::int64_t> max_tokens,
                    bool stream = true) {
  auto options = options_with_tools();
  options.stop = std::move(stop);
  options.max_tokens = max_tokens;
  options.stream = stream;
  CliStreamTranslator translator(options);
  LimitRun result;
  result.run = run_lines(translator, read_cli_fixture("recipe_text.jsonl"));
  result.view = assemble(result.run.sse);
  if (!stream && result.run.end) {
    const auto completion = translator.completion(*result.run.end);
    const auto& choice = completion.at("choices").at(0);
    result.view.content = choice.at("message").at("content").as_string().c_str();
    result.view.finish_reason = choice.at("finish_reason").as_string().c_str();
  }
  result.stopped_by_stop_sequence = translator.stopped_by_stop_sequence();
  result.ended_before_cli = translator.ended_before_cli();
  return result;
}

TEST(GatewayCliStreamLimitsTest, StopStringSplitAcrossDeltasCutsTheContent) {
  for (bool stream : {true, false}) {
    const auto result = run_recipe({"\nEND"}, std::nullopt, stream);
    EXPECT_EQ(result.view.content, "Step 1: mix.\nStep 2: bake at 180 °C.");
    EXPECT_EQ(result.view.finish_reason, "stop");
    EXPECT_TRUE(result.stopped_by_stop_sequence);
    EXPECT_TRUE(result.ended_before_cli) << "the process layer must interrupt the CLI";
    EXPECT_LT(result.run.lines_used, read_cli_fixture("recipe_text.jsonl").size())
        << "the turn ends at the stop string, not at the result line";
  }
}

TEST(GatewayCliStreamLimitsTest, EarliestStopStringWins) {
  const auto result = run_recipe({"Step 3", "bake"}, std::nullopt);
  EXPECT_EQ(result.view.content, "Step 1: mix.\nStep 2: ");
}

TEST(GatewayCliStreamLimitsTest, HeldBackPrefixIsReleasedWhenNoStopFollows) {
  const auto result = run_recipe({"\nEXIT", "🍰!"}, std::nullopt);
  EXPECT_EQ(result.view.content, kRecipe);
  EXPECT_EQ(result.view.finish_reason, "stop");
  EXPECT_FALSE(result.stopped_by_stop_sequence);
  EXPECT_FALSE(result.ended_before_cli);
}

std::string first_code_points(std::string_view text, std::size_t count) {
  std::size_t seen = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (seen++ == count) return std::string(text.substr(0, i));
  }
  return std::string(text);
}

TEST(GatewayCliStreamLimitsTest, MaxTokensCutsAtFourCharactersPerToken) {
  std::size_t recipe_chars = 0;
  for (char c : kRecipe) recipe_chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  for (std::int64_t max_tokens = 1; max_tokens <= 15; ++max_tokens) {
    SCOPED_TRACE(max_tokens);
    const auto result = run_recipe({}, max_tokens);
    const auto budget = static_cast<std::size_t>(max_tokens) * 4;
    EXPECT_EQ(result.view.content, first_code_points(kRecipe, budget));
    EXPECT_EQ(result.view.finish_reason, budget < recipe_chars ? "length" : "stop");
    EXPECT_EQ(result.ended_before_cli, budget < recipe_chars);
  }
}

TEST(GatewayCliStreamLimitsTest, BudgetRunningOutAtTheResultLineNeedsNoInterrupt) {
  auto options = options_with_tools();
  options.stop = {".X"};
  options.max_tokens = 1;  // 4 characters
  CliStreamTranslator translator(options);
  std::string sse;
  const auto line = [](std::string_view text) { return json::parse(text).as_object(); };
  EXPECT_FALSE(translator.on_line(
      line(
          R"({"type":"assistant","message":{"id":"m1","model":"x","content":[{"type":"text","text":"abcd."}]}})"),
      sse));
  const auto end = translator.on_line(
      line(R"({"type":"result","subtype":"success","is_error":false,"result":"abcd."})"), sse);
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->kind, TurnEnd::Kind::length);
  EXPECT_FALSE(translator.ended_before_cli()) << "the CLI already finished: nothing to interrupt";
  translator.finish(*end, sse);
  EXPECT_EQ(assemble(sse).content, "abcd");
}

TEST(GatewayCliStreamLimitsTest, LimiterHoldsOnlyWhatCouldStartAStopString) {
  OutputLimiter limiter({"</answer>"}, std::nullopt);
  EXPECT_EQ(limiter.feed("The value is 4</"), "The value is 4");
  EXPECT_EQ(limiter.feed("ans"), "");
  EXPECT_EQ(limiter.feed("wer> and more"), "");
  EXPECT_EQ(limiter.cut(), OutputLimiter::Cut::stop_sequence);
  EXPECT_EQ(limiter.feed("anything"), "");
  EXPECT_EQ(limiter.flush(), "");

  OutputLimiter released({"</answer>"}, std::nullopt);
  EXPECT_EQ(released.feed("a </an"), "a ");
  EXPECT_EQ(released.feed("swered"), "</answered");
  EXPECT_EQ(released.feed("<"), "");
  EXPECT_EQ(released.flush(), "<");
  EXPECT_EQ(released.cut(), OutputLimiter::Cut::none);
}

// ---- hold_tool_calls (a tool policy is configured) ----

// two_tool_calls.jsonl up to its message_stop, fed to a translator that holds the calls.
struct HeldTwoCalls {
  explicit HeldTwoCalls(bool stream) : translator(options(stream)) {
    for (const auto& line : read_cli_fixture("two_tool_calls.jsonl")) {
      const auto end = translator.on_line(line, sse);
      EXPECT_FALSE(end.has_value()) << "held calls end nothing by themselves";
    }
  }
  static CliStreamOptions options(bool stream) {
    auto options = options_with_tools();
    options.stream = stream;
    options.hold_tool_calls = true;
    return options;
  }
  CliStreamTranslator translator;
  std::string sse;
};

TEST(GatewayCliStreamHoldTest, CallsWaitForTheirDecisionsAndOnlyTheAllowedOnesAreShown) {
  HeldTwoCalls held(true);
  EXPECT_THAT(held.sse, Not(HasSubstr("tool_calls"))) << "nothing of the calls streamed yet";
  EXPECT_THAT(held.sse, HasSubstr("both cities.")) << "text streams as before";
  ASSERT_TRUE(held.translator.awaiting_decisions());
  EXPECT_EQ(held.translator.held_call_ids(),
            (std::vector<std::string>{"toolu_fake0002", "toolu_fake0003"}));

  // London allowed with rewritten arguments, Paris denied.
  const auto end = held.translator.release_held(
      {{"toolu_fake0003", std::optional<std::string>(R"({"city":"London, UK"})")}}, held.sse);
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->kind, TurnEnd::Kind::tool_calls);
  EXPECT_FALSE(held.translator.awaiting_decisions());
  held.translator.finish(*end, held.sse);
  const auto view = assemble(held.sse);
  ASSERT_EQ(view.tool_calls.size(), 1u);
  EXPECT_EQ(view.tool_calls.at(0).id, "call_test1") << "numbered from index 0, as shown";
  EXPECT_EQ(view.tool_calls.at(0).name, "get_weather");
  EXPECT_EQ(view.tool_calls.at(0).arguments, R"({"city":"London, UK"})");
  EXPECT_EQ(view.finish_reason, "tool_calls");
  ASSERT_EQ(held.translator.tool_calls().size(), 1u);
  EXPECT_EQ(held.translator.tool_calls()[0].cli_id, "toolu_fake0003");
}

TEST(GatewayCliStreamHoldTest, AllowedCallsKeepTheModelsArgumentsWhenNotRewritten) {
  HeldTwoCalls held(false);
  const auto end = held.translator.release_held(
      {{"toolu_fake0002", std::nullopt}, {"toolu_fake0003", std::nullopt}}, held.sse);
  ASSERT_TRUE(end.has_value());
  EXPECT_TRUE(held.sse.empty()) << "not streaming";
  const auto completion = held.translator.completion(*end);
  const auto& message = completion.at("choices").at(0).at("message").as_object();
  const auto& calls = message.at("tool_calls").as_array();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(json::parse(calls[0].at("function").at("arguments").as_string()),
            json::parse(R"({"city":"Paris"})"));
  EXPECT_EQ(json::parse(calls[1].at("function").at("arguments").as_string()),
            json::parse(R"({"city":"London"})"));
}

TEST(GatewayCliStreamHoldTest, WhenNoCallIsAllowedTheTurnGoesOnInTheSameResponse) {
  HeldTwoCalls held(true);
  EXPECT_FALSE(held.translator.release_held({}, held.sse).has_value());
  EXPECT_TRUE(held.translator.tool_calls().empty());
  // The model reads the denials and answers; the turn ends at the result line.
  std::optional<TurnEnd> end;
  for (const auto& line : read_cli_fixture("tool_continuation.jsonl"))
    if (!end) end = held.translator.on_line(line, held.sse);
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->kind, TurnEnd::Kind::stop);
  held.translator.finish(*end, held.sse);
  const auto view = assemble(held.sse);
  EXPECT_TRUE(view.tool_calls.empty()) << held.sse;
  EXPECT_EQ(view.content, "I'll check both cities.\n\nThe weather in Paris is sunny.");
  EXPECT_EQ(view.finish_reason, "stop");
}

TEST(GatewayCliStreamHoldTest, AnAssistantOnlyMessageIsHeldToo) {
  auto options = options_with_tools();
  options.hold_tool_calls = true;
  CliStreamTranslator translator(options);
  std::string sse;
  EXPECT_FALSE(
      translator
          .on_line(
              json::parse(
                  R"({"type":"assistant","message":{"id":"msg_2","model":"claude-opus-5-5","stop_reason":"tool_use","content":[{"type":"tool_use","id":"toolu_7","name":"mcp__gateway__get_weather","input":{"city":"Oslo"}}]}})")
                  .as_object(),
              sse)
          .has_value());
  ASSERT_TRUE(translator.awaiting_decisions());
  const auto end = translator.release_held({{"toolu_7", std::nullopt}}, sse);
  ASSERT_TRUE(end.has_value());
  translator.finish(*end, sse);
  const auto view = assemble(sse);
  ASSERT_EQ(view.tool_calls.size(), 1u);
  EXPECT_EQ(json::parse(view.tool_calls.at(0).arguments), json::parse(R"({"city":"Oslo"})"));
}

}  // namespace
}  // namespace ccgate::translate
