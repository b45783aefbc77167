#pragma once
// The gateway's metric children, made once when the door is (from metrics::Instruments, the
// families app/ owns): an update on a hot path is a relaxed atomic add (a histogram: a bucket
// search and two adds), never a lookup. Only requests{door="gateway",…} is looked up, once per
// request, since its model and status vary.

#include <array>

#include "gateway/session.hpp"
#include "metrics/instruments.hpp"

namespace ccgate::gateway {

struct Meters {
  explicit Meters(const metrics::Instruments& instruments);

  const metrics::Instruments& instruments;
  // The door's requests, {door="gateway", provider="claude-code"}.
  metrics::Histogram& request_duration;
  metrics::Histogram& time_to_first_byte;
  metrics::Histogram& upstream_time_to_first_byte;  // the turn handed to the CLI → model output

  metrics::Counter& tool_calls_completed;
  metrics::Counter& tool_calls_timed_out;
  metrics::Counter& tool_calls_cancelled;
  metrics::Histogram& cli_start_conversation;
  metrics::Histogram& cli_start_spare;
  metrics::Counter& sessions_evicted;
  metrics::Counter& sessions_refused;

  metrics::Counter& cli_exit(ExitCause cause) const {
    return *cli_exits[static_cast<std::size_t>(cause)];
  }

 private:
  std::array<metrics::Counter*, kExitCauses> cli_exits;
};

// The provider label of the gateway door's requests: Claude Code answers them.
inline constexpr std::string_view kGatewayProvider = "claude-code";

}  // namespace ccgate::gateway
