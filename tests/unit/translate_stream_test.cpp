#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "translate/stream.hpp"
#include "translate_test_support.hpp"

namespace ccgate::translate {
namespace {

namespace json = boost::json;

using ::testing::ElementsAre;
using testing::Event;
using ::testing::HasSubstr;
using testing::parse_events;
using testing::parse_json;
using testing::parse_object;

ResponseContext context(std::vector<std::string> stop_sequences = {}) {
  return ResponseContext{.client_model = "claude-sonnet-4-5",
                         .stop_sequences = std::move(stop_sequences),
                         .make_id = testing::sequential_ids()};
}

json::object chunk_with_delta(std::string_view delta, std::string_view finish_reason = "null") {
  return parse_object(
      R"({"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":)" +
      std::string(delta) + R"(,"finish_reason":)" + std::string(finish_reason) + "}]}");
}

json::object tool_chunk(std::string_view fragment) {
  return chunk_with_delta(R"({"tool_calls":[)" + std::string(fragment) + "]}");
}

// Runs chunks through a started translator and finishes it; returns the wire bytes.
std::string run(const std::vector<json::object>& chunks, ResponseContext ctx = context()) {
  StreamTranslator translator(std::move(ctx));
  std::string out;
  translator.start(out);
  for (const auto& chunk : chunks) translator.on_chunk(chunk, out);
  translator.finish(out);
  return out;
}

std::vector<std::string> names(const std::vector<Event>& events) {
  std::vector<std::string> result;
  for (const auto& event : events) result.push_back(event.name);
  return result;
}

std::vector<std::string> block_events(const std::vector<Event>& events) {
  std::vector<std::string> result;
  for (const auto& event : events) {
    if (event.name == "content_block_start") {
      result.push_back("start " + std::to_string(event.data.at("index").as_int64()) + " " +
                       std::string(event.data.at("content_block").at("type").as_string()));
    } else if (event.name == "content_block_delta") {
      const auto& delta = event.data.at("delta").as_object();
      std::string payload;
      for (const char* key : {"text", "thinking", "partial_json", "signature"}) {
        if (delta.contains(key)) payload = delta.at(key).as_string();
      }
      result.push_back("delta " + std::to_string(event.data.at("index").as_int64()) + " " +
                       std::string(delta.at("type").as_string()) + " " + payload);
    } else if (event.name == "content_block_stop") {
      result.push_back("stop " + std::to_string(event.data.at("index").as_int64()));
    }
  }
  return result;
}

const json::object& message_delta(const std::vector<Event>& events) {
  return events.at(events.size() - 2).data;
}

TEST(Stream, TextStreamIsExactlyWhatAnthropicSends) {
  const std::string out =
      run({chunk_with_delta(R"({"role":"assistant","content":""})"),
           chunk_with_delta(R"({"content":"Hi"})"), chunk_with_delta("{}", R"("stop")"),
           parse_object(R"({"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2}})")});
  EXPECT_EQ(
      out,
      "event: message_start\n"
      R"(data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant",)"
      R"("model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,)"
      R"("usage":{"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0}}})"
      "\n\n"
      "event: content_block_start\n"
      R"(data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})"
      "\n\n"
      "event: content_block_delta\n"
      R"(data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}})"
      "\n\n"
      "event: content_block_stop\n"
      R"(data: {"type":"content_block_stop","index":0})"
      "\n\n"
      "event: message_delta\n"
      R"(data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},)"
      R"("usage":{"input_tokens":9,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":2}})"
      "\n\n"
      "event: message_stop\n"
      R"(data: {"type":"message_stop"})"
      "\n\n");
}

TEST(Stream, EmptyContentOpensNoBlock) {
  const auto events = parse_events(run({chunk_with_delta(R"({"role":"assistant","content":""})"),
                                        chunk_with_delta(R"({"content":null})", R"("stop")")}));
  EXPECT_THAT(names(events), ElementsAre("message_start", "message_delta", "message_stop"));
}

