#include "mock/anthropic_protocol.hpp"

#include <fmt/format.h>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <iterator>

namespace ccgate::bench::anthropic {
namespace {

constexpr std::string_view kBlockStart =
    "event: content_block_start\n"
    R"(data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})"
    "\n\n";
constexpr std::string_view kDeltaOpening =
    "event: content_block_delta\n"
    R"(data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":")";
constexpr std::string_view kDeltaClosing = "\"}}\n\n";
constexpr std::string_view kBlockStop =
    "event: content_block_stop\n"
    R"(data: {"type":"content_block_stop","index":0})"
    "\n\n";
constexpr std::string_view kMessageStop =
    "event: message_stop\n"
    R"(data: {"type":"message_stop"})"
    "\n\n";

}  // namespace

std::string error_body(std::string_view message) {
  const boost::json::string text(message);
  return fmt::format(R"({{"type":"error","error":{{"type":"api_error","message":{}}}}})",
                     boost::json::serialize(text));
}

std::string message_body(const Answer& answer) {
  std::string body;
  body.reserve(answer.text_bytes + 320);
  fmt::format_to(std::back_inserter(body),
                 R"({{"id":"msg_mock_{}","type":"message","role":"assistant","model":"mock",)"
                 R"("content":[{{"type":"text","text":")",
                 answer.id);
  body.append(answer.text_bytes, 'x');
  fmt::format_to(std::back_inserter(body),
                 R"("}}],"stop_reason":"end_turn","stop_sequence":null,"usage":{{)"
                 R"("input_tokens":{},"cache_creation_input_tokens":0,"cache_read_input_tokens":0,)"
                 R"("output_tokens":{}}}}})",
                 answer.prompt_tokens, answer.completion_tokens);
  return body;
}

std::string count_tokens_body(std::size_t request_bytes) {
  return fmt::format(R"({{"input_tokens":{}}})", request_bytes / 4);
}

EventStream::EventStream(const Answer& answer) : answer_(answer) {
  event_.reserve(kDeltaOpening.size() + answer.text_bytes + kDeltaClosing.size() + 320);
}

std::string_view EventStream::opening(std::size_t index) {
  if (index != 0) return kBlockStart;
  event_.assign("event: message_start\n");
  fmt::format_to(
      std::back_inserter(event_),
      R"(data: {{"type":"message_start","message":{{"id":"msg_mock_{}","type":"message",)"
      R"("role":"assistant","model":"mock","content":[],"stop_reason":null,)"
      R"("stop_sequence":null,"usage":{{"input_tokens":{},)"
      R"("cache_creation_input_tokens":0,"cache_read_input_tokens":0,)"
      R"("output_tokens":1}}}}}})"
      "\n\n",
      answer_.id, answer_.prompt_tokens);
  return event_;
}

std::string_view EventStream::delta(std::uint64_t index) {
  event_.assign(kDeltaOpening);
  append_delta_text(event_, index, answer_.text_bytes);
  event_.append(kDeltaClosing);
  return event_;
}

std::string_view EventStream::closing(std::size_t index) {
  if (index == 0) return kBlockStop;
  if (index == 2) return kMessageStop;
  event_.assign("event: message_delta\n");
  fmt::format_to(std::back_inserter(event_),
                 R"(data: {{"type":"message_delta","delta":{{"stop_reason":"end_turn",)"
                 R"("stop_sequence":null}},"usage":{{"output_tokens":{}}}}})"
                 "\n\n",
                 answer_.completion_tokens);
  return event_;
}

}  // namespace ccgate::bench::anthropic
