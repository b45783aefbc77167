#pragma once
// Helpers for the gateway room's tests: OpenAI tools and requests from JSON text, and live
// sessions whose "Claude Code" is a harmless /bin/sh script, on an event loop of their own.

#include <gtest/gtest.h>
#include <signal.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "claude_test_support.hpp"
#include "gateway/meters.hpp"
#include "gateway/session_manager.hpp"
#include "gateway/settings.hpp"
#include "gateway/tool_call_manager.hpp"
#include "gateway/tool_manager.hpp"
#include "openai/chat_request.hpp"

namespace ccgate::gateway::test_support {

namespace asio = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline openai::Tool tool(std::string name, std::string description = "A client tool.",
                         std::string_view schema = R"({"type":"object","properties":{}})") {
  return openai::Tool{std::move(name), std::move(description), json::parse(schema).as_object()};
}

// A request as the client sends it: `messages` is the JSON array text.
inline openai::ChatRequest chat(std::string_view messages, std::string model = "sonnet") {
  return openai::parse_chat_request(
      json::object{{"model", std::move(model)}, {"messages", json::parse(messages)}});
}

// Waits until `condition()` holds, polling; false if it still does not after `limit`.
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds limit = 3000ms) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// No such process any more: exited and reaped (a zombie would still answer kill(pid, 0)).
inline bool process_gone(pid_t pid) {
  return ::kill(pid, 0) == -1 && errno == ESRCH;
}

// A SessionManager whose sessions run a stand-in CLI that prints "<pid> <HOME>" and then echoes
// each line written to it, until it is ended. The event loop runs on its own thread, as the gateway
// door's does.
class FakeCliSessions : public ::testing::Test {
 protected:
  struct Started {
    std::shared_ptr<Session> session;
    pid_t pid = -1;
    fs::path dir;  // the session's private temp dir (HOME is inside it)
  };

  FakeCliSessions() {
    settings_.max_sessions = 3;
    settings_.session_idle_timeout = 1000ms;
    loop_thread_ = std::thread([this] { io_.run(); });
  }

  ~FakeCliSessions() override { stop_loop(); }

  // Ends every session and waits until each process is reaped and each dir removed. A derived
  // fixture whose members may still be in use by running coroutines calls it in its destructor.
  void stop_loop() {
    if (!loop_thread_.joinable()) return;
    sessions_.end_all();
    work_.reset();
    if (!eventually([this] { return io_.stopped(); }, 10'000ms)) {
      ADD_FAILURE() << "sessions still running 10 s after end_all()";
      io_.stop();
    }
    loop_thread_.join();
  }

  Session::Identity identity(std::string model = "sonnet", std::string system_prompt = "Be brief.",
                             std::vector<openai::Tool> client_tools = {tool("get_weather")}) {
    const std::string id = "session-" + std::to_string(++count_);
    return Session::Identity{id, "secret-" + id, std::move(model), std::move(system_prompt),
                             tool_sets_.tool_set(client_tools)};
  }

  // What the door does: starts a session on the loop (its first turn begun) and waits for it.
  std::shared_ptr<Session> start_session(Session::Identity identity, fs::path cli) {
    claude::LaunchSettings launch;
    launch.cli_path = std::move(cli);
    auto starting = asio::co_spawn(io_, sessions_.start(std::move(identity), std::move(launch)),
                                   asio::use_future);
    if (starting.wait_for(10s) != std::future_status::ready)
      throw std::runtime_error("starting a session did not finish");
    return starting.get();
  }

  // A session of the stand-in CLI, its first line read and its first turn ended (idle).
  Started start(Session::Identity identity) {
    Started started;
    started.session = start_session(std::move(identity), cli_);
    auto first_line = asio::co_spawn(io_, started.session->next_line(), asio::use_future);
    if (first_line.wait_for(5s) != std::future_status::ready)
      throw std::runtime_error("the stand-in CLI printed nothing");
    const auto line = first_line.get();
    if (!line) throw std::runtime_error("the stand-in CLI closed its stdout");
    std::istringstream fields(*line);
    std::string home;
    fields >> started.pid >> home;
    started.dir = fs::path(home).parent_path();
    started.session->end_turn();
    return started;
  }

  Started start() { return start(identity()); }

  // What the HTTP side does: writes to the CLI's stdin (the stand-in echoes it to stdout).
  void write_line(const std::shared_ptr<Session>& session, std::string line) {
    auto written = asio::co_spawn(io_, session->write(std::move(line) + "\n"), asio::use_future);
    if (written.wait_for(5s) != std::future_status::ready)
      throw std::runtime_error("writing to the stand-in CLI did not finish");
    written.get();
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  Settings settings_;
  ToolManager tool_sets_{300'000ms};
  metrics::Registry registry_;
  metrics::Instruments instruments_{registry_};
  Meters meters_{instruments_};
  ToolCallManager tool_calls_{meters_};
  SessionManager sessions_{settings_, io_.get_executor(), tool_calls_, meters_};
  claude::test_support::Scripts scripts_;
  fs::path cli_ = scripts_.write("fake-claude", R"(echo "$$ $HOME"
exec cat)");
  int count_ = 0;
  std::thread loop_thread_;
};

}  // namespace ccgate::gateway::test_support
