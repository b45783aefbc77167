#include "mock/options.hpp"

#include <charconv>
#include <limits>

namespace ccgate::bench {
namespace {

template <class Number>
Number parse_number(std::string_view flag, std::string_view text, Number lowest, Number highest) {
  Number value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < lowest || value > highest)
    throw UsageError(std::string(flag) + ": not a number in range: " + std::string(text));
  return value;
}

}  // namespace

std::string_view mock_usage() {
  return "usage: ccgate-bench-mock [--host 127.0.0.1] [--port 0] [--threads 1]\n"
         "  A mock LLM upstream (OpenAI /v1/chat/completions, Anthropic /v1/messages) for\n"
         "  benchmarks. Prints 'listening <port>' when ready; stops on SIGTERM/SIGINT.\n"
         "  Per-request behaviour: MOCK[key=value;...] in the body or x-mock-<key> headers:\n"
         "  delay_ms status chunks interval_ms interval_us chunk_bytes response_bytes hold=1,\n"
         "  and faults: reset=1 reset_after=N malformed_at=N html=1 (mock/directives.hpp).\n";
}

MockOptions parse_mock_options(int argc, char** argv) {
  MockOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      options.help = true;
      continue;
    }
    // Both "--flag value" and "--flag=value".
    std::string_view value;
    if (const auto equals = flag.find('='); equals != std::string_view::npos) {
      value = flag.substr(equals + 1);
      flag = flag.substr(0, equals);
    } else if (flag == "--host" || flag == "--port" || flag == "--threads") {
      if (i + 1 >= argc) throw UsageError(std::string(flag) + " needs a value");
      value = argv[++i];
    }
    if (flag == "--host") {
      if (value.empty()) throw UsageError("--host needs a value");
      options.host = value;
    } else if (flag == "--port") {
      options.port = parse_number<std::uint16_t>(flag, value, 0, 65535);
    } else if (flag == "--threads") {
      options.threads = parse_number<unsigned>(flag, value, 1, 1024);
    } else {
      throw UsageError("unknown flag: " + std::string(argv[i]));
    }
  }
  return options;
}

}  // namespace ccgate::bench
