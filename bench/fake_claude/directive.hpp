#pragma once
// How one turn behaves: FAKE[key=value;...] in the user's text (the last occurrence: a new
// process given the earlier turns as a transcript sees the newest message last).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ccgate::bench {

struct Directive {
  std::size_t lines = 8;          // text deltas in the answer
  std::uint64_t interval_us = 0;  // pause between text-delta lines
  std::size_t chunk_bytes = 32;   // minimum length of each delta's text
  std::string tool;               // when set: call this gateway tool first
  std::uint64_t startup_ms = 0;   // first turn only: delay before the init line
  // The faults and checks of the soak (bench/soak.mjs):
  std::optional<std::size_t> crash_after;  // exit(3) after this many text deltas, mid-turn
  std::optional<std::size_t> hang_after;   // after this many text deltas, wait until killed
  std::size_t garbage = 0;                 // non-JSON lines printed right after the init line
  bool probe_mcp = false;  // first try both MCP servers with a wrong secret and an unknown
                           // session: the HTTP statuses are the first deltas
  std::optional<std::uint64_t> tag;  // the first delta is tag=<n> (after a tool call:
                                     // result=<the tool's result as a number>)
};

// The directive found in `text`; the defaults when there is none. Unknown keys and values that
// are not numbers are ignored.
Directive parse_directive(std::string_view text);

}  // namespace ccgate::bench
