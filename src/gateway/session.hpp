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
#include <boost/asio/steady_timer.hpp>
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
#include "gateway/conversation.hpp"
#include "gateway/operator_mcp.hpp"
#include "gateway/policy_ledger.hpp"
#include "gateway/tool_manager.hpp"

namespace ccgate::gateway {

namespace asio = boost::asio;

// Why a session's Claude Code process was ended: a small fixed set, the metrics' cause label.
enum class ExitCause {
  client_closed,      // the client left before it had the whole reply
  turn_error,         // the turn ended in an error (the CLI's, or output ccgate cannot use)
  crashed,            // the CLI exited by itself, or stopped taking input
  timeout,            // TURN_TIMEOUT or INTERRUPT_TIMEOUT ran out
  tool_call_timeout,  // a tool call's result did not come within TOOL_CALL_TIMEOUT
  idle,               // SESSION_IDLE_TIMEOUT (a spare: SPARE_IDLE_TIMEOUT)
  evicted,            // made room for a new conversation at MAX_SESSIONS
  shutdown,           // ccgate is stopping
  deleted,            // DELETE /v1/conversations/{id}
  replaced,           // its name went on with another model, tool set or system prompt
};
inline constexpr std::size_t kExitCauses = 10;
std::string_view exit_cause_name(ExitCause cause);

class Session : public std::enable_shared_from_this<Session> {
 public:
  using Clock = std::chrono::steady_clock;

  struct Identity {
    std::string id;
    std::string secret;
    std::string model;
    std::string system_prompt;
    std::shared_ptr<const ToolSet> tools;
    // The Claude Code built-ins this conversation may use (gateway.builtin_tools); empty: none.
    std::vector<std::string> builtin_tools{};
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
    // Told once, with the time since the start began, when the CLI is ready (mark_ready()).
    std::function<void(Clock::duration)> ready;
    // Told on the home executor once the process has been ended and reaped, with the cause
    // close() was first given.
    std::function<void(ExitCause)> exited;
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
  // The tool policy's count of this conversation's calls and its decisions (gateway.policy:).
  PolicyLedger& policy_ledger() { return policy_ledger_; }
  // Where the session's files live; work() is the CLI's working dir (the conversation's dir).
  const claude::SessionLayout& layout() const { return layout_; }

  // Work the gateway runs for the session on its home executor (a server-side tool's process):
  // a Task is held while it runs; closing the session stops it (stopped() completes) and waits
  // for it to end before the dir is removed. Home executor only.
  class Task {
   public:
    explicit Task(std::shared_ptr<Session> session);
    ~Task();
    Task(const Task&) = delete;
    Task& operator=(const Task&) = delete;
    // Completes once the session is closing.
    asio::awaitable<void> stopped() const;

   private:
    std::shared_ptr<Session> session_;
  };

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
  // Ends the process group, reaps it, removes the dir. Idempotent (the first cause is the one
  // told; false for a later call), any thread, returns at once.
  bool close(ExitCause cause);
  bool closed() const;
  // Why it was closed (the first close()'s cause); shutdown until then.
  ExitCause exit_cause() const;

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
  // The CLI has listed the tools of ccgate's MCP server: its start-up is over (Setup::ready, the
  // first time only).
  void mark_ready();

  // Explicit conversations (see conversation.hpp): the name it was started under, if any.
  void set_conversation_key(ConversationKey key);
  std::optional<ConversationKey> conversation_key() const;
  // Whose conversation it is: client_scope() of the key that started it (named or not). Only
  // requests with the same key continue it or answer its tool calls.
  void set_client_scope(std::string scope);
  std::string client_scope() const;
  // A turn was served: its tokens are added to the conversation's.
  void count_turn(std::uint64_t prompt_tokens, std::uint64_t completion_tokens);
  ConversationStats stats() const;
  // When it began to serve a conversation (a spare: when one adopted it).
  std::chrono::system_clock::time_point conversation_started() const;

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
  const claude::SessionLayout layout_;
  // Tasks (home executor only): how many run, and two never-expiring timers cancelled to wake
  // their waiters: `stop_tasks_` once closing, `tasks_done_` once the last task has ended.
  std::size_t tasks_ = 0;
  asio::steady_timer stop_tasks_;
  asio::steady_timer tasks_done_;
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
  ExitCause exit_cause_ = ExitCause::shutdown;  // the first close()'s
  std::function<void(Clock::duration)> ready_;  // Setup::ready, taken by mark_ready()
  std::function<void(ExitCause)> exited_;       // Setup::exited
  Clock::time_point starting_ = Clock::now();   // when start() began
  std::optional<ConversationKey> conversation_key_;
  std::string client_scope_;
  ConversationStats stats_;
  std::chrono::system_clock::time_point conversation_started_ = std::chrono::system_clock::now();
  PolicyLedger policy_ledger_;
};

// The --mcp-config JSON that points this session's CLI at ccgate's MCP endpoints, and at the
// operator's servers it gets.
std::string mcp_config_json(std::string_view mcp_base_url, std::string_view session_id,
                            std::string_view secret, std::chrono::milliseconds tool_call_timeout,
                            const std::vector<OperatorMcpServer>& operator_servers = {});

}  // namespace ccgate::gateway
