// What ccgate writes to the Claude Code CLI's stdin for an OpenAI request.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "translate/cli_input.hpp"

namespace ccgate::translate {
namespace {

namespace json = boost::json;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

openai::ChatRequest request(std::string_view messages, std::string_view extra = "") {
  std::string body = R"({"model":"sonnet","messages":)" + std::string(messages);
  if (!extra.empty()) body += "," + std::string(extra);
  body += "}";
  return openai::parse_chat_request(json::parse(body));
}

// The content of the user message a stdin line carries.
json::value content_of(const std::string& line) {
  EXPECT_THAT(line, EndsWith("\n"));
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line";
  const auto parsed = json::parse(line).as_object();
  EXPECT_EQ(parsed.at("type"), "user");
  EXPECT_EQ(parsed.at("message").at("role"), "user");
  return parsed.at("message").at("content");
}

std::string text_content(const CliTurn& turn) {
  return std::string(content_of(turn.line).as_string());
}

const ToolNames kTools({"get_weather", "time.now"});

TEST(GatewayCliInputTest, UserTurnLineIsTheShapeTheCliReads) {
  EXPECT_EQ(user_turn_line(json::value("say hi")),
            "{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":\"say hi\"}}\n");
}

TEST(GatewayCliInputTest, PlainFirstTurnIsJustTheUserText) {
  const auto turn = cli_turn(
      request(R"([{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}])"),
      kTools);
  EXPECT_EQ(turn.line, user_turn_line(json::value("hi")));
  EXPECT_TRUE(turn.offer_tools);
}

TEST(GatewayCliInputTest, ImagesBecomeImageBlocks) {
  const auto turn = cli_turn(request(R"([{"role":"user","content":[
      {"type":"text","text":"Compare these."},
      {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},
      {"type":"image_url","image_url":{"url":"https://example.com/b.jpg"}}]}])"),
                             kTools);
  EXPECT_EQ(content_of(turn.line), json::parse(R"([
      {"type":"text","text":"Compare these."},
      {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},
      {"type":"image","source":{"type":"url","url":"https://example.com/b.jpg"}}])"));
}

TEST(GatewayCliInputTest, ImageUrlsTheCliCannotTakeAreSaidInText) {
  EXPECT_FALSE(image_block("data:image/svg+xml,%3Csvg%3E").has_value());
  EXPECT_FALSE(image_block("ftp://example.com/a.png").has_value());
  EXPECT_EQ(
      json::value(*image_block("data:image/jpeg;charset=x;base64,AAAA")),
      json::parse(
          R"({"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"AAAA"}})"));
  const auto turn = cli_turn(
      request(
          R"([{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/svg+xml,%3Csvg%3E"}}]}])"),
      kTools);
  EXPECT_THAT(text_content(turn), HasSubstr("[image not supported: data:image/svg+xml,%3Csvg%3E]"));
}

// Found by fuzz_chat_request: the URL was cut at 40 bytes inside a character, and the CLI's stdin
// line was not UTF-8 (so not JSON).
TEST(GatewayCliInputTest, ALongUrlIsCutShortAtACharacterBoundary) {
  std::string url =
      "data:image/svg+xml,";  // 19 bytes, then 2-byte characters: byte 40 is inside one
  for (int i = 0; i < 30; ++i) url += "\u00e9";
  const auto turn =
      cli_turn(request(R"([{"role":"user","content":[{"type":"image_url","image_url":{"url":")" +
                       url + R"("}}]}])"),
               kTools);
  EXPECT_THAT(text_content(turn),
              HasSubstr("[image not supported: data:image/svg+xml,"
                        "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9…]"));
}

const char* const kToolConversation = R"([
  {"role":"system","content":"You are a travel agent."},
  {"role":"user","content":"Weather in Paris and the time?"},
  {"role":"assistant","content":"Let me check.","tool_calls":[
    {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
    {"id":"call_2","type":"function","function":{"name":"time.now","arguments":"{}"}}]},
  {"role":"tool","tool_call_id":"call_1","content":"sunny"},
  {"role":"tool","tool_call_id":"call_2","content":"12:00"},
  {"role":"assistant","content":"Sunny, and it is noon."},
  {"role":"user","content":"And tomorrow?"}])";

