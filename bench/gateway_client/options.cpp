#include "gateway_client/options.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdio>
#include <stdexcept>

namespace ccgate::bench {
namespace {

constexpr std::string_view kUsage =
    R"(usage: ccgate-bench-gateway --url http://127.0.0.1:PORT --mode turn|tool|idle [options]

Drives ccgate's gateway door (POST /v1/chat/completions) while ccgate runs
ccgate-bench-fake-claude as its Claude Code CLI.

  --url URL           ccgate's base URL (required)
  --mode M            turn: streamed text turns; tool: a tool call and its result;
                      idle: open S conversations, then wait for a line on stdin (required)
  --sessions S        conversations at once (default 1)
  --turns N           recorded iterations per conversation (default 20)
  --warmup W          unrecorded iterations first (default 2)
  --lines L           turn: text deltas per answer (default 8)
  --interval-us I     turn: pause between the CLI's text lines (default 0)
  --chunk-bytes B     turn: bytes per text delta (default 32)
  --timeout-s T       per request (default 60)
  --help              this text
)";

class BadOption : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <typename Number>
Number number(std::string_view flag, std::string_view text) {
  Number value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size())
    throw BadOption(fmt::format("{}: '{}' is not a number", flag, text));
  return value;
}

Mode mode_from(std::string_view text) {
  if (text == "turn") return Mode::turn;
  if (text == "tool") return Mode::tool;
  if (text == "idle") return Mode::idle;
  throw BadOption(fmt::format("--mode: expected turn, tool or idle, not '{}'", text));
}

void set_url(std::string_view url, Options& options) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) throw BadOption("--url: expected http://HOST:PORT");
  options.url = std::string(url);
  std::string_view authority = url.substr(kScheme.size());
  authority = authority.substr(0, authority.find('/'));
  const auto colon = authority.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == authority.size())
    throw BadOption("--url: expected http://HOST:PORT");
  options.host = std::string(authority.substr(0, colon));
  options.port = std::string(authority.substr(colon + 1));
  (void)number<std::uint16_t>("--url port", options.port);
}

void apply(std::string_view flag, std::string_view value, Options& options) {
  if (flag == "--url") return set_url(value, options);
  if (flag == "--mode")
    options.mode = mode_from(value);
  else if (flag == "--sessions")
    options.sessions = number<std::size_t>(flag, value);
  else if (flag == "--turns")
    options.turns = number<std::size_t>(flag, value);
  else if (flag == "--warmup")
    options.warmup = number<std::size_t>(flag, value);
  else if (flag == "--lines")
    options.lines = number<std::size_t>(flag, value);
  else if (flag == "--interval-us")
    options.interval_us = number<std::uint64_t>(flag, value);
  else if (flag == "--chunk-bytes")
    options.chunk_bytes = number<std::size_t>(flag, value);
  else if (flag == "--timeout-s")
    options.timeout_s = number<double>(flag, value);
  else
    throw BadOption(fmt::format("unknown option {}", flag));
}

}  // namespace

std::string_view mode_name(Mode mode) {
  switch (mode) {
    case Mode::turn:
      return "turn";
    case Mode::tool:
      return "tool";
    case Mode::idle:
      return "idle";
  }
  return "turn";
}

ParsedOptions parse_options(int argc, char** argv) {
  Options options;
  bool mode_given = false;
  try {
    for (int index = 1; index < argc; ++index) {
      std::string_view flag = argv[index];
      if (flag == "--help") {
        fmt::print("{}", kUsage);
        return {std::nullopt, 0};
      }
      std::string_view value;
      if (const auto equals = flag.find('='); equals != std::string_view::npos) {
        value = flag.substr(equals + 1);
        flag = flag.substr(0, equals);
      } else if (index + 1 < argc) {
        value = argv[++index];
      } else {
        throw BadOption(fmt::format("{} needs a value", flag));
      }
      apply(flag, value, options);
      mode_given = mode_given || flag == "--mode";
    }
    if (options.url.empty()) throw BadOption("--url is required");
    if (!mode_given) throw BadOption("--mode is required");
    if (options.sessions == 0) throw BadOption("--sessions must be at least 1");
    if (!(options.timeout_s > 0)) throw BadOption("--timeout-s must be greater than 0");
  } catch (const BadOption& bad) {
    fmt::print(stderr, "ccgate-bench-gateway: {}\n{}", bad.what(), kUsage);
    return {std::nullopt, 2};
  }
  return {std::move(options), 0};
}

}  // namespace ccgate::bench
