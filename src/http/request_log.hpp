#pragma once
// What a handler reports about one exchange, for the one log line the app writes per request.
// http/ neither fills nor reads the fields below `first_byte`: the doors put their own words
// there, and the app prints them (as text or JSON). Empty fields are left out.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace ccgate::http {

struct RequestLog {
  using Clock = std::chrono::steady_clock;

  Clock::time_point started = Clock::now();
  std::optional<Clock::time_point> first_byte;  // first response content sent

  std::string model;        // as the client named it
  std::string target;       // where it went: "provider/model", "claude"
  std::string route;        // the route that chose the target
  std::string passed_over;  // "openai/gpt-4o: HTTP 429, …": targets tried or skipped first
  std::string session;      // a gateway session, shortened
  std::string finish;       // why the answer ended: "stop", "tool_calls", …
  std::optional<std::int64_t> tokens_in;   // input tokens, cache reads included
  std::optional<std::int64_t> tokens_out;  // output tokens
  std::optional<std::int64_t> estimate;    // count_tokens' estimate
  std::string mcp;                         // the MCP server a request went to

  void mark_first_byte() {
    if (!first_byte) first_byte = Clock::now();
  }
};

}  // namespace ccgate::http