TEST(GatewayCliInputTest, NewSessionGetsTheHistoryAsATranscript) {
  const auto turn = cli_turn(request(kToolConversation), kTools);
  EXPECT_EQ(text_content(turn),
            "<conversation_history>\n"
            "<user>\nWeather in Paris and the time?\n</user>\n"
            "<assistant>\nLet me check.\n"
            "<tool_call id=\"call_1\" "
            "name=\"mcp__gateway__get_weather\">{\"city\":\"Paris\"}</tool_call>\n"
            "<tool_call id=\"call_2\" name=\"mcp__gateway__time_now\">{}</tool_call>\n"
            "</assistant>\n"
            "<tool_result tool_call_id=\"call_1\" "
            "name=\"mcp__gateway__get_weather\">\nsunny\n</tool_result>\n"
            "<tool_result tool_call_id=\"call_2\" "
            "name=\"mcp__gateway__time_now\">\n12:00\n</tool_result>\n"
            "<assistant>\nSunny, and it is noon.\n</assistant>\n"
            "</conversation_history>\n\n"
            "And tomorrow?");
  EXPECT_THAT(text_content(turn), Not(HasSubstr("travel agent"))) << "system is the system prompt";
  EXPECT_EQ(system_prompt(request(kToolConversation)), "You are a travel agent.");
}

TEST(GatewayCliInputTest, LiveSessionGetsOnlyWhatItHasNotSeen) {
  const auto full = request(kToolConversation);
  const auto turn = cli_turn(full, kTools, full.messages.size() - 1);
  EXPECT_EQ(turn.line, user_turn_line(json::value("And tomorrow?")));
}

TEST(GatewayCliInputTest, SystemMessageArrivingLaterIsPassedInTheTranscript) {
  const auto full = request(
      R"([{"role":"user","content":"hi"},{"role":"assistant","content":"hello"},
          {"role":"developer","content":"Answer in French."},{"role":"user","content":"How are you?"}])");
  const auto text = text_content(cli_turn(full, kTools, 2));
  EXPECT_EQ(text,
            "<conversation_history>\n<developer>\nAnswer in French.\n</developer>\n"
            "</conversation_history>\n\nHow are you?");
}

TEST(GatewayCliInputTest, ConsecutiveLatestUserMessagesAreAllSent) {
  const auto text = text_content(
      cli_turn(request(R"([{"role":"user","content":"first"},{"role":"user","content":"second"}])"),
               kTools));
  EXPECT_EQ(text, "first\n\nsecond");
}

TEST(GatewayCliInputTest, HistoryEndingWithToolResultsAsksToContinue) {
  const auto text = text_content(cli_turn(request(R"([{"role":"user","content":"Weather?"},
        {"role":"assistant","tool_calls":[{"id":"call_9","type":"function","function":{"name":"get_weather","arguments":"{}"}}]},
        {"role":"tool","tool_call_id":"call_9","content":"rain"}])"),
                                          kTools));
  EXPECT_THAT(text, StartsWith("<conversation_history>\n"));
  EXPECT_THAT(
      text,
      HasSubstr(
          "<tool_result tool_call_id=\"call_9\" name=\"mcp__gateway__get_weather\">\nrain\n"));
  EXPECT_THAT(text, EndsWith("</conversation_history>\n\nContinue the conversation: reply to the "
                             "latest messages above."));
}

constexpr std::string_view kAskedAndCalled = R"(
  {"role":"user","content":"Weather in Paris and Oslo?"},
  {"role":"assistant","tool_calls":[
    {"id":"call_p","type":"function","function":{"name":"get_weather","arguments":"{}"}},
    {"id":"call_o","type":"function","function":{"name":"get_weather","arguments":"{}"}}]})";

TEST(GatewayCliInputTest, ToolResultsAreTheToolMessagesAfterTheLastAssistantMessage) {
  const auto plain = request(R"([{"role":"user","content":"hi"}])");
  EXPECT_TRUE(tool_results_of(plain).results.empty());

  const auto answered = request("[" + std::string(kAskedAndCalled) + R"(,
    {"role":"tool","tool_call_id":"call_o","content":"snow"},
    {"role":"tool","tool_call_id":"call_p","content":"sun"}])");
  const auto results = tool_results_of(answered);
  ASSERT_EQ(results.results.size(), 2u);
  EXPECT_EQ(results.results[0]->tool_call_id, "call_o");
  EXPECT_EQ(results.results[1]->tool_call_id, "call_p");
  EXPECT_EQ(results.first_added, answered.messages.size()) << "nothing added after them";

  // The conversation went on after an earlier round trip: no results for this request.
  const auto later = request("[" + std::string(kAskedAndCalled) + R"(,
    {"role":"tool","tool_call_id":"call_o","content":"snow"},
    {"role":"tool","tool_call_id":"call_p","content":"sun"},
    {"role":"assistant","content":"Sun in Paris, snow in Oslo."},
    {"role":"user","content":"Thanks!"}])");
  EXPECT_TRUE(tool_results_of(later).results.empty());
}

