#include "translate/response.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "translate/json_access.hpp"
#include "translate/text.hpp"
#include "translate/thinking_signature.hpp"

namespace ccgate::translate {

namespace {

std::int64_t count_at(const json::object& object, std::string_view key) {
  return std::max<std::int64_t>(0, integer_at(object, key).value_or(0));
}

std::int64_t cached_prompt_tokens(const json::object& usage) {
  if (const auto* details = object_at(usage, "prompt_tokens_details")) {
    if (integer_at(*details, "cached_tokens")) return count_at(*details, "cached_tokens");
  }
  return count_at(usage, "prompt_cache_hit_tokens");  // DeepSeek reports its cache hits here
}

// Message content is a string or, from some providers, an array of text parts.
std::string content_text(const json::value* content) {
  if (content == nullptr) return {};
  if (const auto* text = content->if_string()) return std::string(*text);
  std::string joined;
  if (const auto* parts = content->if_array()) {
    for (const auto& item : *parts) {
      if (const auto* part = item.if_object()) {
        joined.append(string_or_empty(*part, "text"));
      } else if (const auto* piece = item.if_string()) {
        joined.append(*piece);
      }
    }
  }
  return joined;
}

std::string_view reasoning_text(const json::object& message) {
  std::string_view text = string_or_empty(message, "reasoning_content");
  if (text.empty()) text = string_or_empty(message, "reasoning");
  return text;
}

// Arguments that are not a JSON object are passed on as text, so the client's tool validation
// tells the model what went wrong instead of the call silently turning into {}. So are arguments
// holding a number beyond a double's range (it would be serialized as `Infinity`).
json::object tool_input(std::string_view arguments) {
  if (trim(arguments).empty()) return {};
  boost::system::error_code error;
  json::value parsed = json::parse(arguments, error);
  if (!error && parsed.is_object() && numbers_are_finite(parsed)) {
    return std::move(parsed.as_object());
  }
  return json::object{{"raw_arguments", arguments}};
}

json::object tool_use_block(const json::object& function, std::string_view id,
                            const MakeId& make_id) {
  return json::object{{"type", "tool_use"},
                      {"id", id.empty() ? make_id("toolu_") : std::string(id)},
                      {"name", string_or_empty(function, "name")},
                      {"input", tool_input(string_or_empty(function, "arguments"))}};
}

json::array content_blocks(const json::object& message, const MakeId& make_id) {
  json::array blocks;
  if (const std::string_view reasoning = reasoning_text(message); !reasoning.empty()) {
    blocks.push_back(json::object{
        {"type", "thinking"}, {"thinking", reasoning}, {"signature", kOwnThinkingSignature}});
  }
  if (std::string text = content_text(message.if_contains("content")); !text.empty()) {
    blocks.push_back(json::object{{"type", "text"}, {"text", std::move(text)}});
  }
  if (const std::string_view refusal = string_or_empty(message, "refusal"); !refusal.empty()) {
    blocks.push_back(json::object{{"type", "text"}, {"text", refusal}});
  }
  if (const auto* tool_calls = array_at(message, "tool_calls")) {
    for (const auto& item : *tool_calls) {
      const auto* call = item.if_object();
      if (call == nullptr) continue;
      const auto* function = object_at(*call, "function");
      if (function == nullptr) continue;
      blocks.push_back(tool_use_block(*function, string_or_empty(*call, "id"), make_id));
    }
  }
  if (const auto* function_call = object_at(message, "function_call")) {  // legacy single call
    blocks.push_back(tool_use_block(*function_call, {}, make_id));
  }
  return blocks;
}

bool has_tool_use(const json::array& blocks) {
  return std::any_of(blocks.begin(), blocks.end(), [](const json::value& block) {
    return block.as_object().at("type").as_string() == "tool_use";
  });
}

}  // namespace

Usage usage_from_openai(const json::value* usage) {
  Usage result;
  const auto* object = usage == nullptr ? nullptr : usage->if_object();
  if (object == nullptr) return result;
  result.present = true;
  result.cache_read_input_tokens = cached_prompt_tokens(*object);
  result.input_tokens = std::max<std::int64_t>(
      0, count_at(*object, "prompt_tokens") - result.cache_read_input_tokens);
  result.output_tokens = count_at(*object, "completion_tokens");
  return result;
}

json::object anthropic_usage(const Usage& usage) {
  return json::object{{"input_tokens", usage.input_tokens},
                      {"cache_creation_input_tokens", 0},
                      {"cache_read_input_tokens", usage.cache_read_input_tokens},
                      {"output_tokens", usage.output_tokens}};
}

std::string_view stop_reason_for(std::string_view finish_reason, bool stop_sequence_matched,
                                 bool has_tool_use) {
  if (finish_reason == "length") return "max_tokens";
  if (has_tool_use) return "tool_use";
  if (finish_reason == "stop") return stop_sequence_matched ? "stop_sequence" : "end_turn";
  if (finish_reason == "content_filter") return "refusal";
  return "end_turn";
}

std::optional<std::string> matched_stop_sequence(const json::object& choice,
                                                 const std::vector<std::string>& stop_sequences) {
  for (const char* key : {"stop_reason", "matched_stop"}) {
    const auto* matched = string_at(choice, key);
    if (matched == nullptr) continue;
    if (std::find(stop_sequences.begin(), stop_sequences.end(), std::string_view(*matched)) !=
        stop_sequences.end()) {
      return std::string(*matched);
    }
  }
  return std::nullopt;
}

json::object to_anthropic_message(const json::value& openai_response,
                                  const ResponseContext& context) {
  const auto* response = openai_response.if_object();
  const auto* choices = response == nullptr ? nullptr : array_at(*response, "choices");
  if (choices == nullptr || choices->empty() || !choices->front().is_object()) {
    throw InvalidUpstreamResponse("upstream response has no choices");
  }
  const json::object& choice = choices->front().as_object();
  const auto* message = object_at(choice, "message");
  json::array blocks = message ? content_blocks(*message, context.make_id) : json::array{};

  const std::string_view finish_reason = string_or_empty(choice, "finish_reason");
  std::optional<std::string> stop_sequence;
  if (finish_reason == "stop")
    stop_sequence = matched_stop_sequence(choice, context.stop_sequences);
  const std::string_view stop_reason =
      stop_reason_for(finish_reason, stop_sequence.has_value(), has_tool_use(blocks));
  if (stop_reason != "stop_sequence") stop_sequence.reset();

  const Usage usage = usage_from_openai(response->if_contains("usage"));
  return json::object{
      {"id", context.make_id("msg_")},
      {"type", "message"},
      {"role", "assistant"},
      {"model", context.client_model},
      {"content", std::move(blocks)},
      {"stop_reason", stop_reason},
      {"stop_sequence", stop_sequence ? json::value(*stop_sequence) : json::value(nullptr)},
      {"usage", anthropic_usage(usage)},
  };
}

}  // namespace ccgate::translate
