#pragma once
// Anthropic Messages request → OpenAI Chat Completions request. Pure: no I/O, no clocks.
// Validates first, as the real API does: a malformed request is an InvalidRequest (→ HTTP 400)
// whose message names the field with the API's wording ("messages.1.role: Input should be
// 'user' or 'assistant'"), and nothing is translated. Tolerant of what the API tolerates:
// unknown top-level keys and unknown block types pass, and are dropped by the written rules in
// request.cpp together with everything else that has no Chat Completions counterpart.

#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "translate/model_quirks.hpp"

namespace ccgate::translate {

// The largest max_tokens accepted: every provider reads the value as a 32-bit integer, and no
// model writes more. (MAX_TOKENS_LIMIT, when set, clamps below this.)
inline constexpr std::int64_t kMaxTokensBound = 2'147'483'647;

class InvalidRequest : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The global clamps (MAX_TOKENS_LIMIT, MIN_TOKENS_LIMIT). Which model, and its own ceiling, is the
// UpstreamModel of each attempt.
struct RequestOptions {
  std::optional<std::int64_t> max_tokens_limit;  // clamp only when set
  std::optional<std::int64_t> min_tokens_limit;
};

struct TranslatedRequest {
  std::string body;          // the OpenAI request, serialized
  std::string client_model;  // echoed back in responses
  std::string upstream_model;
  bool stream = false;
  std::vector<std::string> stop_sequences;  // to report stop_reason "stop_sequence"
};

// The request for one attempt at target: its name is the body's model, its quirks shape the
// body (see request.cpp). request_size: the request body's length in bytes, to size the output at
// once. Throws InvalidRequest.
TranslatedRequest to_openai_request(const boost::json::value& anthropic_request,
                                    const RequestOptions& options, const UpstreamModel& target,
                                    std::size_t request_size = 0);

// What count_tokens needs of a request (model, messages, system, tools), checked the same way.
// Throws InvalidRequest.
void validate_count_tokens_request(const boost::json::value& anthropic_request);

}  // namespace ccgate::translate