TEST(Stream, ThinkingIsSignedAndClosedBeforeText) {
  const auto events = parse_events(run({chunk_with_delta(R"({"reasoning_content":"Let me"})"),
                                        chunk_with_delta(R"({"reasoning_content":" think"})"),
                                        chunk_with_delta(R"({"content":"Answer"})", R"("stop")")}));
  const auto blocks = block_events(events);
  ASSERT_EQ(blocks.size(), 8u);
  EXPECT_EQ(blocks[0], "start 0 thinking");
  EXPECT_EQ(blocks[1], "delta 0 thinking_delta Let me");
  EXPECT_EQ(blocks[2], "delta 0 thinking_delta  think");
  // Claude Code keeps only a signed block; ccgate's mark lets it know the block when it returns.
  EXPECT_EQ(blocks[3], "delta 0 signature_delta ccgate:reasoning_content");
  EXPECT_EQ(blocks[4], "stop 0");
  EXPECT_EQ(blocks[5], "start 1 text");
  EXPECT_EQ(blocks[6], "delta 1 text_delta Answer");
  EXPECT_EQ(blocks[7], "stop 1");
  EXPECT_EQ(events[1].data.at("content_block"),
            parse_json(R"({"type":"thinking","thinking":"","signature":""})"));
}

TEST(Stream, ToolArgumentsAreForwardedFragmentByFragment) {
  StreamTranslator translator(context());
  std::string out;
  translator.start(out);
  translator.on_chunk(
      tool_chunk(
          R"({"index":0,"id":"call_1","type":"function","function":{"name":"Write","arguments":""}})"),
      out);
  translator.on_chunk(tool_chunk(R"({"index":0,"function":{"arguments":"{\"content\":\"lo"}})"),
                      out);
  // Not valid JSON yet, and already on the wire.
  EXPECT_THAT(out, HasSubstr(R"({"type":"input_json_delta","partial_json":"{\"content\":\"lo"})"));
  EXPECT_THAT(
      out,
      HasSubstr(R"("content_block":{"type":"tool_use","id":"call_1","name":"Write","input":{}})"));
}

TEST(Stream, FragmentsBeforeTheNameAreFlushedRightAfterTheStart) {
  const auto events = parse_events(
      run({tool_chunk(R"({"index":0,"id":"call_9","function":{"arguments":"{\"a\""}})"),
           tool_chunk(R"({"index":0,"function":{"arguments":":"}})"),
           tool_chunk(R"({"index":0,"function":{"name":"T"}})"),
           tool_chunk(R"({"index":0,"function":{"arguments":"1}"}})"),
           chunk_with_delta("{}", R"("tool_calls")")}));
  EXPECT_THAT(block_events(events),
              ElementsAre("start 0 tool_use", "delta 0 input_json_delta {\"a\":",
                          "delta 0 input_json_delta 1}", "stop 0"));
  EXPECT_EQ(events[1].data.at("content_block").at("id"), "call_9");
  EXPECT_EQ(message_delta(events).at("delta").at("stop_reason"), "tool_use");
}

TEST(Stream, MissingIdsAreGenerated) {
  const auto events =
      parse_events(run({tool_chunk(R"({"index":0,"function":{"name":"A","arguments":"{}"}})"),
                        tool_chunk(R"({"index":1,"function":{"name":"B","arguments":"{}"}})")}));
  EXPECT_EQ(events[1].data.at("content_block").at("id"), "toolu_2");  // msg_1 came first
  EXPECT_EQ(events[4].data.at("content_block").at("id"), "toolu_3");
}

