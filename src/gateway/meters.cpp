#include "gateway/meters.hpp"

namespace ccgate::gateway {

Meters::Meters(const metrics::Instruments& instruments)
    : instruments(instruments),
      request_duration(instruments.request_duration.with({"gateway", kGatewayProvider})),
      time_to_first_byte(instruments.time_to_first_byte.with({"gateway", kGatewayProvider})),
      upstream_time_to_first_byte(
          instruments.upstream_time_to_first_byte.with({"gateway", kGatewayProvider})),
      tool_calls_completed(instruments.tool_calls.with({"completed"})),
      tool_calls_timed_out(instruments.tool_calls.with({"timed_out"})),
      tool_calls_cancelled(instruments.tool_calls.with({"cancelled"})),
      cli_start_conversation(instruments.cli_start_duration.with({"conversation"})),
      cli_start_spare(instruments.cli_start_duration.with({"spare"})),
      sessions_evicted(instruments.sessions_evicted.only()),
      sessions_refused(instruments.sessions_refused.only()) {
  // Every cause shows from the start (0), so a rate over it has a beginning.
  for (std::size_t i = 0; i < kExitCauses; ++i)
    cli_exits[i] = &instruments.cli_exits.with({exit_cause_name(static_cast<ExitCause>(i))});
}

}  // namespace ccgate::gateway
