#pragma once
// The command line of ccgate-bench-gateway (bench contract, section 4).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ccgate::bench {

enum class Mode { turn, tool, idle };

std::string_view mode_name(Mode mode);

struct Options {
  std::string url;  // as given, for the report
  std::string host;
  std::string port;
  Mode mode = Mode::turn;
  std::size_t sessions = 1;
  std::size_t turns = 20;
  std::size_t lines = 8;
  std::uint64_t interval_us = 0;
  std::size_t chunk_bytes = 32;
  std::size_t warmup = 2;
  double timeout_s = 60;
};

// The options, or the exit status when the program should stop here: 0 after --help, 2 after
// a bad command line (the error is on stderr).
struct ParsedOptions {
  std::optional<Options> options;
  int exit_status = 0;
};

ParsedOptions parse_options(int argc, char** argv);

}  // namespace ccgate::bench
