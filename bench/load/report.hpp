#pragma once
// The tool's stdout: status lines and the final JSON object, one line each, flushed at once.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "load/options.hpp"
#include "load/stats.hpp"

namespace ccgate::bench {

struct RunSummary {
  double elapsed_s = 0;
  std::uint64_t connections_opened = 0;
  std::optional<std::uint64_t> unsent{};  // open loop: scheduled requests never sent
};

std::string render_report(const Options& options, const Stats& stats, const RunSummary& summary);

std::string render_held_line(std::uint64_t held, std::uint64_t failed);

// Writes line and a newline to stdout and flushes.
void print_line(std::string_view line);

}  // namespace ccgate::bench
