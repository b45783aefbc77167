// The gateway door's answer path: the Claude Code CLI's stdout (stream-json, one JSON object per
// line) → the OpenAI Chat Completions stream or completion sent to the client, as
// gateway/door.cpp's run_turn drives translate::CliStreamTranslator. The fuzzer chooses the lines
// and, from the trailer at the end of the input, the request's options (stream, usage, reasoning,
// stop strings, max_tokens).
//
// Properties, besides ASan/UBSan: a streamed answer is a valid OpenAI stream that ends with a
// finish_reason or an error, then data: [DONE] (check_openai_stream); a non-streamed answer is a
// chat.completion (or an error body) whose tool calls are the ones the translator reports.

#include "translate/cli_stream.hpp"

#include "fuzz_support.hpp"
#include "gateway/init_check.hpp"

namespace {

namespace json = boost::json;
using ccgate::fuzz::require;
using ccgate::translate::CliStreamTranslator;
using ccgate::translate::TurnEnd;

ccgate::translate::CliStreamOptions options_from(FuzzedDataProvider& provider) {
  static const std::vector<std::string> kStopPool{"STOP", "\n\n", "é", "Paris", "}"};
  ccgate::translate::CliStreamOptions options;
  options.id = "chatcmpl-fuzz";
  options.model = "claude-sonnet-4-5";
  options.created = 1700000000;
  options.stream = provider.ConsumeBool();
  options.include_usage = provider.ConsumeBool();
  options.include_reasoning = provider.ConsumeBool();
  const auto stops = provider.ConsumeIntegral<std::uint8_t>();
  for (std::size_t i = 0; i < kStopPool.size(); ++i) {
    if ((stops >> i) & 1U) options.stop.push_back(kStopPool[i]);
  }
  if (provider.ConsumeBool()) {
    options.max_tokens = provider.ConsumeIntegralInRange<std::int64_t>(-1, 300);
  }
  options.tools = ccgate::translate::ToolNames(
      std::vector<std::string>{"get_weather", "delete_files", "weather.get", "Read"});
  return options;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider provider(data, size);
  auto options = options_from(provider);
  const bool stream = options.stream;
  CliStreamTranslator translator(std::move(options));
  const std::string lines = provider.ConsumeRemainingBytesAsString();

  std::string out;
  std::optional<TurnEnd> end;
  std::string_view rest = lines;
  while (!end && !rest.empty()) {
    const auto newline = rest.find('\n');
    const std::string_view line = rest.substr(0, newline);
    rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
    // The door parses each line with Boost.JSON's defaults and skips what is not an object.
    const auto parsed = ccgate::fuzz::parse_json(line, 32);
    if (!parsed || !parsed->is_object()) continue;
    if (ccgate::gateway::is_init_line(parsed->get_object())) continue;
    end = translator.on_line(parsed->get_object(), out);
  }
  if (!end) end = translator.end_without_result("Claude Code exited in the middle of the turn");
  if (end->kind == TurnEnd::Kind::error) {
    require(end->status >= 400 && end->status <= 599, "an error end carries an HTTP error status");
    require(!end->message.empty(), "an error end says what happened");
  }
  if (end->kind == TurnEnd::Kind::tool_calls) {
    require(!translator.tool_calls().empty(), "a tool_calls end has tool calls");
  }

  const json::object completion = translator.completion(*end);
  ccgate::fuzz::serialize_checked(completion, "the completion");
  if (end->kind == TurnEnd::Kind::error) {
    require(completion.contains("error"), "an error end answers with an error body");
  } else {
    const auto& choices = completion.at("choices").as_array();
    require(choices.size() == 1, "a completion has one choice");
    const auto& message = choices.front().as_object().at("message").as_object();
    const auto* calls = message.if_contains("tool_calls");
    const std::size_t call_count = calls == nullptr ? 0 : calls->as_array().size();
    require(call_count == translator.tool_calls().size(), "the completion carries every tool call");
  }

  translator.finish(*end, out);
  if (stream) {
    require(ccgate::fuzz::check_openai_stream(out) == translator.content(),
            "the streamed content is the content the gateway remembers");
  } else {
    require(out.empty(), "nothing is streamed for a non-streaming request");
  }
  return 0;
}
