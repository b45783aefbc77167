#pragma once
// One conversation: one Claude Code process in its own private temp dir, with the MCP secret
// that lets only this process reach its MCP endpoints.
//
// Threads: the process lives on the session's home executor (the gateway's own event loop): it
// is spawned, written to, read and destroyed there only, since its descriptors belong to that
// loop. HTTP and MCP handlers on other threads read its stdout lines through a bounded,
// thread-safe queue and write to it through the home executor. The bookkeeping (turns, tool
// calls, conversation) is guarded by a mutex.
//
// Turns: the right to read the CLI's output is the turn. Whoever begins it (a request, or a drain
// after an interrupted or expired turn) is its only reader until it ends the turn; a second
// concurrent reader is a logic error. A new session is created with its first turn begun.

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "claude/launch.hpp"
#include "claude/process.hpp"
#include "claude/temp_dir.hpp"
#include "gateway/operator_mcp.hpp"
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
    std::vector<OperatorMcpServer> mcp_servers{};  // the operator's servers it got
  };

  using Hook = std::function<void(const std::shared_ptr<Session>&)>;
  struct Setup {
    std::size_t max_line_size = 16 * 1024 * 1024;  // MAX_LINE_SIZE: one stdout line
    std::size_t max_line_depth = 128 + 16;         // nesting read in a stdout line
    // Gets the session on the home executor before the CLI starts, so that whatever the CLI
    // calls first (the MCP endpoints) can already find it. Everything but the process is set up.
    Hook announce;
    // Called on the home executor when the CLI's stdout has ended (it exited or crashed) while
    // no turn runs (or while it is a spare): nobody else will notice, so the owner ends it.
    Hook output_ended;
    // A spare: started before any conversation needs it. Its first turn is held until a
    // conversation claims it (claim_spare()); until then nobody reads or writes it.
    bool spare = false;
  };

  // Makes the private dir and the CLI's launch files, then announces the session and spawns the
  // CLI, all on `home` (the caller may await it from any executor). Throws std::runtime_error
  // (std::system_error from the spawn) saying why it cannot.
  static asio::awaitable<std::shared_ptr<Session>> start(asio::any_io_executor home,
                                                         Identity identity,
                                                         claude::LaunchSettings launch,
                                                         Setup setup);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const Identity& identity() const { return identity_; }
  const std::string& id() const { return identity_.id; }
  const ToolSet& tools() const { return *identity_.tools; }

  // What the CLI's stdout gave the reader.
  struct Output {
    enum class Kind { line, idle, end };
    Kind kind = Kind::end;
    std::string line;                 // line: one non-empty stdout line
    boost::system::error_code ended;  // end: eof (stdout closed), message_size (a line longer
                                      // than MAX_LINE_SIZE), operation_aborted (session ended),
                                      // or how reading failed
  };
  // The next line, or `idle` when none came within `idle` (a keep-alive tick), or the end. A
  // line that arrives as the wait runs out is returned, never dropped. Only the turn's holder
  // reads (std::logic_error for a second concurrent reader); asio cancellation is honoured.
  asio::awaitable<Output> next_output(std::chrono::milliseconds idle);
  // The next line; nullopt once the output has ended.
  asio::awaitable<std::optional<std::string>> next_line();
  enum class TurnEnd { result, ended, timed_out };
  // Reads (and drops) lines up to the CLI's result line, the end of its output, or `limit`.
  asio::awaitable<TurnEnd> skip_to_turn_end(
      std::chrono::milliseconds limit = std::chrono::milliseconds::max());
  // Writes to the CLI's stdin (on the home executor). Throws boost::system::system_error when
  // the CLI no longer takes input.
  asio::awaitable<void> write(std::string bytes);
  // Asks the CLI to stop the turn it is running (a control request on stdin: a signal would end
  // the process). It then writes the turn's result line and waits for the next turn.
  asio::awaitable<void> interrupt();
  // Ends the process group, reaps it, removes the dir. Idempotent, any thread, returns at once.
  void close();
  bool closed() const;

  // Turn bookkeeping (any thread).
  // Begins a turn for a request: false while another turn runs, or once closed or expired.
  bool try_begin_turn();
  // Begins a turn that only finishes the CLI's work (a drain): allowed on an expired session.
  bool try_begin_drain();
  // Ends the turn. True when the session must end now rather than wait for the next turn: a
  // tool call of it expired, or its CLI's output has ended.
  bool end_turn();
  bool busy() const;
  // Idle: no turn runs and the session is not closing. retire() claims an idle session to end it
  // and make room, atomically: only while no turn runs and `unanswered_calls()` (asked under the
  // session's lock, so no turn can begin and hand out calls meanwhile) is zero.
  bool idle() const;
  bool retire(const std::function<std::size_t()>& unanswered_calls);
  // Takes a spare out of the spare pool, with its first turn (to serve a conversation, or to end
  // it): false when it is no spare (any more), is closing, or its CLI has already exited.
  bool claim_spare();
  bool spare() const;
  void set_tools_allowed(bool allowed);
  bool tools_allowed() const;
  // User lines written while the CLI ran its tools that it has not yet taken into a turn (see
  // CliStreamTranslator): carried from one response to the next.
  void set_user_lines_in_flight(std::size_t count);
  std::size_t user_lines_in_flight() const;
  // Server-side tool calls (tool_use id → the CLI's tool name) whose result had not come when a
  // response ended: the next response reports them.
  void set_server_tools_in_flight(std::map<std::string, std::string> calls);
  std::map<std::string, std::string> server_tools_in_flight() const;
  void remember_conversation(std::size_t message_count, std::string digest);
  std::size_t known_messages() const;
  const std::string conversation_digest() const;
  Clock::time_point last_active() const;
  Clock::time_point created() const { return created_; }
  void mark_expired();
  bool expired() const;

 private:
  // One stdout line, or (with an error code) the end of the output.
  using Lines =
      asio::experimental::concurrent_channel<void(boost::system::error_code, std::string)>;

  Session(asio::any_io_executor home, Identity identity, claude::TempDir dir);
  void spawn(const claude::LaunchSpec& spec, std::size_t max_line_size);
  asio::awaitable<void> read_stdout(Hook output_ended);
  bool output_has_ended();
  // What a receive from the line queue gave the reader: a line, or the end (remembered).
  Output take(boost::system::error_code received, std::string line);
  static asio::awaitable<void> write_on_home(std::shared_ptr<Session> self, std::string bytes);
  asio::awaitable<void> shut_down();
  bool idle_locked() const;

  asio::any_io_executor home_;
  Identity identity_;
  claude::TempDir dir_;
  std::optional<claude::Process> process_;  // touched on home_ only
  Lines lines_;
  std::atomic<bool> reading_ = false;  // a reader is in next_output()
  std::size_t max_line_depth_ = 0;     // Setup::max_line_depth

  mutable std::mutex mutex_;
  bool busy_ = true;  // the first turn belongs to whoever started the session
  bool closing_ = false;
  bool expired_ = false;
  bool output_ended_ = false;                     // the CLI's stdout reached its end
  bool spare_ = false;                            // see Setup::spare
  std::optional<boost::system::error_code> end_;  // the reader has seen the end of the output
  bool tools_allowed_ = true;
  std::size_t known_messages_ = 0;
  std::size_t user_lines_in_flight_ = 0;
  std::map<std::string, std::string> server_tools_in_flight_;
  std::string conversation_digest_;
  Clock::time_point last_active_ = Clock::now();
  const Clock::time_point created_ = Clock::now();
  std::uint64_t interrupts_ = 0;
};

// The --mcp-config JSON that points this session's CLI at ccgate's MCP endpoints, and at the
// operator's servers it gets.
std::string mcp_config_json(std::string_view mcp_base_url, std::string_view session_id,
                            std::string_view secret, std::chrono::milliseconds tool_call_timeout,
                            const std::vector<OperatorMcpServer>& operator_servers = {});

}  // namespace ccgate::gateway
