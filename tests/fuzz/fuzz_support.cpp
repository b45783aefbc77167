#include "fuzz_support.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace ccgate::fuzz {

namespace {

const json::object& object_field(const json::object& object, std::string_view key,
                                 std::string_view what) {
  const auto* value = object.if_contains(key);
  require(value != nullptr && value->is_object(), what, json::serialize(object));
  return value->get_object();
}

std::string_view string_field(const json::object& object, std::string_view key,
                              std::string_view what) {
  const auto* value = object.if_contains(key);
  require(value != nullptr && value->is_string(), what, json::serialize(object));
  return value->get_string();
}

std::int64_t index_field(const json::object& object, std::string_view what) {
  const auto* value = object.if_contains("index");
  require(value != nullptr && value->is_int64(), what, json::serialize(object));
  return value->get_int64();
}

bool one_of(std::string_view value, std::initializer_list<std::string_view> allowed) {
  return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

void check_usage(const json::object& usage, bool message_start) {
  for (const char* key : {"input_tokens", "output_tokens", "cache_read_input_tokens",
                          "cache_creation_input_tokens"}) {
    const auto* count = usage.if_contains(key);
    require(count != nullptr && count->is_int64() && count->get_int64() >= 0,
            "usage counts are integers ≥ 0", json::serialize(usage));
  }
  if (message_start) {
    require(usage.at("output_tokens").get_int64() == 0, "message_start reports no output yet");
  }
}

void check_message_start(const json::object& event) {
  const auto& message = object_field(event, "message", "message_start carries a message");
  require(string_field(message, "type", "message.type is a string") == "message",
          "message.type is \"message\"");
  require(string_field(message, "role", "message.role is a string") == "assistant",
          "message.role is \"assistant\"");
  require(!string_field(message, "id", "message.id is a string").empty(), "message.id is set");
  string_field(message, "model", "message.model is a string");
  const auto* content = message.if_contains("content");
  require(content != nullptr && content->is_array() && content->get_array().empty(),
          "message_start's content is an empty array");
  check_usage(object_field(message, "usage", "message_start carries usage"), true);
}

enum class Block { none, text, thinking, tool_use };

Block start_block(const json::object& event) {
  const auto& block = object_field(event, "content_block", "content_block_start has a block");
  const auto type = string_field(block, "type", "content_block.type is a string");
  if (type == "text") {
    require(string_field(block, "text", "text block has text").empty(), "text block starts empty");
    return Block::text;
  }
  if (type == "thinking") {
    string_field(block, "thinking", "thinking block has thinking");
    string_field(block, "signature", "thinking block has a signature field");
    return Block::thinking;
  }
  require(type == "tool_use", "content blocks are text, thinking or tool_use", type);
  require(!string_field(block, "id", "tool_use has an id").empty(), "tool_use id is not empty");
  require(!string_field(block, "name", "tool_use has a name").empty(),
          "tool_use name is not empty");
  const auto& input = object_field(block, "input", "tool_use starts with an input object");
  require(input.empty(), "tool_use input starts empty (it arrives as input_json_delta)");
  return Block::tool_use;
}

void check_delta(Block open, const json::object& event, AnthropicStreamSummary& summary) {
  const auto& delta = object_field(event, "delta", "content_block_delta has a delta");
  const auto type = string_field(delta, "type", "delta.type is a string");
  switch (open) {
    case Block::text:
      require(type == "text_delta", "a text block gets text_delta", type);
      summary.text.append(string_field(delta, "text", "text_delta has text"));
      break;
    case Block::thinking:
      require(type == "thinking_delta" || type == "signature_delta",
              "a thinking block gets thinking_delta or signature_delta", type);
      if (type == "thinking_delta") {
        summary.thinking.append(string_field(delta, "thinking", "thinking_delta has thinking"));
      } else {
        string_field(delta, "signature", "signature_delta has a signature");
      }
      break;
    case Block::tool_use:
      require(type == "input_json_delta", "a tool_use block gets input_json_delta", type);
      string_field(delta, "partial_json", "input_json_delta has partial_json");
      break;
    case Block::none:
      violated("a delta arrives inside an open block");
  }
}

}  // namespace

bool nearly_equal(const json::value& a, const json::value& b) {
  if (a.is_double() && b.is_double()) {
    const double x = a.get_double();
    const double y = b.get_double();
    return x == y || std::abs(x - y) <= 1e-12 * std::max(std::abs(x), std::abs(y));
  }
  if (a.kind() != b.kind()) return false;
  if (const auto* array = a.if_array()) {
    const auto& other = b.get_array();
    if (array->size() != other.size()) return false;
    for (std::size_t i = 0; i < array->size(); ++i) {
      if (!nearly_equal((*array)[i], other[i])) return false;
    }
    return true;
  }
  if (const auto* object = a.if_object()) {
    const auto& other = b.get_object();
    if (object->size() != other.size()) return false;
    for (const auto& [key, item] : *object) {
      const auto* match = other.if_contains(key);
      if (match == nullptr || !nearly_equal(item, *match)) return false;
    }
    return true;
  }
  return a == b;
}

AnthropicStreamSummary check_anthropic_stream(std::string_view sse) {
  AnthropicStreamSummary summary;
  bool started = false;
  bool message_delta_seen = false;
  bool ended = false;
  Block open = Block::none;
  std::int64_t open_index = -1;
  std::int64_t next_index = 0;

  for (const auto& event : read_sse(sse)) {
    require(!ended, "no event follows message_stop or error", sse);
    require(!event.event.empty(), "every Anthropic event is named", sse);
    const auto data = parse_json(event.data, 100000);
    require(data && data->is_object(), "every event's data is a JSON object", event.data);
    require(json::serialize(*data) == event.data, "event data is compact JSON, as serialized",
            event.data);
    const auto& object = data->get_object();
    const auto type = string_field(object, "type", "every event's data has a type");
    require(type == event.event, "the event name is the data's type", event.data);

    if (type == "ping") continue;
    if (type == "error") {
      const auto& error = object_field(object, "error", "an error event carries an error");
      string_field(error, "type", "error.type is a string");
      string_field(error, "message", "error.message is a string");
      ended = true;
      summary.ended_with_error = true;
      continue;
    }
    if (!started) {
      require(type == "message_start", "the stream starts with message_start", sse);
      check_message_start(object);
      started = true;
      continue;
    }
    require(!message_delta_seen || type == "message_stop", "message_stop follows message_delta",
            sse);
    if (type == "content_block_start") {
      require(open == Block::none, "a block starts only after the previous one stopped", sse);
      require(index_field(object, "block index is an integer") == next_index,
              "blocks are indexed 0, 1, 2 …", sse);
      open = start_block(object);
      if (open == Block::tool_use) ++summary.tool_use_blocks;
      open_index = next_index++;
    } else if (type == "content_block_delta") {
      require(open != Block::none, "a delta arrives inside an open block", sse);
      require(index_field(object, "delta index is an integer") == open_index,
              "a delta names the open block", sse);
      check_delta(open, object, summary);
    } else if (type == "content_block_stop") {
      require(open != Block::none, "content_block_stop closes an open block", sse);
      require(index_field(object, "stop index is an integer") == open_index,
              "content_block_stop names the open block", sse);
      open = Block::none;
    } else if (type == "message_delta") {
      require(open == Block::none, "message_delta comes after the last block stopped", sse);
      const auto& delta = object_field(object, "delta", "message_delta carries a delta");
      summary.stop_reason = string_field(delta, "stop_reason", "stop_reason is a string");
      require(one_of(summary.stop_reason, {"end_turn", "max_tokens", "stop_sequence", "tool_use",
                                           "refusal", "pause_turn"}),
              "stop_reason is one Anthropic defines", summary.stop_reason);
      const auto* sequence = delta.if_contains("stop_sequence");
      require(sequence != nullptr && (sequence->is_null() || sequence->is_string()),
              "stop_sequence is null or a string");
      require(sequence->is_string() == (summary.stop_reason == "stop_sequence"),
              "stop_sequence is set exactly when stop_reason is stop_sequence", sse);
      check_usage(object_field(object, "usage", "message_delta carries usage"), false);
      message_delta_seen = true;
    } else if (type == "message_stop") {
      require(message_delta_seen, "message_stop follows message_delta", sse);
      ended = true;
    } else {
      violated("only Anthropic's event types are sent", type);
    }
  }
  require(ended, "every stream ends with message_stop or an error event", sse);
  if (!summary.ended_with_error) {
    require((summary.stop_reason == "tool_use") ==
                (summary.tool_use_blocks > 0 && summary.stop_reason != "max_tokens"),
            "stop_reason is tool_use exactly when a tool_use block was sent (max_tokens aside)",
            sse);
  }
  return summary;
}

std::string check_openai_stream(std::string_view sse) {
  std::string content;
  bool done = false;
  bool finished = false;  // a finish_reason arrived
  bool errored = false;
  std::size_t tool_calls = 0;
  for (const auto& event : read_sse(sse)) {
    require(!done, "nothing follows data: [DONE]", sse);
    require(event.event.empty(), "OpenAI streams carry data events only", sse);
    if (event.data == "[DONE]") {
      done = true;
      continue;
    }
    require(!errored, "an error event is followed only by [DONE]", sse);
    const auto data = parse_json(event.data, 100000);
    require(data && data->is_object(), "every data event is a JSON object", event.data);
    const auto& object = data->get_object();
    if (const auto* error = object.if_contains("error")) {
      require(error->is_object(), "an error event carries an error object", event.data);
      string_field(error->get_object(), "message", "error.message is a string");
      string_field(error->get_object(), "type", "error.type is a string");
      errored = true;
      continue;
    }
    require(string_field(object, "object", "chunk.object is a string") == "chat.completion.chunk",
            "chunks are chat.completion.chunk", event.data);
    require(!string_field(object, "id", "chunk.id is a string").empty(), "chunk.id is set");
    const auto* choices = object.if_contains("choices");
    require(choices != nullptr && choices->is_array() && choices->get_array().size() <= 1,
            "a chunk has at most one choice", event.data);
    if (choices->get_array().empty()) {
      require(finished, "the usage chunk comes after the finish_reason", sse);
      object_field(object, "usage", "a chunk without choices is the usage chunk");
      continue;
    }
    require(!finished, "no content follows the finish_reason", sse);
    const auto& choice = choices->get_array().front();
    require(choice.is_object(), "a choice is an object", event.data);
    const auto& delta = object_field(choice.get_object(), "delta", "a choice carries a delta");
    const auto* reason = choice.get_object().if_contains("finish_reason");
    require(reason != nullptr && (reason->is_null() || reason->is_string()),
            "finish_reason is null or a string", event.data);
    if (reason->is_string()) {
      require(one_of(reason->get_string(), {"stop", "length", "tool_calls"}),
              "finish_reason is stop, length or tool_calls", event.data);
      require(reason->get_string() != "tool_calls" || tool_calls > 0,
              "finish_reason is tool_calls only when tool calls were sent", sse);
      finished = true;
    }
    if (const auto* text = delta.if_contains("content")) {
      require(text->is_string(), "delta.content is a string", event.data);
      content.append(text->get_string());
    }
    if (const auto* calls = delta.if_contains("tool_calls")) {
      require(calls->is_array(), "delta.tool_calls is an array", event.data);
      for (const auto& call : calls->get_array()) {
        require(call.is_object(), "a tool-call delta is an object", event.data);
        const auto index = index_field(call.get_object(), "a tool-call delta has an index");
        require(index >= 0 && static_cast<std::size_t>(index) <= tool_calls,
                "tool calls are indexed 0, 1, 2 … in order", sse);
        if (static_cast<std::size_t>(index) == tool_calls) {
          ++tool_calls;
          string_field(call.get_object(), "id", "a new tool call has an id");
          const auto& function =
              object_field(call.get_object(), "function", "a new tool call has a function");
          require(!string_field(function, "name", "a new tool call has a name").empty(),
                  "a new tool call's name is not empty", event.data);
        }
      }
    }
  }
  require(done, "every stream ends with data: [DONE]", sse);
  require(finished || errored, "a stream ends with a finish_reason or an error", sse);
  return content;
}

}  // namespace ccgate::fuzz
