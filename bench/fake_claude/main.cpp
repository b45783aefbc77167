// ccgate-bench-fake-claude: the stub Claude Code CLI of the gateway benchmarks (see
// bench/fake_claude/fake_cli.hpp and the bench contract, section 3). For the soak it also plays
// a faulty CLI on request (FAKE[crash_after|hang_after|garbage|probe_mcp|tag=…], see
// fake_claude/directive.hpp and --help).

#include <fmt/format.h>

#include <exception>

#include "common/clock.hpp"
#include "fake_claude/arguments.hpp"
#include "fake_claude/fake_cli.hpp"
#include "fake_claude/signals.hpp"
#include "fake_claude/transcript.hpp"

int main(int argc, char** argv) {
  using namespace ccgate::bench;
  const auto started_ns = now_ns();
  install_signal_handlers();
  Arguments arguments;
  try {
    arguments = parse_arguments(argc, argv);
  } catch (const std::exception& bad) {
    fmt::print(stderr, "fake-claude: bad --mcp-config: {}\n", bad.what());
    return 2;
  }
  if (arguments.help) {
    fmt::print("{}", usage_text());
    return 0;
  }
  try {
    FakeCli cli(arguments, started_ns);
    cli.run();
  } catch (const OutputClosed&) {
    return 0;  // ccgate has gone: nobody is left to answer
  } catch (const std::exception& failed) {
    fmt::print(stderr, "fake-claude: {}\n", failed.what());
    return 1;
  }
  return 0;
}
