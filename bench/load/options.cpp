#include "load/options.hpp"

#include <charconv>
#include <cmath>
#include <optional>

#include "load/plan.hpp"

namespace ccgate::bench {

namespace {

constexpr std::string_view kUsage =
    R"(usage: ccgate-bench-load --url http://HOST:PORT/PATH [options]

  --body-file F          POST this file's bytes (content-type: application/json); else GET
  --header 'Name: value' extra request header, repeatable
  --mode closed|open|hold                                         (default closed)
  --concurrency C        connections (closed, open) or streams to hold (hold)  (default 1)
  --rate R               open loop: requests per second, constant spacing
  --duration-s S         closed/open: length of the measured phase    (default 10)
  --requests N           closed: stop after N requests (0 = no limit, default)
  --warmup N             closed/open: unrecorded requests before the measured phase (default 0)
  --sse                  parse response bodies as SSE and record stream metrics
  --expect-events N      SSE: a stream with fewer content deltas counts as lost
  --timeout-s T          per request, send to end of response         (default 60)
  --hold-s S             hold mode: longest time to hold              (default 3600)
  --connect-parallel P   hold mode: streams being opened at once      (default 64)
  --help                 this text
)";

std::optional<std::uint64_t> parse_count(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> parse_number(std::string_view text) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || !std::isfinite(value) ||
      value < 0)
    return std::nullopt;
  return value;
}

std::optional<Mode> parse_mode(std::string_view text) {
  if (text == "closed") return Mode::closed;
  if (text == "open") return Mode::open;
  if (text == "hold") return Mode::hold;
  return std::nullopt;
}

bool assign_count(std::uint64_t& field, std::string_view value) {
  const auto parsed = parse_count(value);
  if (parsed) field = *parsed;
  return parsed.has_value();
}

bool assign_number(double& field, std::string_view value) {
  const auto parsed = parse_number(value);
  if (parsed) field = *parsed;
  return parsed.has_value();
}

// Applies one "--name value" pair; false when the value does not fit the flag.
// The flag must be known (see takes_value).
bool apply(Options& options, std::string_view name, std::string_view value) {
  if (name == "--url") {
    options.url = value;
    return true;
  }
  if (name == "--body-file") {
    options.body_file = value;
    return true;
  }
  if (name == "--header") {
    if (value.find(':') == std::string_view::npos) return false;
    options.headers.emplace_back(value);
    return true;
  }
  if (name == "--mode") {
    const auto mode = parse_mode(value);
    if (mode) options.mode = *mode;
    return mode.has_value();
  }
  if (name == "--concurrency") return assign_count(options.concurrency, value);
  if (name == "--rate") return assign_number(options.rate, value);
  if (name == "--duration-s") return assign_number(options.duration_s, value);
  if (name == "--requests") return assign_count(options.requests, value);
  if (name == "--warmup") return assign_count(options.warmup, value);
  if (name == "--expect-events") return assign_count(options.expect_events, value);
  if (name == "--timeout-s") return assign_number(options.timeout_s, value);
  if (name == "--hold-s") return assign_number(options.hold_s, value);
  if (name == "--connect-parallel") return assign_count(options.connect_parallel, value);
  return false;
}

bool takes_value(std::string_view name) {
  constexpr std::string_view kValueFlags[] = {
      "--url",       "--body-file",  "--header",          "--mode",   "--concurrency",
      "--rate",      "--duration-s", "--requests",        "--warmup", "--expect-events",
      "--timeout-s", "--hold-s",     "--connect-parallel"};
  for (const auto flag : kValueFlags)
    if (flag == name) return true;
  return false;
}

std::optional<std::string> check(const Options& options) {
  if (options.url.empty()) return "--url is required";
  if (!parse_url(options.url)) return "--url must be http://HOST[:PORT][/PATH]";
  if (options.concurrency == 0) return "--concurrency must be at least 1";
  if (options.mode == Mode::open && options.rate <= 0) return "--mode open needs --rate > 0";
  if (options.duration_s <= 0) return "--duration-s must be positive";
  if (options.timeout_s <= 0) return "--timeout-s must be positive";
  if (options.hold_s <= 0) return "--hold-s must be positive";
  if (options.connect_parallel == 0) return "--connect-parallel must be at least 1";
  return std::nullopt;
}

}  // namespace

std::string_view mode_name(Mode mode) {
  switch (mode) {
    case Mode::closed:
      return "closed";
    case Mode::open:
      return "open";
    case Mode::hold:
      return "hold";
  }
  return "closed";
}

std::string_view usage() {
  return kUsage;
}

ParsedCommandLine parse_command_line(std::span<char* const> arguments) {
  Options options;
  for (std::size_t i = 1; i < arguments.size(); ++i) {
    const std::string_view argument = arguments[i];
    if (argument == "--help" || argument == "-h") return HelpRequested{};
    if (argument == "--sse") {
      options.sse = true;
      continue;
    }
    std::string_view name = argument;
    std::string_view value;
    const auto equals = argument.find('=');
    const bool inline_value = argument.starts_with("--") && equals != std::string_view::npos;
    if (inline_value) {
      name = argument.substr(0, equals);
      value = argument.substr(equals + 1);
    }
    if (!takes_value(name)) return UsageError{"unknown option " + std::string(argument)};
    if (!inline_value) {
      if (i + 1 >= arguments.size()) return UsageError{std::string(name) + " needs a value"};
      value = arguments[++i];
    }
    if (!apply(options, name, value))
      return UsageError{"bad value for " + std::string(name) + ": '" + std::string(value) + "'"};
  }
  if (auto problem = check(options)) return UsageError{std::move(*problem)};
  return options;
}

}  // namespace ccgate::bench
