#include "metrics/instruments.hpp"

#include <algorithm>

namespace ccgate::metrics {

Instruments::Instruments(Registry& registry)
    : requests(registry.counter(
          {.name = "ccgate_requests_total",
           .help = "Requests a door handled, by door, route, provider, model, status class and "
                   "error type.",
           .labels = {"door", "route", "provider", "model", "status_class", "error_type"}})),
      request_duration(registry.histogram(
          {.name = "ccgate_request_duration_seconds",
           .help = "Time from the request's arrival to its response's last byte.",
           .labels = {"door", "provider"}})),
      time_to_first_byte(registry.histogram(
          {.name = "ccgate_time_to_first_byte_seconds",
           .help = "Time from the request's arrival to the first byte of its response content.",
           .labels = {"door", "provider"}})),
      upstream_time_to_first_byte(registry.histogram(
          {.name = "ccgate_upstream_time_to_first_byte_seconds",
           .help = "Time from sending a request upstream to reading the upstream's response head.",
           .labels = {"door", "provider"}})),
      tokens(registry.counter({.name = "ccgate_tokens_total",
                               .help = "Tokens the upstream reported: in (not cached), out, and "
                                       "cache_read.",
                               .labels = {"provider", "model", "kind"}})),
      upstream_attempts(registry.counter(
          {.name = "ccgate_upstream_attempts_total",
           .help = "Requests sent to a provider, by outcome (retries and key rotations included).",
           .labels = {"provider", "outcome"}})),
      upstream_retries(registry.counter(
          {.name = "ccgate_upstream_retries_total",
           .help = "Requests sent to a provider again after a wait (MAX_RETRIES), by reason.",
           .labels = {"provider", "reason"}})),
      fallbacks(registry.counter(
          {.name = "ccgate_fallbacks_total",
           .help = "Times a route passed from one provider to the next, by reason.",
           .labels = {"from", "to", "reason"}})),
      received_bytes(registry.counter({.name = "ccgate_received_body_bytes_total",
                                       .help = "Request body bytes received, by door.",
                                       .labels = {"door"}})),
      sent_bytes(registry.counter({.name = "ccgate_sent_body_bytes_total",
                                   .help = "Response body bytes sent, by door.",
                                   .labels = {"door"}})),
      open_streams(registry.gauge({.name = "ccgate_open_streams",
                                   .help = "Event-stream responses being written now, by door.",
                                   .labels = {"door"}})),
      tool_calls(registry.counter(
          {.name = "ccgate_gateway_tool_calls_total",
           .help = "Tool calls handed to gateway clients, by outcome: completed (the "
                   "client's result delivered), timed_out "
                   "(TOOL_CALL_TIMEOUT), cancelled (the conversation "
                   "ended first).",
           .labels = {"outcome"}})),
      cli_start_duration(registry.histogram(
          {.name = "ccgate_gateway_cli_start_seconds",
           .help = "Time from starting a Claude Code process (its private dir made, the process "
                   "spawned) to its listing the tools of ccgate's MCP server, ready for a first "
                   "message; by kind: conversation (started for a request) or spare.",
           .labels = {"kind"}})),
      cli_exits(registry.counter({.name = "ccgate_gateway_cli_exits_total",
                                  .help = "Claude Code processes ended, by cause.",
                                  .labels = {"cause"}})),
      sessions_evicted(registry.counter(
          {.name = "ccgate_gateway_sessions_evicted_total",
           .help = "Gateway sessions ended to make room at MAX_SESSIONS or idle past "
                   "SESSION_IDLE_TIMEOUT."})),
      sessions_refused(registry.counter(
          {.name = "ccgate_gateway_sessions_refused_total",
           .help = "New gateway conversations refused (429) because every session was busy at "
                   "MAX_SESSIONS."})),

      tool_policy_decisions(registry.counter(
          {.name = "ccgate_gateway_tool_policy_decisions_total",
           .help = "Tool policy decisions on the gateway's tool calls, by decision and by the kind "
                   "of rule that decided.",
           .labels = {"decision", "rule_kind"}})),

      server_tool_calls(registry.counter(
          {.name = "ccgate_gateway_server_tool_calls_total",
           .help = "Tool calls Claude Code ran itself for gateway conversations (operator MCP "
                   "servers, ccgate's executors, built-in tools), by server and outcome.",
           .labels = {"server", "outcome"}})) {}

std::string_view status_outcome(int status) {
  if (status >= 200 && status < 300) return "ok";
  if (status == 429) return "rate_limited";
  if (status >= 500) return "server_error";
  return "client_error";
}

std::string_view status_class(int status) {
  static constexpr std::string_view kClasses[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
  return kClasses[std::clamp(status / 100, 1, 5) - 1];
}

}  // namespace ccgate::metrics
