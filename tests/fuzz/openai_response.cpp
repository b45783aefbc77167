// The proxy door's non-streaming path: an OpenAI-compatible provider's chat.completion body →
// the Anthropic Message sent to the client (translate::to_anthropic_message); and the same
// bytes as an error answer, whose message the client gets in an Anthropic error body.
//
// Properties, besides ASan/UBSan: the only exception is InvalidUpstreamResponse (a 502); the
// message is JSON in the shape the Anthropic SDKs read (each block of a known type with its
// fields, a stop_reason Anthropic defines, usage counts ≥ 0); stop_reason is tool_use exactly
// when the content has a tool_use block (max_tokens aside), and stop_sequence is set exactly when
// stop_reason is stop_sequence.

#include <algorithm>

#include "anthropic/errors.hpp"
#include "fuzz_support.hpp"
#include "openai/errors.hpp"
#include "translate/response.hpp"

namespace {

namespace json = boost::json;
using ccgate::fuzz::require;

const std::vector<std::string> kStopSequences{"STOP", "</answer>", "\n\nHuman:"};

bool is_string_field(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_string();
}

std::size_t check_blocks(const json::array& content) {
  std::size_t tool_uses = 0;
  for (const auto& item : content) {
    require(item.is_object(), "content blocks are objects");
    const auto& block = item.get_object();
    require(is_string_field(block, "type"), "a block has a type", json::serialize(block));
    const auto type = block.at("type").get_string();
    if (type == "text") {
      require(is_string_field(block, "text") && !block.at("text").get_string().empty(),
              "a text block has text", json::serialize(block));
    } else if (type == "thinking") {
      require(is_string_field(block, "thinking") && is_string_field(block, "signature"),
              "a thinking block has thinking and a signature", json::serialize(block));
    } else {
      require(type == "tool_use", "blocks are text, thinking or tool_use", json::serialize(block));
      require(is_string_field(block, "id") && !block.at("id").get_string().empty(),
              "a tool_use block has an id", json::serialize(block));
      require(is_string_field(block, "name"), "a tool_use block has a name",
              json::serialize(block));
      const auto* input = block.if_contains("input");
      require(input != nullptr && input->is_object(), "a tool_use input is an object",
              json::serialize(block));
      ++tool_uses;
    }
  }
  return tool_uses;
}

// The same bytes as an error answer (any status but 2xx): the message read out of them goes to
// the client inside an Anthropic error body (upstream/provider.cpp, proxy/errors.cpp).
void check_error_body(std::string_view bytes) {
  const std::string message = ccgate::openai::error_message_from_body(bytes);
  require(message.size() <= 1024 + std::string_view("…").size(),
          "an upstream error message is cut at 1 KiB");
  const std::string body = ccgate::anthropic::error_body_for_status(502, message);
  require(ccgate::fuzz::parse_json(body).has_value(),
          "the client's error body is JSON (and so valid UTF-8)", body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check_error_body(bytes);

  // The door parses the upstream body with Boost.JSON's defaults.
  const auto body = ccgate::fuzz::parse_json(bytes, 32);
  if (!body) return 0;  // a 502 "the response is not JSON"

  json::object message;
  try {
    message =
        ccgate::translate::to_anthropic_message(*body, {.client_model = "claude-sonnet-4-5",
                                                        .stop_sequences = kStopSequences,
                                                        .make_id = ccgate::fuzz::sequential_ids()});
  } catch (const ccgate::translate::InvalidUpstreamResponse&) {
    return 0;
  }
  ccgate::fuzz::serialize_checked(message, "the Anthropic message");

  require(message.at("type") == "message" && message.at("role") == "assistant",
          "a message from the assistant");
  require(is_string_field(message, "id") && is_string_field(message, "model"),
          "the message has an id and a model");
  const auto* content = message.if_contains("content");
  require(content != nullptr && content->is_array(), "the message has a content array");
  const std::size_t tool_uses = check_blocks(content->get_array());

  require(is_string_field(message, "stop_reason"), "stop_reason is a string");
  const std::string_view stop_reason = message.at("stop_reason").get_string();
  static constexpr std::string_view kStopReasons[] = {"end_turn", "max_tokens", "stop_sequence",
                                                      "tool_use", "refusal"};
  require(std::find(std::begin(kStopReasons), std::end(kStopReasons), stop_reason) !=
              std::end(kStopReasons),
          "stop_reason is one Anthropic defines", stop_reason);
  if (stop_reason != "max_tokens") {
    require((stop_reason == "tool_use") == (tool_uses > 0),
            "stop_reason is tool_use exactly when the content has a tool_use block",
            json::serialize(message));
  }
  const auto& sequence = message.at("stop_sequence");
  require(sequence.is_string() == (stop_reason == "stop_sequence"),
          "stop_sequence is set exactly when stop_reason is stop_sequence");
  if (sequence.is_string()) {
    require(std::find(kStopSequences.begin(), kStopSequences.end(),
                      std::string_view(sequence.get_string())) != kStopSequences.end(),
            "stop_sequence is one the client asked for");
  }

  const auto* usage = message.at("usage").if_object();
  require(usage != nullptr, "the message has usage");
  for (const auto& [key, count] : *usage) {
    require(count.is_int64() && count.get_int64() >= 0, "usage counts are integers ≥ 0", key);
  }
  return 0;
}
