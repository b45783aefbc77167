// Server-side tool calls in the CLI-stream translator: tool uses that are no client tool (an
// operator MCP server's, ccgate's own, a built-in) never reach the client as tool_calls, never
// end a turn with finish_reason "tool_calls", and are reported (outcome from the user line that
// carries their tool_result), as reasoning text when the client opted in.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "translate/cli_stream.hpp"
#include "translate_gateway_test_support.hpp"

namespace ccgate::translate {
namespace {

namespace json = boost::json;
using gateway_testing::assemble;
using gateway_testing::options_with_tools;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

json::object event(std::string_view event_json) {
  return json::object{{"type", "stream_event"}, {"event", json::parse(event_json)}};
}

// A streamed assistant message that calls `cli_name` (id `id`) and stops for tool use.
std::vector<json::object> tool_use_message(std::string_view message_id, std::string_view id,
                                           std::string_view cli_name) {
  return {
      event(R"({"type":"message_start","message":{"id":")" + std::string(message_id) +
            R"(","usage":{"input_tokens":3,"output_tokens":1}}})"),
      event(R"({"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":")" +
            std::string(id) + R"(","name":")" + std::string(cli_name) + R"(","input":{}}})"),
      event(
          R"({"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"topic\":\"x\"}"}})"),
      event(R"({"type":"content_block_stop","index":0})"),
      event(
          R"({"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":4}})"),
      event(R"({"type":"message_stop"})"),
  };
}

// The user line the CLI writes with a tool's result; `decision`: tool_result_meta's
// permission_decision ("" for none).
json::object tool_result_line(std::string_view id, bool is_error, std::string_view decision = "") {
  json::object block{{"type", "tool_result"}, {"tool_use_id", id}, {"content", "the result"}};
  if (is_error) block["is_error"] = true;
  json::object line{{"type", "user"},
                    {"message", json::object{{"role", "user"}, {"content", json::array{block}}}}};
  if (!decision.empty())
    line["tool_result_meta"] = json::array{
        json::object{{"id", id}, {"permission_decision", json::object{{"decision", decision}}}}};
  return line;
}

std::vector<json::object> text_message_and_result(std::string_view text) {
  return {
      event(R"({"type":"message_start","message":{"id":"msg_2","usage":{}}})"),
      event(
          R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})"),
      event(R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":")" +
            std::string(text) + R"("}})"),
      event(R"({"type":"content_block_stop","index":0})"),
      event(R"({"type":"message_delta","delta":{"stop_reason":"end_turn"}})"),
      event(R"({"type":"message_stop"})"),
      json::parse(R"({"type":"result","subtype":"success","is_error":false,"result":"done"})")
          .as_object(),
  };
}

struct Fed {
  std::string sse;
  std::optional<TurnEnd> end;
  std::vector<ServerToolResult> results;
};

Fed feed(CliStreamTranslator& translator, const std::vector<json::object>& lines) {
  Fed fed;
  for (const auto& line : lines) {
    if (fed.end) break;
    fed.end = translator.on_line(line, fed.sse);
    for (auto& result : translator.take_server_tool_results()) fed.results.push_back(result);
  }
  if (fed.end) translator.finish(*fed.end, fed.sse);
  return fed;
}

std::vector<json::object> operator_tool_turn(std::string_view cli_name, json::object result_line) {
  auto lines = tool_use_message("msg_1", "toolu_s1", cli_name);
  lines.push_back(std::move(result_line));
  for (auto& line : text_message_and_result("It says x.")) lines.push_back(std::move(line));
  return lines;
}

TEST(GatewayServerTools, AnOperatorToolIsNeverAToolCallAndTheTurnEndsWithStop) {
  CliStreamTranslator translator(options_with_tools());
  const auto fed = feed(translator, operator_tool_turn("mcp__search__web_lookup",
                                                       tool_result_line("toolu_s1", false)));
  ASSERT_TRUE(fed.end.has_value());
  EXPECT_EQ(fed.end->kind, TurnEnd::Kind::stop) << "a server-side tool use alone ends no turn";
  const auto view = assemble(fed.sse);
  EXPECT_TRUE(view.tool_calls.empty());
  EXPECT_EQ(view.finish_reason, "stop");
  EXPECT_EQ(view.content, "It says x.");
  EXPECT_THAT(view.reasoning, IsEmpty()) << "no activity text unless the client asked";
  ASSERT_EQ(fed.results.size(), 1u);
  EXPECT_EQ(fed.results[0].cli_id, "toolu_s1");
  EXPECT_EQ(fed.results[0].cli_name, "mcp__search__web_lookup");
  EXPECT_EQ(fed.results[0].outcome, ServerToolResult::Outcome::ok);
  EXPECT_TRUE(translator.server_tools_in_flight().empty());
}

TEST(GatewayServerTools, AClientThatOptedInSeesEachCallAsReasoningText) {
  auto options = options_with_tools();
  options.tool_activity = true;
  options.include_reasoning = false;  // the model's thinking is another matter
  CliStreamTranslator translator(options);
  const auto fed = feed(translator, operator_tool_turn("mcp__search__web_lookup",
                                                       tool_result_line("toolu_s1", false)));
  const auto view = assemble(fed.sse);
  EXPECT_EQ(view.reasoning, "Calling web_lookup…\nweb_lookup: ok\n");
  EXPECT_TRUE(view.tool_calls.empty());
  EXPECT_THAT(view.reasoning, Not(HasSubstr("topic"))) << "never the call's input";
  EXPECT_THAT(view.reasoning, Not(HasSubstr("the result"))) << "never its result";
}