TEST(Stream, WithoutIndexOrIdAFragmentContinuesTheLatestCall) {
  const auto events =
      parse_events(run({tool_chunk(R"({"id":"a","function":{"name":"A","arguments":"{\"x\":"}})"),
                        tool_chunk(R"({"function":{"arguments":"1}"}})"),
                        tool_chunk(R"({"id":"b","function":{"name":"B","arguments":"{}"}})"),
                        tool_chunk(R"({"id":"b","function":{"arguments":""}})")}));
  EXPECT_THAT(block_events(events),
              ElementsAre("start 0 tool_use",
                          "delta 0 input_json_delta {\"x\":", "delta 0 input_json_delta 1}",
                          "stop 0", "start 1 tool_use", "delta 1 input_json_delta {}", "stop 1"));
}

TEST(Stream, ANewIdUnderAKnownIndexIsANewCall) {
  const auto events = parse_events(
      run({tool_chunk(R"({"index":0,"id":"a","function":{"name":"A","arguments":"{}"}})"),
           tool_chunk(R"({"index":0,"id":"b","function":{"name":"B","arguments":"{}"}})")}));
  EXPECT_THAT(block_events(events),
              ElementsAre("start 0 tool_use", "delta 0 input_json_delta {}", "stop 0",
                          "start 1 tool_use", "delta 1 input_json_delta {}", "stop 1"));
}

TEST(Stream, FragmentsOfAClosedCallAreDropped) {
  const auto events = parse_events(
      run({tool_chunk(R"({"index":0,"id":"a","function":{"name":"A","arguments":"{"}})"),
           tool_chunk(R"({"index":1,"id":"b","function":{"name":"B","arguments":"{}"}})"),
           tool_chunk(R"({"index":0,"function":{"arguments":"}"}})")}));
  EXPECT_THAT(block_events(events),
              ElementsAre("start 0 tool_use", "delta 0 input_json_delta {", "stop 0",
                          "start 1 tool_use", "delta 1 input_json_delta {}", "stop 1"));
}

TEST(Stream, TextAfterAToolCallOpensANewBlock) {
  const auto events = parse_events(
      run({chunk_with_delta(R"({"content":"a"})"),
           tool_chunk(R"({"index":0,"id":"t","function":{"name":"A","arguments":"{}"}})"),
           chunk_with_delta(R"({"content":"b"})")}));
  EXPECT_THAT(block_events(events),
              ElementsAre("start 0 text", "delta 0 text_delta a", "stop 0", "start 1 tool_use",
                          "delta 1 input_json_delta {}", "stop 1", "start 2 text",
                          "delta 2 text_delta b", "stop 2"));
}

TEST(Stream, ACallThatNeverNamesItsFunctionOpensNoBlock) {
  const auto events =
      parse_events(run({tool_chunk(R"({"index":0,"id":"t","function":{"arguments":"{}"}})")}));
  EXPECT_THAT(names(events), ElementsAre("message_start", "message_delta", "message_stop"));
  EXPECT_EQ(message_delta(events).at("delta").at("stop_reason"), "end_turn");
}

struct FinishCase {
  std::string finish_reason;
  bool with_tool;
  std::string stop_reason;
};

[[maybe_unused]] void PrintTo(const FinishCase& c, std::ostream* os) {
  *os << c.finish_reason;
}

class StreamFinishTest : public ::testing::TestWithParam<FinishCase> {};

TEST_P(StreamFinishTest, StopReason) {
  std::vector<json::object> chunks{chunk_with_delta(R"({"content":"x"})")};
  if (GetParam().with_tool) {
    chunks.push_back(
        tool_chunk(R"({"index":0,"id":"t","function":{"name":"A","arguments":"{}"}})"));
  }
  chunks.push_back(chunk_with_delta("{}", GetParam().finish_reason));
  const auto events = parse_events(run(chunks));
  EXPECT_EQ(message_delta(events).at("delta").at("stop_reason"),
            json::value(GetParam().stop_reason));
}

INSTANTIATE_TEST_SUITE_P(Reasons, StreamFinishTest,
                         ::testing::Values(FinishCase{R"("stop")", false, "end_turn"},
                                           FinishCase{R"("length")", false, "max_tokens"},
                                           FinishCase{R"("content_filter")", false, "refusal"},
                                           FinishCase{R"("tool_calls")", true, "tool_use"},
                                           FinishCase{R"("stop")", true,
                                                      "tool_use"},  // Ollama says "stop"
                                           FinishCase{R"("length")", true, "max_tokens"},
                                           FinishCase{"null", false, "end_turn"}));

