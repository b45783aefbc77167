#pragma once
// How one turn behaves: FAKE[key=value;...] in the user's text (the first occurrence).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ccgate::bench {

struct Directive {
  std::size_t lines = 8;          // text deltas in the answer
  std::uint64_t interval_us = 0;  // pause between text-delta lines
  std::size_t chunk_bytes = 32;   // minimum length of each delta's text
  std::string tool;               // when set: call this gateway tool first
  std::uint64_t startup_ms = 0;   // first turn only: delay before the init line
};

// The directive found in `text`; the defaults when there is none. Unknown keys and values that
// are not numbers are ignored.
Directive parse_directive(std::string_view text);

}  // namespace ccgate::bench
