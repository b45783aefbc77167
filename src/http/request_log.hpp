#pragma once
// What a handler reports about one exchange, for the one log line the app writes per request.
// http/ fills nothing LLM-specific: the doors put their own words in `summary`.

#include <chrono>
#include <optional>
#include <string>

namespace ccgate::http {

struct RequestLog {
  using Clock = std::chrono::steady_clock;

  std::string id;  // also sent to the client as the request-id header
  Clock::time_point started = Clock::now();
  std::optional<Clock::time_point> first_byte;  // first response content sent
  std::string summary;                          // e.g. "claude-sonnet-4 → gpt-4o in=12 out=5"

  void mark_first_byte() {
    if (!first_byte) first_byte = Clock::now();
  }
};

}  // namespace ccgate::http
