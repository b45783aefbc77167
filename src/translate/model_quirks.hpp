#pragma once
// What one upstream model accepts, as far as the request translation must know. Provider presets
// fill these in (routing/presets); the configuration file may override each one.

#include <cstdint>
#include <optional>
#include <string>

namespace ccgate::translate {

struct ModelQuirks {
  std::optional<std::int64_t> max_output_tokens;  // max_tokens is clamped to it
  // Reasoning models take max_completion_tokens and reasoning_effort, and no temperature/top_p.
  bool reasoning = false;
  bool tool_choice = true;          // tool_choice is sent
  bool parallel_tool_calls = true;  // parallel_tool_calls:false is sent (disable_parallel_tool_use)
  bool stream_options = true;       // stream_options.include_usage is sent when streaming
  bool reasoning_round_trip = true;  // ccgate's own thinking goes back as reasoning_content

  bool operator==(const ModelQuirks&) const = default;
};

// The model one attempt is sent to, with what it accepts.
struct UpstreamModel {
  std::string name;
  ModelQuirks quirks;
};

}  // namespace ccgate::translate
