#pragma once
// Chat Completions response values as OpenAI sends them: stream chunks ("chat.completion.chunk"
// as SSE "data:" events), the usage chunk, the aggregated "chat.completion", and errors.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "openai/chat_request.hpp"

namespace ccgate::openai {

struct ChatUsage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t cached_tokens = 0;     // prompt_tokens_details.cached_tokens
  std::int64_t reasoning_tokens = 0;  // completion_tokens_details.reasoning_tokens
};

boost::json::object usage_json(const ChatUsage& usage);

// What every chunk and the completion repeat.
struct CompletionHeader {
  std::string id;  // "chatcmpl-…"
  std::string model;
  std::int64_t created = 0;  // Unix seconds
  // With stream_options.include_usage OpenAI puts "usage": null on every chunk but the last.
  bool usage_on_chunks = false;
};

// One choice chunk; an empty finish_reason is sent as null.
boost::json::object chunk(const CompletionHeader& header, boost::json::object delta,
                          std::string_view finish_reason = {});
// The last chunk when include_usage is set: no choices, the usage.
boost::json::object usage_chunk(const CompletionHeader& header, const ChatUsage& usage);

// "data: <json>\n\n"
void append_data(std::string& out, const boost::json::value& value);
inline constexpr std::string_view kDoneEvent = "data: [DONE]\n\n";

struct AssistantReply {
  std::string content;
  std::string reasoning;  // sent as message.reasoning_content when not empty
  std::vector<ToolCall> tool_calls;
};

// The non-streaming "chat.completion"; content is null when the reply is only tool calls.
boost::json::object completion(const CompletionHeader& header, const AssistantReply& reply,
                               std::string_view finish_reason, const ChatUsage& usage);

// The error "type" OpenAI uses for an HTTP status.
std::string_view error_type_for_status(int status);
// {"error":{"message","type","param":null,"code":null}}, as a value (see errors.hpp for text).
boost::json::object error_object(std::string_view message, int status);

}  // namespace ccgate::openai
