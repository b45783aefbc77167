#pragma once
// One conversation: one Claude Code process in its own private temp dir, with the MCP secret
// that lets only this process reach its MCP endpoints. The process and its stdout reader live
// on the session's home executor; HTTP handlers on other threads read its lines through a
// thread-safe channel and write to it through that executor. Closing ends the process group,
// reaps it and removes the dir.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "claude/launch.hpp"
#include "claude/process.hpp"
#include "claude/temp_dir.hpp"
#include "gateway/tool_manager.hpp"

namespace ccgate::gateway {

namespace asio = boost::asio;

class Session : public std::enable_shared_from_this<Session> {
 public:
  using Clock = std::chrono::steady_clock;

  struct Identity {
    std::string id;
    std::string secret;
    std::string model;
    std::string system_prompt;
    std::shared_ptr<const ToolSet> tools;
  };

  using Announce = std::function<void(const std::shared_ptr<Session>&)>;
  // Makes the temp dir and spawns the CLI (throws std::runtime_error saying why it cannot).
  // `announce` gets the session just before the CLI starts, so that whatever the CLI calls
  // first (the MCP endpoints) can already find it.
  static std::shared_ptr<Session> start(asio::any_io_executor home, Identity identity,
                                        claude::LaunchSettings launch,
                                        const Announce& announce = {});
  ~Session();

  const Identity& identity() const { return identity_; }
  const std::string& id() const { return identity_.id; }
  const ToolSet& tools() const { return *identity_.tools; }

  // The next stdout line; nullopt once the CLI's stdout is closed. One reader at a time.
  asio::awaitable<std::optional<std::string>> next_line();
  // Reads (and drops) lines up to the CLI's result line, or to the end of its stdout.
  asio::awaitable<void> skip_to_turn_end();
  // Writes to the CLI's stdin (on the home executor).
  asio::awaitable<void> write(std::string bytes);
  void interrupt();
  // Ends the process group, reaps it, removes the dir. Idempotent, any thread, returns at once.
  void close();
  bool closed() const;

  // Turn bookkeeping (any thread).
  bool try_begin_turn();
  void end_turn();
  bool busy() const;
  void set_tools_allowed(bool allowed);
  bool tools_allowed() const;
  void remember_conversation(std::size_t message_count, std::string digest);
  std::size_t known_messages() const;
  const std::string conversation_digest() const;
  Clock::time_point last_active() const;
  void mark_expired();
  bool expired() const;

 private:
  using Lines =
      asio::experimental::concurrent_channel<void(boost::system::error_code, std::string)>;

  Session(asio::any_io_executor home, Identity identity, claude::TempDir dir);
  asio::awaitable<void> read_stdout();
  static asio::awaitable<void> write_on_home(std::shared_ptr<Session> self, std::string bytes);
  asio::awaitable<void> shut_down();

  asio::any_io_executor home_;
  Identity identity_;
  claude::TempDir dir_;
  std::optional<claude::Process> process_;  // set once the CLI is spawned
  Lines lines_;

  mutable std::mutex mutex_;
  bool busy_ = false;
  bool closing_ = false;
  bool expired_ = false;
  bool tools_allowed_ = true;
  std::size_t known_messages_ = 0;
  std::string conversation_digest_;
  Clock::time_point last_active_ = Clock::now();
};

// The --mcp-config JSON that points this session's CLI at ccgate's MCP endpoints.
std::string mcp_config_json(std::string_view mcp_base_url, std::string_view session_id,
                            std::string_view secret, std::chrono::milliseconds tool_call_timeout);

}  // namespace ccgate::gateway
