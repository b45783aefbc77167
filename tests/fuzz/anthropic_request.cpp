// The proxy door's request path: an Anthropic Messages body (POST /v1/messages and
// /v1/messages/count_tokens) → the OpenAI Chat Completions request sent upstream.
//
// Properties, besides ASan/UBSan: the only exception is InvalidRequest; the upstream body is
// JSON; every message says something (providers reject empty content); and a tool_use/tool_result
// pairing of the input survives: each tool message names a call of an earlier assistant message,
// and when the input answered the calls right after making them, the tool messages follow that
// assistant message directly, as OpenAI requires. The target model's quirks come from a hash of
// the input (the input stays a JSON body, so the seeds keep parsing; every change of a byte may
// pick other quirks), and what each quirk forbids is absent from the body.

#include <array>
#include <set>

#include "fuzz_support.hpp"
#include "translate/json_access.hpp"
#include "translate/request.hpp"
#include "translate/route_traits.hpp"
#include "translate/token_estimate.hpp"
#include "translate_request_dom_oracle.hpp"

namespace {

namespace json = boost::json;
using ccgate::fuzz::require;

constexpr std::int64_t kMaxTokensLimit = 64000;

ccgate::translate::RequestOptions options() {
  ccgate::translate::RequestOptions options;
  options.max_tokens_limit = kMaxTokensLimit;
  return options;
}

// The quirks of the target, from the input's FNV-1a hash: five flags and one of four ceilings.
ccgate::translate::UpstreamModel target_for(std::string_view input) {
  std::uint32_t hash = 2166136261u;
  for (const char byte : input) hash = (hash ^ static_cast<std::uint8_t>(byte)) * 16777619u;
  ccgate::translate::ModelQuirks quirks;
  quirks.reasoning = (hash & 1u) != 0;
  quirks.tool_choice = (hash & 2u) != 0;
  quirks.parallel_tool_calls = (hash & 4u) != 0;
  quirks.stream_options = (hash & 8u) != 0;
  quirks.reasoning_round_trip = (hash & 16u) != 0;
  constexpr std::array<std::optional<std::int64_t>, 4> kCeilings{std::nullopt, 1, 8192, 100000};
  quirks.max_output_tokens = kCeilings[(hash >> 5) & 3u];
  return {quirks.reasoning ? "o3-mini" : "ollama/qwen3", quirks};
}

std::string_view string_or_empty(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string_view(value->get_string())
                                                : std::string_view();
}

const json::array* blocks_of(const json::value& message) {
  const auto* object = message.if_object();
  if (object == nullptr) return nullptr;
  const auto* content = object->if_contains("content");
  return content == nullptr ? nullptr : content->if_array();
}

std::string_view role_of(const json::value& message) {
  const auto* object = message.if_object();
  return object == nullptr ? std::string_view() : string_or_empty(*object, "role");
}

// The ids of the blocks of one type in a message ("tool_use" → "id", "tool_result" →
// "tool_use_id"); nullopt when one of them has no usable id.
std::optional<std::vector<std::string>> block_ids(const json::value& message, std::string_view type,
                                                  std::string_view id_key) {
  std::vector<std::string> ids;
  const auto* blocks = blocks_of(message);
  if (blocks == nullptr) return ids;
  for (const auto& item : *blocks) {
    const auto* block = item.if_object();
    if (block == nullptr || string_or_empty(*block, "type") != type) continue;
    const auto id = string_or_empty(*block, id_key);
    if (id.empty()) return std::nullopt;
    ids.emplace_back(id);
  }
  return ids;
}

struct Pairing {
  std::set<std::string> paired;         // tool_result ids that name an earlier tool_use
  std::set<std::string> answered_next;  // … in the user message right after that tool_use
  bool usable = true;                   // false: ids missing, repeated, or unknown
};

// How the input pairs its tool results with tool uses (assistant tool_use, then a user message
// holding the tool_result with the same id).
Pairing input_pairing(const json::array& messages) {
  Pairing pairing;
  std::set<std::string> uses;
  std::set<std::string> results;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const auto role = role_of(messages[i]);
    if (role == "assistant") {
      const auto ids = block_ids(messages[i], "tool_use", "id");
      if (!ids) return {.paired = {}, .answered_next = {}, .usable = false};
      for (const auto& id : *ids) {
        if (!uses.insert(id).second) pairing.usable = false;
      }
    } else if (role == "user") {
      const auto ids = block_ids(messages[i], "tool_result", "tool_use_id");
      if (!ids) return {.paired = {}, .answered_next = {}, .usable = false};
      const auto previous =
          i > 0 && role_of(messages[i - 1]) == "assistant"
              ? block_ids(messages[i - 1], "tool_use", "id").value_or(std::vector<std::string>{})
              : std::vector<std::string>{};
      for (const auto& id : *ids) {
        if (!results.insert(id).second || !uses.contains(id)) pairing.usable = false;
        pairing.paired.insert(id);
        if (std::find(previous.begin(), previous.end(), id) != previous.end()) {
          pairing.answered_next.insert(id);
        }
      }
    }
  }
  return pairing;
}

