#pragma once
// ccgate's metric families, in one place: their names, help and labels. The registry is owned by
// app/serve.cpp; the doors get a reference to these families and update them (scrape-time gauges
// such as process figures, open connections and cooling keys are added by app/).

#include "metrics/registry.hpp"

namespace ccgate::metrics {

struct Instruments {
  explicit Instruments(Registry& registry);

  // Requests a door handled, by how they ended. door: proxy|gateway; route: the routing route
  // ("count_tokens" for the local estimate, "" when refused before routing); provider and model:
  // the upstream that answered or was tried last; status_class: 2xx|4xx|5xx; error_type: the
  // error's type in the door's protocol, "client_closed" when the client left before a response.
  Family<Counter>& requests;
  Family<Histogram>& request_duration;             // {door, provider}
  Family<Histogram>& time_to_first_byte;           // {door, provider}
  Family<Histogram>& upstream_time_to_first_byte;  // {door, provider}: request sent → head read
  Family<Counter>& tokens;                         // {provider, model, kind=in|out|cache_read}
  Family<Counter>& upstream_attempts;              // {provider, outcome}
  Family<Counter>& upstream_retries;               // {provider, reason}
  Family<Counter>& fallbacks;                      // {from, to, reason}
  Family<Counter>& received_bytes;                 // {door}: request bodies
  Family<Counter>& sent_bytes;                     // {door}: response bodies
  Family<Gauge>& open_streams;                     // {door}: event streams being written

  // Gateway door (sessions by state and tool calls waiting are read from the gateway when
  // scraped, see app/serve.cpp). Its children are made once, when the door is (gateway/meters).
  Family<Counter>& tool_calls;            // {outcome=completed|timed_out|cancelled}
  Family<Histogram>& cli_start_duration;  // {kind=conversation|spare}: start → ready (tools listed)
  Family<Counter>& cli_exits;             // {cause}: see gateway::ExitCause
  Family<Counter>& sessions_evicted;
  Family<Counter>& sessions_refused;

  // Gateway tool policy (gateway.policy:): each decision on a tool call, by decision (allow|deny)
  // and rule_kind (rule, default, schema, max_calls_per_turn, max_calls_per_conversation, webhook,
  // webhook_error, withdrawn).
  Family<Counter>& tool_policy_decisions;

  // Tool calls the CLI ran itself (never handed to the client), by server (an operator MCP
  // server's name, "ccgate" for ccgate's own executors, "builtin", "unknown") and outcome
  // (ok|error|denied).
  Family<Counter>& server_tool_calls;
};

// The outcome of one upstream attempt, and the reason of a retry or a fallback, from a short
// fixed vocabulary: ok, rate_limited (429), client_error (other 4xx), server_error (5xx),
// context_too_long, timeout, unreachable, bad_answer, at_capacity, keys_cooling.
std::string_view status_outcome(int status);
// A response status's class, the requests' status_class label: 1xx … 5xx.
std::string_view status_class(int status);

}  // namespace ccgate::metrics
