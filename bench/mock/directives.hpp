#pragma once
// What a request asks the mock to do: MOCK[key=value;...] in its body, or x-mock-<key> headers
// (the body wins, since only the body survives a gateway in between). Keys (all numbers):
//   delay_ms, status, chunks, interval_ms | interval_us, chunk_bytes, response_bytes, hold=1
// and the upstream faults of the soak (bench/soak.mjs):
//   reset=1         abort the connection before the response head (after reading the request)
//   reset_after=N   streaming: abort the connection after N content deltas (0: after the head)
//   malformed_at=N  streaming: delta N is a torn JSON line (the stream goes on); non-streaming:
//                   the body is cut in the middle
//   html=1          answer 200 with an HTML page, as a captive portal or a wrong base URL does

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "http/server.hpp"

namespace ccgate::bench {

struct Directives {
  std::chrono::milliseconds delay{0};     // before the response head
  unsigned status = 200;                  // anything else: an error answer with that status
  std::uint64_t chunks = 64;              // streaming: content deltas
  std::chrono::microseconds interval{0};  // streaming: between content deltas
  std::size_t chunk_bytes = 16;           // streaming: text bytes per delta
  std::size_t response_bytes = 512;       // non-streaming: text bytes
  bool hold = false;   // streaming: stop after the first delta and keep the response open
  bool reset = false;  // abort the connection before the response head
  std::optional<std::uint64_t> reset_after;   // streaming: abort after this many deltas
  std::optional<std::uint64_t> malformed_at;  // this delta (or the whole body) is torn
  bool html = false;                          // 200 with an HTML page instead of the answer
};

struct DirectivesOrError {
  Directives directives;
  std::string error;  // empty when every directive was understood
};

DirectivesOrError read_directives(const http::Request& request);

// Byte searches for `"name"<ws>:<ws>true`: enough to read one flag without parsing the JSON.
bool body_requests_stream(std::string_view body);
bool body_requests_usage(std::string_view body);

}  // namespace ccgate::bench
