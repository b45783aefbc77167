#include "claude/version.hpp"

#include <fmt/format.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <charconv>
#include <stdexcept>
#include <utility>
#include <variant>

#include "claude/launch.hpp"
#include "claude/process.hpp"
#include "claude/temp_dir.hpp"

namespace ccgate::claude {
namespace {

constexpr std::size_t kMaxOutput = 64 * 1024;

struct Finished {
  std::string output;
  int status = 0;
};

asio::awaitable<Finished> read_to_exit(Process& process) {
  Finished finished;
  while (auto line = co_await process.read_line()) {
    if (finished.output.size() < kMaxOutput) finished.output += *line + "\n";
  }
  finished.status = co_await process.wait();
  co_return finished;
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

struct Leading {
  std::array<unsigned, 3> parts{};
  std::size_t length = 0;
};

// "X.Y.Z" at the start of `text`.
std::optional<Leading> leading_version(std::string_view text) {
  Leading leading;
  const char* at = text.data();
  const char* end = text.data() + text.size();
  for (std::size_t i = 0; i < leading.parts.size(); ++i) {
    if (i > 0) {
      if (at == end || *at != '.') return std::nullopt;
      ++at;
    }
    const auto [next, error] = std::from_chars(at, end, leading.parts[i]);
    if (error != std::errc{}) return std::nullopt;
    at = next;
  }
  leading.length = static_cast<std::size_t>(at - text.data());
  return leading;
}

bool starts_number(std::string_view text, std::size_t at) {
  const auto digit = [&](std::size_t i) {
    return std::isdigit(static_cast<unsigned char>(text[i]));
  };
  return digit(at) && (at == 0 || !(digit(at - 1) || text[at - 1] == '.'));
}

}  // namespace

std::optional<std::string> parse_version(std::string_view output) {
  for (std::size_t at = 0; at < output.size(); ++at) {
    if (!starts_number(output, at)) continue;
    if (auto version = leading_version(output.substr(at)))
      return std::string(output.substr(at, version->length));
  }
  return std::nullopt;
}

bool version_at_least(std::string_view version, std::string_view minimum) {
  const auto have = leading_version(version);
  const auto need = leading_version(minimum);
  return have && need && have->parts >= need->parts;
}

asio::awaitable<std::string> cli_version(asio::any_io_executor executor, std::filesystem::path cli,
                                         std::chrono::milliseconds timeout) {
  using namespace asio::experimental::awaitable_operators;
  TempDir directory = TempDir::create("ccgate-version-");
  create_session_layout(SessionLayout{directory.path()});
  LaunchSettings settings;
  settings.cli_path = cli;
  settings.session_dir = directory.path();
  const LaunchSpec spec{cli,
                        {cli.string(), "--version"},
                        cli_environment(settings, current_environment()),
                        SessionLayout{directory.path()}.work()};

  std::string first_error_line;
  Process process = [&] {
    try {
      return Process::spawn(executor, spec, [&first_error_line](std::string_view line) {
        if (first_error_line.empty() && !line.empty()) first_error_line = line;
      });
    } catch (const std::exception& error) {
      throw std::runtime_error(fmt::format("the Claude Code CLI cannot start: {}", error.what()));
    }
  }();

  auto outcome = co_await (read_to_exit(process) || sleep_for(timeout));
  if (outcome.index() == 1)
    throw std::runtime_error(
        fmt::format("the Claude Code CLI {} did not answer --version within {} ms", cli.string(),
                    timeout.count()));
  co_await (process.stderr_closed() || sleep_for(timeout));  // its last words, before judging
  const Finished finished = std::get<0>(std::move(outcome));
  if (finished.status != 0)
    throw std::runtime_error(
        fmt::format("the Claude Code CLI {} --version exited with status {}{}{}", cli.string(),
                    finished.status, first_error_line.empty() ? "" : ": ", first_error_line));
  if (auto version = parse_version(finished.output)) co_return *version;
  throw std::runtime_error(fmt::format("the Claude Code CLI {} --version printed no version: {}",
                                       cli.string(), finished.output.substr(0, 200)));
}

}  // namespace ccgate::claude