TEST(GatewayCliInputTest, MessagesAddedAfterTheResultsGoToTheCliAsTheirOwnLine) {
  const auto follow_up = request("[" + std::string(kAskedAndCalled) + R"(,
    {"role":"tool","tool_call_id":"call_p","content":"sun"},
    {"role":"tool","tool_call_id":"call_o","content":"snow"},
    {"role":"user","content":"And tomorrow?"}])");
  const auto results = tool_results_of(follow_up);
  ASSERT_EQ(results.results.size(), 2u);
  EXPECT_EQ(results.first_added, 4u);
  const auto added = cli_turn(follow_up, kTools, results.first_added);
  EXPECT_EQ(added.line, user_turn_line(json::value("And tomorrow?")))
      << "only the new message: the CLI gets the results through the tool calls";
}

TEST(GatewayCliInputTest, ImagesInHistoryStayImages) {
  const auto content = content_of(
      cli_turn(request(R"([{"role":"user","content":[{"type":"text","text":"What is this?"},
        {"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]},
        {"role":"assistant","content":"A cat."},{"role":"user","content":"Its colour?"}])"),
               kTools)
          .line);
  const auto& blocks = content.as_array();
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(blocks[0].at("text"), "<conversation_history>\n<user>\nWhat is this?");
  EXPECT_EQ(blocks[1].at("type"), "image");
  EXPECT_THAT(std::string(blocks[2].at("text").as_string()), EndsWith("\n\nIts colour?"));
}

struct ChoiceCase {
  std::string extra;
  std::string instruction;  // "" = none appended
  bool offer_tools = true;
};

class GatewayToolChoiceTest : public ::testing::TestWithParam<ChoiceCase> {};

TEST_P(GatewayToolChoiceTest, BecomesAnInstruction) {
  const std::string tools =
      R"("tools":[{"type":"function","function":{"name":"get_weather"}},{"type":"function","function":{"name":"time.now"}}])";
  const std::string extra = GetParam().extra.empty() ? tools : tools + "," + GetParam().extra;
  const auto turn = cli_turn(request(R"([{"role":"user","content":"Weather?"}])", extra), kTools);
  EXPECT_EQ(turn.offer_tools, GetParam().offer_tools);
  if (GetParam().instruction.empty()) {
    EXPECT_EQ(text_content(turn), "Weather?");
  } else {
    EXPECT_EQ(text_content(turn), "Weather?\n\n" + GetParam().instruction);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Choices, GatewayToolChoiceTest,
    ::testing::Values(
        ChoiceCase{R"("tool_choice":"auto")", "", true},
        ChoiceCase{R"("tool_choice":"none")",
                   "Do not call any tools for this reply; answer directly.", false},
        ChoiceCase{R"("tool_choice":"required")", "You must call one of the provided tools.", true},
        ChoiceCase{R"("tool_choice":{"type":"function","function":{"name":"time.now"}})",
                   "You must call the tool mcp__gateway__time_now before answering.", true},
        ChoiceCase{R"("parallel_tool_calls":false)", "Call at most one tool per message.", true},
        ChoiceCase{R"("tool_choice":"required","parallel_tool_calls":false)",
                   "You must call one of the provided tools.\n\nCall at most one tool per message.",
                   true}));

TEST(GatewayCliInputTest, NoToolsNoInstructions) {
  const auto turn = cli_turn(request(R"([{"role":"user","content":"hi"}])",
                                     R"("tool_choice":"required","parallel_tool_calls":false)"),
                             ToolNames());
  EXPECT_EQ(text_content(turn), "hi");
}

TEST(GatewayCliInputTest, RunSettings) {
  const auto settings = run_settings(request(
      R"([{"role":"system","content":"One."},{"role":"developer","content":"Two."},{"role":"user","content":"x"}])",
      R"("reasoning_effort":"minimal","stop":["END"],"max_completion_tokens":64,"user":"u-1")"));
  EXPECT_EQ(settings.system_prompt, "One.\n\nTwo.");
  EXPECT_EQ(settings.effort, "low");
  EXPECT_THAT(settings.stop, ::testing::ElementsAre("END"));
  EXPECT_EQ(settings.max_tokens, 64);
  EXPECT_EQ(settings.user, "u-1");

  EXPECT_EQ(effort_for("medium"), "medium");
  EXPECT_EQ(effort_for("high"), "high");
  EXPECT_EQ(effort_for("xhigh"), "high");
  EXPECT_FALSE(effort_for("turbo").has_value());
  EXPECT_FALSE(run_settings(request(R"([{"role":"user","content":"x"}])")).effort.has_value());
}

}  // namespace
}  // namespace ccgate::translate