// Found by fuzz_openai_stream: a call that never names its function opens no tool_use block;
// the stream said stop_reason tool_use anyway, with no tool for Claude Code to run.
TEST(Stream, ToolCallsWithoutAUsableCallEndTheTurn) {
  const auto events =
      parse_events(run({tool_chunk(R"({"index":0,"id":"t","function":{"arguments":"{}"}})"),
                        chunk_with_delta("{}", R"("tool_calls")")}));
  EXPECT_TRUE(block_events(events).empty());
  EXPECT_EQ(message_delta(events).at("delta").at("stop_reason"), "end_turn");
}

TEST(Stream, StopSequenceFromTheFinalChoice) {
  const auto events = parse_events(run(
      {chunk_with_delta(R"({"content":"1, 2"})"),
       parse_object(
           R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop","stop_reason":"END"}]})")},
      context({"END"})));
  EXPECT_EQ(json::value(message_delta(events).at("delta")),
            parse_json(R"({"stop_reason":"stop_sequence","stop_sequence":"END"})"));
}

TEST(Stream, UsageIsTakenWhenPresentAndNullNeverErasesIt) {
  StreamTranslator translator(context());
  std::string out;
  translator.start(out);
  translator.on_chunk(
      parse_object(R"({"choices":[],"usage":{"prompt_tokens":50,"completion_tokens":5,
      "prompt_tokens_details":{"cached_tokens":20}}})"),
      out);
  translator.on_chunk(parse_object(R"({"choices":[],"usage":null})"), out);
  EXPECT_TRUE(translator.usage().present);
  translator.finish(out);
  EXPECT_EQ(
      message_delta(parse_events(out)).at("usage"),
      parse_json(
          R"({"input_tokens":30,"cache_creation_input_tokens":0,"cache_read_input_tokens":20,"output_tokens":5})"));
}

TEST(Stream, FinishIsIdempotentAndEndsTheStream) {
  StreamTranslator translator(context());
  std::string out;
  translator.start(out);
  translator.on_chunk(chunk_with_delta(R"({"content":"x"})"), out);
  translator.finish(out);
  EXPECT_TRUE(translator.finished());
  const std::string first = out;
  translator.finish(out);
  translator.on_chunk(chunk_with_delta(R"({"content":"late"})"), out);
  translator.fail("api_error", "late", out);
  EXPECT_EQ(out, first);
}

TEST(Stream, FailEmitsAnErrorEventAndNothingAfter) {
  StreamTranslator translator(context());
  std::string out;
  translator.start(out);
  translator.on_chunk(chunk_with_delta(R"({"content":"partial"})"), out);
  const std::size_t before = out.size();
  translator.fail("overloaded_error", "upstream went away", out);
  EXPECT_EQ(
      out.substr(before),
      "event: error\n"
      R"(data: {"type":"error","error":{"type":"overloaded_error","message":"upstream went away"}})"
      "\n\n");
  const std::string after_fail = out;
  translator.finish(out);
  translator.on_chunk(chunk_with_delta(R"({"content":"more"})"), out);
  EXPECT_EQ(out, after_fail);
  EXPECT_TRUE(translator.finished());
}

TEST(Stream, Ping) {
  std::string out;
  StreamTranslator(context()).ping(out);
  EXPECT_EQ(out, "event: ping\ndata: {\"type\":\"ping\"}\n\n");
}

TEST(Stream, FinishWithoutStartStillSendsAValidStream) {
  StreamTranslator translator(context());
  std::string out;
  translator.finish(out);
  EXPECT_THAT(names(parse_events(out)),
              ElementsAre("message_start", "message_delta", "message_stop"));
}

}  // namespace
}  // namespace ccgate::translate