TEST(GatewayServerTools, NotStreamingTheActivityIsNotInTheCompletion) {
  auto options = options_with_tools();
  options.tool_activity = true;
  options.stream = false;
  CliStreamTranslator translator(options);
  const auto fed = feed(translator, operator_tool_turn("mcp__search__web_lookup",
                                                       tool_result_line("toolu_s1", false)));
  ASSERT_TRUE(fed.end.has_value());
  const auto completion = translator.completion(*fed.end);
  const auto& message = completion.at("choices").as_array().at(0).at("message").as_object();
  EXPECT_FALSE(message.contains("tool_calls") && !message.at("tool_calls").as_array().empty());
  EXPECT_EQ(json::serialize(completion).find("Calling"), std::string::npos);
  EXPECT_EQ(fed.results.size(), 1u) << "still reported for the log and the metrics";
}

TEST(GatewayServerTools, ADeniedCallAndAFailedCallAreToldApart) {
  auto options = options_with_tools();
  options.tool_activity = true;
  CliStreamTranslator denied_translator(options);
  const auto denied =
      feed(denied_translator,
           operator_tool_turn("mcp__search__admin", tool_result_line("toolu_s1", true, "reject")));
  ASSERT_EQ(denied.results.size(), 1u);
  EXPECT_EQ(denied.results[0].outcome, ServerToolResult::Outcome::denied);
  EXPECT_THAT(assemble(denied.sse).reasoning, HasSubstr("admin: denied\n"));

  CliStreamTranslator failed_translator(options);
  const auto failed =
      feed(failed_translator,
           operator_tool_turn("mcp__search__admin", tool_result_line("toolu_s1", true, "accept")));
  ASSERT_EQ(failed.results.size(), 1u);
  EXPECT_EQ(failed.results[0].outcome, ServerToolResult::Outcome::error);
  EXPECT_THAT(assemble(failed.sse).reasoning, HasSubstr("admin: error\n"));
}

TEST(GatewayServerTools, BuiltInAndCcgateToolsAreReportedByTheirOwnNames) {
  auto options = options_with_tools();
  options.tool_activity = true;
  CliStreamTranslator translator(options);
  auto lines = tool_use_message("msg_1", "toolu_b", "WebSearch");
  lines.push_back(tool_result_line("toolu_b", false));
  for (auto& line : text_message_and_result("ok")) lines.push_back(std::move(line));
  const auto fed = feed(translator, lines);
  EXPECT_EQ(assemble(fed.sse).reasoning, "Calling WebSearch…\nWebSearch: ok\n");
  EXPECT_EQ(shown_tool_name("mcp__gateway__run_report"), "run_report");
  EXPECT_EQ(shown_tool_name("mcp__broken"), "mcp__broken");
}

TEST(GatewayServerTools, AMessageWithAClientAndAServerToolEndsWithOnlyTheClientsCall) {
  CliStreamTranslator translator(options_with_tools());
  std::string sse;
  const std::vector<json::object> lines{
      event(R"({"type":"message_start","message":{"id":"msg_1","usage":{}}})"),
      event(
          R"({"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_c","name":"mcp__gateway__get_weather","input":{}}})"),
      event(R"({"type":"content_block_stop","index":0})"),
      event(
          R"({"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_s","name":"mcp__search__web_lookup","input":{}}})"),
      event(R"({"type":"content_block_stop","index":1})"),
      event(R"({"type":"message_delta","delta":{"stop_reason":"tool_use"}})"),
      event(R"({"type":"message_stop"})"),
  };
  const auto fed = feed(translator, lines);
  ASSERT_TRUE(fed.end.has_value());
  EXPECT_EQ(fed.end->kind, TurnEnd::Kind::tool_calls);
  const auto view = assemble(fed.sse);
  ASSERT_EQ(view.tool_calls.size(), 1u);
  EXPECT_EQ(view.tool_calls.at(0).name, "get_weather");
  // The server tool's result comes after this response: the next one reports it.
  ASSERT_EQ(translator.server_tools_in_flight().size(), 1u);
  auto next_options = options_with_tools();
  next_options.server_tools_in_flight = translator.server_tools_in_flight();
  CliStreamTranslator next(next_options);
  std::vector<json::object> rest{tool_result_line("toolu_s", false)};
  for (auto& line : text_message_and_result("done")) rest.push_back(std::move(line));
  const auto continued = feed(next, rest);
  ASSERT_EQ(continued.results.size(), 1u);
  EXPECT_EQ(continued.results[0].cli_name, "mcp__search__web_lookup");
}

TEST(GatewayServerTools, AClientToolsResultIsNoServerToolCall) {
  CliStreamTranslator translator(options_with_tools());
  const auto fed = feed(translator, {tool_result_line("toolu_client", false)});
  EXPECT_TRUE(fed.results.empty());
}

}  // namespace
}  // namespace ccgate::translate
