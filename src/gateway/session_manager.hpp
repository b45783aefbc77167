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
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "gateway/meters.hpp"
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
  std::string tools_signature;             // the client's tools and the executors (gateway.tools)
  std::vector<std::string> builtin_tools;  // gateway.builtin_tools for the model
  std::vector<std::string> mcp_servers{};  // the names of the operator's servers it gets
  bool operator==(const LaunchKey&) const = default;
};

// A live session as operators see it (the status page, and the metrics' sessions by state): never
// its messages, secret or prompt.
struct SessionView {
  enum class State { spare, idle, running, waiting_for_tools };
  std::string id;          // the first 8 characters, as the log lines show it
  std::string session_id;  // whole (the admin API's id is made of it)
  std::string name;        // an explicit conversation's name (x-ccgate-conversation)
  std::string model;
  State state = State::idle;
  Session::Clock::duration age{};
  Session::Clock::duration idle_for{};              // since its last activity
  std::size_t pending_tool_calls = 0;               // handed to the client, no result yet
  std::chrono::system_clock::time_point started{};  // when it began to serve its conversation
  ConversationStats stats{};
};
std::string_view state_name(SessionView::State state);

class SessionManager {
 public:
  // meters: where CLI starts and exits, and sessions evicted and refused, are counted.
  SessionManager(const Settings& settings, asio::any_io_executor home, ToolCallManager& tool_calls,
                 const Meters& meters)
      : settings_(settings), home_(std::move(home)), tool_calls_(tool_calls), meters_(meters) {}
  ~SessionManager();
  SessionManager(const SessionManager&) = delete;
  SessionManager& operator=(const SessionManager&) = delete;

  const Settings& settings() const { return settings_; }

  std::shared_ptr<Session> find(std::string_view id) const;
  // An idle live session whose conversation is the start of `request`'s messages (same model,
  // same tools, same system prompt, same operator MCP servers, same client), with new messages
  // after it.
  std::shared_ptr<Session> find_by_conversation(const openai::ChatRequest& request,
                                                const ToolSet& tools,
                                                std::string_view system_prompt,
                                                const std::vector<std::string>& mcp_servers = {},
                                                std::string_view client_scope = {}) const;
  // Explicit conversations (x-ccgate-conversation): a named conversation is found by its name
  // only (find_by_conversation never returns it).
  struct NamedTurn {
    enum class Outcome {
      continued,  // session: the request's messages extend its conversation; its turn is begun
      start,      // no live conversation has the name: it is reserved for the request's new
                  // session (bind_name once started, release_name if it cannot start)
      busy,       // its conversation is running a turn, or being started, now
      conflict,   // the request's messages do not extend the conversation
    };
    Outcome outcome = Outcome::start;
    std::shared_ptr<Session> session;
  };
  // A live conversation under another model, tool set or system prompt is ended ("replaced")
  // when the request extends it: the request starts a new one with the history as transcript.
  NamedTurn begin_named_turn(const ConversationKey& key, const openai::ChatRequest& request,
                             const ToolSet& tools, std::string_view system_prompt,
                             const std::vector<std::string>& mcp_servers = {});
  void bind_name(const ConversationKey& key, const std::shared_ptr<Session>& session);
  void release_name(const ConversationKey& key);
  // Called once for each session that served a conversation (not a spare never adopted) when it
  // ends, outside any lock, on whichever thread ends it. Set before any session starts.
  using EndHook = std::function<void(const Session&, ExitCause)>;
  void set_end_hook(EndHook hook) { end_hook_ = std::move(hook); }

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
  // Ends the session: removed, its pending tool calls cancelled, its process ended (counted under
  // `cause`, unless it was ending already), dir removed.
  void end(const std::shared_ptr<Session>& session, ExitCause cause);
  // The turn's reader is done: the session waits for its next turn, or ends (expired, its CLI
  // gone, or shutting down).
  void release_turn(const std::shared_ptr<Session>& session);
  void end_all();
  // Ends sessions idle past SESSION_IDLE_TIMEOUT, returning how many, and spares unused past
  // SPARE_IDLE_TIMEOUT.
  std::size_t sweep_idle(Session::Clock::time_point now = Session::Clock::now());
  std::size_t size() const;
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
  void forget_name_locked(const std::shared_ptr<Session>& session);
  // The end hook, for a session that served a conversation, if `cause` is the first it got.
  void report_end(const Session& session, ExitCause cause, bool first) const;

  const Settings& settings_;
  asio::any_io_executor home_;
  ToolCallManager& tool_calls_;
  const Meters& meters_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Session>, std::less<>> sessions_;
  std::size_t starting_ = 0;   // sessions whose CLI is being started now
  std::vector<Spare> spares_;  // ready, oldest first; each also in sessions_
  // Named conversations; null: reserved for a session being started.
  std::map<ConversationKey, std::shared_ptr<Session>> names_;
  EndHook end_hook_;
  std::size_t spares_starting_ = 0;  // of starting_
  bool shutting_down_ = false;
};

}  // namespace ccgate::gateway