void check_message(const json::value& item) {
  require(item.is_object(), "every upstream message is an object");
  const auto& message = item.get_object();
  const auto role = string_or_empty(message, "role");
  require(role == "system" || role == "user" || role == "assistant" || role == "tool",
          "upstream roles are system, user, assistant or tool", role);
  const auto* content = message.if_contains("content");
  require(content != nullptr, "every upstream message has content", json::serialize(message));
  if (role == "assistant" && content->is_null()) {
    const auto* calls = message.if_contains("tool_calls");
    require(calls != nullptr && calls->is_array() && !calls->get_array().empty(),
            "an assistant message without text has tool calls", json::serialize(message));
    return;
  }
  if (const auto* text = content->if_string()) {
    require(!text->empty(), "no upstream message is empty", json::serialize(message));
  } else {
    require(content->is_array() && !content->get_array().empty() && role == "user",
            "only user messages carry content parts, never none", json::serialize(message));
  }
  if (role == "tool") {
    const auto* id = message.if_contains("tool_call_id");
    require(id != nullptr && id->is_string(), "a tool message has a tool_call_id",
            json::serialize(message));
  }
}

void check_pairing(const json::array& input, const json::array& output) {
  const Pairing pairing = input_pairing(input);
  if (!pairing.usable) return;
  std::set<std::string> called;           // ids of every earlier assistant call
  std::vector<std::string> latest_calls;  // the last assistant message's calls
  bool only_tool_messages_since_call = false;
  std::set<std::string> delivered;
  for (const auto& item : output) {
    const auto& message = item.get_object();
    const auto role = string_or_empty(message, "role");
    if (role == "assistant") {
      latest_calls.clear();
      if (const auto* calls = message.if_contains("tool_calls")) {
        for (const auto& call : calls->get_array()) {
          const auto id = string_or_empty(call.get_object(), "id");
          latest_calls.emplace_back(id);
          called.emplace(id);
        }
      }
      only_tool_messages_since_call = !latest_calls.empty();
      continue;
    }
    if (role != "tool") {
      only_tool_messages_since_call = false;
      continue;
    }
    const std::string id(string_or_empty(message, "tool_call_id"));
    if (!pairing.paired.contains(id)) continue;
    delivered.insert(id);
    require(called.contains(id),
            "a paired tool result names a call of an earlier assistant message",
            json::serialize(output));
    if (pairing.answered_next.contains(id)) {
      require(only_tool_messages_since_call &&
                  std::find(latest_calls.begin(), latest_calls.end(), id) != latest_calls.end(),
              "a tool result answered right after its call directly follows that call",
              json::serialize(output));
    }
  }
  require(delivered == pairing.paired, "no paired tool result is lost", json::serialize(output));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto body =
      ccgate::fuzz::parse_json(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!body) return 0;  // the door answers 400 before translating
  if (!ccgate::translate::numbers_are_finite(*body)) return 0;  // the door's 400 for 1e999
  const auto target = target_for(std::string_view(reinterpret_cast<const char*>(data), size));
  const auto& quirks = target.quirks;

  require(ccgate::translate::estimate_input_tokens(*body) >= 0, "token estimates are ≥ 0");
  // Routing reads any shape before validation: a model it reports is the body's own string.
  const auto traits = ccgate::translate::route_traits(*body);
  require(traits.model.empty() || (body->is_object() && body->as_object().contains("model")),
          "route_traits reads the model field");

  // The body is written straight into a string; the DOM path it replaced must agree byte for
  // byte, and reject with the same message.
  std::string oracle_body;
  std::string oracle_error;
  try {
    oracle_body = json::serialize(
        ccgate::translate::dom_oracle::to_openai_request_dom(*body, options(), target).body);
  } catch (const ccgate::translate::InvalidRequest& invalid) {
    oracle_error = invalid.what();
  }

  ccgate::translate::TranslatedRequest translated;
  try {
    translated = ccgate::translate::to_openai_request(*body, options(), target, size);
  } catch (const ccgate::translate::InvalidRequest& invalid) {
    require(std::string_view(invalid.what()).size() > 0, "an InvalidRequest says why");
    require(invalid.what() == oracle_error, "rejected with the DOM path's message", invalid.what());
    return 0;
  }
  require(oracle_error.empty(), "accepted as the DOM path accepted it", oracle_error);
  require(translated.body == oracle_body, "the body the DOM path wrote", translated.body);
  const auto parsed = ccgate::fuzz::parse_json(translated.body, 100000);
  require(parsed.has_value() && parsed->is_object(), "the upstream request is a JSON object",
          translated.body);
  const json::object& upstream = parsed->get_object();

  const auto* messages = upstream.if_contains("messages");
  require(messages != nullptr && messages->is_array(), "the upstream request has messages");
  for (const auto& message : messages->get_array()) check_message(message);
  check_pairing(body->at("messages").get_array(), messages->get_array());

  require(translated.upstream_model == target.name, "the target names the upstream model");
  const std::string_view tokens_key = quirks.reasoning ? "max_completion_tokens" : "max_tokens";
  const auto* max_tokens = upstream.if_contains(tokens_key);
  const std::int64_t ceiling =
      std::min(kMaxTokensLimit, quirks.max_output_tokens.value_or(kMaxTokensLimit));
  require(max_tokens != nullptr && max_tokens->is_int64() && max_tokens->get_int64() >= 1 &&
              max_tokens->get_int64() <= ceiling,
          "the model's token key is sent, ≥ 1 and clamped to MAX_TOKENS_LIMIT and the model's "
          "ceiling",
          translated.body);
  if (quirks.reasoning) {
    require(!upstream.contains("max_tokens") && !upstream.contains("temperature") &&
                !upstream.contains("top_p"),
            "a reasoning model gets no max_tokens, temperature or top_p", translated.body);
  } else {
    require(!upstream.contains("reasoning_effort"), "only reasoning models get reasoning_effort",
            translated.body);
  }
  if (!quirks.tool_choice)
    require(!upstream.contains("tool_choice"), "no tool_choice for a model without it");
  if (!quirks.tool_choice || !quirks.parallel_tool_calls)
    require(!upstream.contains("parallel_tool_calls"), "no parallel_tool_calls where refused");
  if (!quirks.stream_options)
    require(!upstream.contains("stream_options"), "no stream_options where refused");
  if (!quirks.reasoning_round_trip) {
    for (const auto& message : messages->get_array())
      require(!message.get_object().contains("reasoning_content"),
              "no reasoning_content for a model without the round trip", translated.body);
  }
  return 0;
}
