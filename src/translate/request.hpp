#pragma once
// Anthropic Messages request → OpenAI Chat Completions request. Pure: no I/O, no clocks.
// Tolerant: unknown fields and block types are dropped by the written rules in request.cpp,
// never rejected. Only what the real API also rejects is an InvalidRequest (→ HTTP 400): a body
// that is not an object, a missing or non-string model, a missing messages array, a max_tokens
// that is missing or not a positive integer. The message names the field, as Anthropic's does.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "translate/model_map.hpp"

namespace ccgate::translate {

class InvalidRequest : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RequestOptions {
  ModelMap models;
  ReasoningModels reasoning;
  std::optional<std::int64_t> max_tokens_limit;  // clamp only when set
  std::optional<std::int64_t> min_tokens_limit;
};

struct TranslatedRequest {
  boost::json::object body;  // the OpenAI request, ready to serialize
  std::string client_model;  // echoed back in responses
  std::string upstream_model;
  bool stream = false;
  std::vector<std::string> stop_sequences;  // to report stop_reason "stop_sequence"
};

TranslatedRequest to_openai_request(const boost::json::value& anthropic_request,
                                    const RequestOptions& options);

}  // namespace ccgate::translate
