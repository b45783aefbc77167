#pragma once
// OpenAI Chat Completion (non-streaming) → Anthropic Message. Pure.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "translate/ids.hpp"

namespace ccgate::translate {

struct ResponseContext {
  std::string client_model;
  std::vector<std::string> stop_sequences;
  MakeId make_id = unique_id;
};

struct Usage {
  std::int64_t input_tokens = 0;  // prompt tokens minus cache reads
  std::int64_t output_tokens = 0;
  std::int64_t cache_read_input_tokens = 0;
  bool present = false;  // the upstream reported usage at all
};

// OpenAI usage object (may be null or missing) → Anthropic token counts.
Usage usage_from_openai(const boost::json::value* usage);

// "stop" → "end_turn" (or "stop_sequence" when one matched), "length" → "max_tokens",
// "content_filter" → "refusal". "tool_use" exactly when the message has a tool_use block (and
// was not cut at max_tokens): "tool_calls" whose calls were all unusable (no function name) is
// "end_turn", as the real API never says tool_use without one.
std::string_view stop_reason_for(std::string_view finish_reason, bool stop_sequence_matched,
                                 bool has_tool_use);

// The Anthropic usage object: input, cache creation (always 0: OpenAI reports no cache writes),
// cache read, output.
boost::json::object anthropic_usage(const Usage& usage);

// The stop sequence a choice says it stopped on — vLLM's "stop_reason" or SGLang's
// "matched_stop" — when it is one of the request's stop sequences.
std::optional<std::string> matched_stop_sequence(const boost::json::object& choice,
                                                 const std::vector<std::string>& stop_sequences);

// Throws InvalidUpstreamResponse when the body has no usable choice.
boost::json::object to_anthropic_message(const boost::json::value& openai_response,
                                         const ResponseContext& context);

class InvalidUpstreamResponse : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace ccgate::translate
