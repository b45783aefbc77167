#pragma once
// Helpers for the claude room's tests: run a coroutine on a private event loop with a time limit,
// write small /bin/sh scripts that stand in for the Claude Code CLI, and ask /proc about pids.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>

#include "claude/launch.hpp"
#include "claude/temp_dir.hpp"

namespace ccgate::claude::test_support {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Runs `task` to completion on `io`; fails the test (by throwing) if it takes longer than `limit`.
template <class T>
T run(asio::io_context& io, asio::awaitable<T> task, std::chrono::milliseconds limit = 8000ms) {
  bool finished = false;
  std::exception_ptr error;
  std::optional<std::conditional_t<std::is_void_v<T>, bool, T>> result;
  auto done = [&](std::exception_ptr e, auto... value) {
    finished = true;
    error = e;
    if (!e) result.emplace(std::move(value)...);
  };
  asio::co_spawn(io, std::move(task), done);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!finished && std::chrono::steady_clock::now() < deadline) {
    if (io.stopped()) io.restart();
    io.run_one_for(10ms);
  }
  if (!finished) throw std::runtime_error("the coroutine did not finish in time");
  if (error) std::rethrow_exception(error);
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

// A directory of fake CLIs, removed after the test.
class Scripts {
 public:
  std::filesystem::path write(const std::string& name, const std::string& body,
                              bool executable = true) {
    const auto path = directory_.path() / name;
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    ::chmod(path.c_str(), executable ? 0755 : 0644);
    return path;
  }
  const std::filesystem::path& path() const { return directory_.path(); }

 private:
  TempDir directory_ = TempDir::create("ccgate-claude-test-");
};

// A spec that runs `script` with `args`, this process's environment and no cwd change.
inline LaunchSpec spec_for(const std::filesystem::path& script,
                           std::vector<std::string> args = {}) {
  LaunchSpec spec{script, {script.string()}, current_environment(), {}};
  for (auto& arg : args) spec.argv.push_back(std::move(arg));
  return spec;
}

// The state letter from /proc/<pid>/stat ('R', 'S', 'Z', …), or nullopt if the pid is gone.
inline std::optional<char> process_state(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string content;
  if (!std::getline(stat, content)) return std::nullopt;
  const auto paren = content.rfind(')');
  if (paren == std::string::npos || paren + 2 >= content.size()) return std::nullopt;
  return content[paren + 2];
}

inline bool is_dead(pid_t pid) {
  const auto state = process_state(pid);
  return !state || *state == 'Z' || *state == 'X';
}

// Dead within `limit` (an orphan's zombie waits for whoever adopted it, which is not us).
inline bool dies_within(pid_t pid, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!is_dead(pid)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

}  // namespace ccgate::claude::test_support
