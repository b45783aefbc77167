#pragma once
// SessionManager: the live conversations. Finds the session a request continues by its earlier
// messages matching a live conversation (the ToolCallManager knows which session a tool_call id
// belongs to), and starts, expires and ends sessions (MAX_SESSIONS, SESSION_IDLE_TIMEOUT). At
// MAX_SESSIONS, the least recently used idle session makes room for a new one; only when every
// session is busy is a start refused. Thread-safe.
//
// Spares (SPARE_SESSIONS): a Claude Code process takes about half a second to start (its own
// start-up, then the MCP handshake with ccgate) before it can take a first message. A spare is a
// whole session started ahead — its own dir, id, MCP secret and endpoints — for a launch key (see
// LaunchKey): everything the CLI is fixed to at launch. A new conversation with the same key
// adopts a ready spare instead of starting a CLI, and each new conversation starts a spare for its
// key in the background while SPARE_SESSIONS and a free place under MAX_SESSIONS allow. Spares
// count against MAX_SESSIONS, are the first to make room, end after SPARE_IDLE_TIMEOUT unused,
// and end at shutdown like every session.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "gateway/session.hpp"
#include "gateway/settings.hpp"
#include "gateway/tool_call_manager.hpp"
#include "openai/chat_request.hpp"

namespace ccgate::gateway {

// Every session is busy (a turn runs, or a tool call waits for the client's result).
class TooManySessions : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The gateway is shutting down: no session starts any more.
class ShuttingDown : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A digest of the first `count` messages, as the gateway compares conversations: role, text
// (trimmed), tool call ids and names, tool_call_id.
std::string conversation_digest(const std::vector<openai::Message>& messages, std::size_t count);

// What a Claude Code process is fixed to at launch: its program, flags (model, effort), system
// prompt, MCP tools (listed once, at start) and the operator's MCP servers (in its
// --mcp-config). A spare serves only a conversation with its key.
struct LaunchKey {
  std::string cli_path;
  std::string model;
  std::string effort;
  std::string system_prompt;
  std::string tools_signature;
  std::vector<std::string> mcp_servers{};  // the names of the operator's servers it gets
  bool operator==(const LaunchKey&) const = default;
};

// The sessions now, by state, and what happened to sessions so far (for the metrics).
struct SessionTally {
  std::size_t running = 0;           // a turn runs
  std::size_t waiting_for_tool = 0;  // no turn runs; tool calls handed to the client are unanswered
  std::size_t idle = 0;              // waiting for the conversation's next request
  std::size_t spare = 0;             // started ahead, not adopted yet
  std::uint64_t evicted = 0;         // ended to make room at MAX_SESSIONS, or idle too long
  std::uint64_t refused = 0;         // starts refused: every session busy at MAX_SESSIONS
};

// A live session as operators see it (the status page): never its messages, secret or prompt.
struct SessionView {
  enum class State { spare, idle, running, waiting_for_tools };
  std::string id;  // the first 8 characters, as the log lines show it
  std::string model;
  State state = State::idle;
  Session::Clock::duration age{};
  Session::Clock::duration idle_for{};  // since its last activity
  std::size_t pending_tool_calls = 0;   // handed to the client, no result yet
};
std::string_view state_name(SessionView::State state);

class SessionManager {
 public:
  SessionManager(const Settings& settings, asio::any_io_executor home, ToolCallManager& tool_calls)
      : settings_(settings), home_(std::move(home)), tool_calls_(tool_calls) {}
  ~SessionManager();
  SessionManager(const SessionManager&) = delete;
  SessionManager& operator=(const SessionManager&) = delete;

  const Settings& settings() const { return settings_; }

  std::shared_ptr<Session> find(std::string_view id) const;
  // An idle live session whose conversation is the start of `request`'s messages (same model,
  // same tools, same system prompt, same operator MCP servers), with new messages after it.
  std::shared_ptr<Session> find_by_conversation(
      const openai::ChatRequest& request, const ToolSet& tools, std::string_view system_prompt,
      const std::vector<std::string>& mcp_servers = {}) const;
  // A new session, its first turn begun (see Session). At MAX_SESSIONS the least recently used
  // idle session is ended to make room. Throws TooManySessions when every session is busy,
  // ShuttingDown after begin_shutdown(), std::runtime_error when the CLI cannot start.
  asio::awaitable<std::shared_ptr<Session>> start(Session::Identity identity,
                                                  claude::LaunchSettings launch);
  // A ready spare for `key`, taken for a new conversation: its first turn begun, as start()
  // gives. Null when there is none (or during shutdown).
  std::shared_ptr<Session> adopt_spare(const LaunchKey& key);
  // Starts a spare for `key` in the background, when SPARE_SESSIONS has room for one more and
  // MAX_SESSIONS a free place: a spare never ends a conversation to make room.
  void start_spare(LaunchKey key, Session::Identity identity, claude::LaunchSettings launch);
  std::size_t spares() const;
  // Ends the session: removed, its pending tool calls cancelled, its process ended, dir removed.
  void end(const std::shared_ptr<Session>& session);
  void end_all();
  // Ends sessions idle past SESSION_IDLE_TIMEOUT, returning how many, and spares unused past
  // SPARE_IDLE_TIMEOUT.
  std::size_t sweep_idle(Session::Clock::time_point now = Session::Clock::now());
  std::size_t size() const;
  SessionTally tally() const;
  // The live sessions, oldest first.
  std::vector<SessionView> list(Session::Clock::time_point now = Session::Clock::now()) const;

  // Shutdown has begun: no session starts any more; every pending tool call gets an error result
  // now; sessions with no turn running are ended, the others when their turn ends.
  void begin_shutdown();
  bool shutting_down() const;

 private:
  struct Spare {
    LaunchKey key;
    std::shared_ptr<Session> session;
  };
  Session::Setup setup(bool spare);
  asio::awaitable<void> prestart(LaunchKey key, Session::Identity identity,
                                 claude::LaunchSettings launch);
  std::shared_ptr<Session> make_room_locked();

  const Settings& settings_;
  asio::any_io_executor home_;
  ToolCallManager& tool_calls_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Session>, std::less<>> sessions_;
  std::size_t starting_ = 0;         // sessions whose CLI is being started now
  std::vector<Spare> spares_;        // ready, oldest first; each also in sessions_
  std::size_t spares_starting_ = 0;  // of starting_
  bool shutting_down_ = false;
  std::uint64_t evicted_ = 0;
  std::uint64_t refused_ = 0;
};

}  // namespace ccgate::gateway
