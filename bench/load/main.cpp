// ccgate-bench-load: the load client of ccgate's benchmarks (bench contract, section 2).

#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <variant>

#include "load/options.hpp"
#include "load/plan.hpp"
#include "load/report.hpp"
#include "load/runners.hpp"

namespace ccgate::bench {

namespace {

// Hold mode keeps thousands of sockets; timers must fire on time for the open loop; a peer's
// close must not kill the process.
void prepare_process() {
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  ::signal(SIGPIPE, SIG_IGN);
}

asio::awaitable<RunResult> run_mode(const Plan& plan) {
  switch (plan.options.mode) {
    case Mode::open:
      return run_open_loop(plan);
    case Mode::hold:
      return run_hold(plan);
    case Mode::closed:
      break;
  }
  return run_closed_loop(plan);
}

RunResult run(const Plan& plan) {
  asio::io_context context(1);
  std::optional<RunResult> result;
  std::exception_ptr failure;
  auto on_finished = [&](std::exception_ptr error, RunResult finished) {
    failure = error;
    if (!error) result = std::move(finished);
  };
  asio::co_spawn(context, run_mode(plan), std::move(on_finished));
  context.run();
  if (failure) std::rethrow_exception(failure);
  return std::move(result).value();
}

void print_error(const std::string& message) {
  std::fprintf(stderr, "ccgate-bench-load: %s\n", message.c_str());
}

}  // namespace

int run_tool(std::span<char* const> arguments) {
  const auto command_line = parse_command_line(arguments);
  if (std::holds_alternative<HelpRequested>(command_line)) {
    std::fwrite(usage().data(), 1, usage().size(), stdout);
    return 0;
  }
  if (const auto* error = std::get_if<UsageError>(&command_line)) {
    print_error(error->message + " (see --help)");
    return 2;
  }
  Plan plan;
  try {
    plan = make_plan(std::get<Options>(command_line));
  } catch (const std::exception& error) {
    print_error(error.what());
    return 2;
  }
  prepare_process();
  try {
    const auto result = run(plan);
    print_line(render_report(plan.options, result.stats, result.summary));
    return 0;
  } catch (const std::exception& error) {
    print_error(error.what());
    return 1;
  }
}

}  // namespace ccgate::bench

int main(int argc, char** argv) {
  return ccgate::bench::run_tool(std::span<char* const>(argv, static_cast<std::size_t>(argc)));
}
