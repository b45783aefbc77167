#pragma once
// The command line of ccgate-bench-load (bench contract, section 2).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ccgate::bench {

enum class Mode { closed, open, hold };

std::string_view mode_name(Mode mode);

struct Options {
  std::string url{};
  std::string body_file{};             // empty: the request is a GET
  std::vector<std::string> headers{};  // "Name: value", sent as given
  Mode mode = Mode::closed;
  std::uint64_t concurrency = 1;
  double rate = 0;  // open loop: requests per second
  double duration_s = 10;
  std::uint64_t requests = 0;  // closed loop: 0 = no limit
  std::uint64_t warmup = 0;
  bool sse = false;
  std::uint64_t expect_events = 0;
  double timeout_s = 60;
  double hold_s = 3600;
  std::uint64_t connect_parallel = 64;
};

struct HelpRequested {};
struct UsageError {
  std::string message;
};
using ParsedCommandLine = std::variant<Options, HelpRequested, UsageError>;

ParsedCommandLine parse_command_line(std::span<char* const> arguments);

std::string_view usage();

}  // namespace ccgate::bench
