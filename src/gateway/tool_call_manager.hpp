#pragma once
// ToolCallManager: the tool calls handed to HTTP clients and the MCP tools/call requests waiting
// for their results. Thread-safe: calls and results arrive on any thread.
//
// Two ids name one call. The CLI's tool_use id (the MCP call's claudecode/toolUseId) comes from
// the model and may repeat across conversations (an OpenAI-compatible model behind
// CLAUDE_CODE_BASE_URL=self numbers its calls call_0, call_1, … in every conversation). The
// client sees an id of ccgate's own, unique across conversations, and answers with it. So the
// waiting calls are keyed by session and CLI id, and the client's id leads to exactly one of
// them: a result reaches only the conversation that handed out the call.
//
// A result may arrive before its call (the client answers every call of a turn at once; the CLI
// makes the calls one by one): it is kept until the call comes.
//
// Each call handed out ends once, and is counted (Meters): completed when the client's result is
// delivered, timed_out when the CLI's wait for it ran out, cancelled when its session ended
// first.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "gateway/meters.hpp"
#include "mcp/backend.hpp"

namespace ccgate::gateway {

class ToolCallManager {
 public:
  explicit ToolCallManager(const Meters& meters) : meters_(meters) {}

  struct Awaited {
    mcp::CallResult result;
    bool timed_out = false;
  };

  // A turn of session_id ended handing the client the call client_id, which the CLI knows as
  // cli_id.
  void hand_out(const std::string& session_id, std::string client_id, std::string cli_id);
  // The session that handed out client_id and still waits for its result.
  std::optional<std::string> session_of(std::string_view client_id) const;
  // Calls of the session handed out and not answered yet.
  std::size_t unanswered(std::string_view session_id) const;

  // The HTTP side: the client's result for the call it knows as client_id. False (and nothing
  // delivered) unless session_id handed that call out and still waits for it.
  bool deliver(const std::string& session_id, std::string_view client_id, mcp::CallResult result);

  // The MCP side: the client's result for the session's call cli_id, or an error result after
  // `timeout` (the call handed out is over: a late result no longer finds it), or when the
  // session is cancelled. Honours asio cancellation (the MCP client went
  // away).
  boost::asio::awaitable<Awaited> await_result(std::string session_id, std::string cli_id,
                                               std::chrono::milliseconds timeout);

  // True once a call of the session is parked (at once if one is): the CLI is running its tools
  // and waits for the client. False after `timeout`, or when the session is cancelled.
  boost::asio::awaitable<bool> await_parked(std::string session_id,
                                            std::chrono::milliseconds timeout);

  // Every call of the session, waiting or not, ends with an error result; early results and
  // handed-out ids are dropped.
  void cancel_session(const std::string& session_id);

  std::size_t waiting() const;  // calls parked now
  std::size_t early() const;    // results kept for calls not arrived yet

  struct Slot;
  struct Watcher;

 private:
  using CallKey = std::pair<std::string, std::string>;             // session id, CLI tool_use id
  std::shared_ptr<Slot>& slot_for(const CallKey& key);             // mutex_ held
  bool parked_in(const std::string& session_id) const;             // mutex_ held
  void wake_watchers(const std::string& session_id, bool parked);  // mutex_ held

  const Meters& meters_;
  mutable std::mutex mutex_;
  std::map<CallKey, std::shared_ptr<Slot>> slots_;
  std::map<std::string, CallKey, std::less<>> handed_out_;         // client id → its call
  std::multimap<std::string, std::shared_ptr<Watcher>> watchers_;  // session id → await_parked
};

}  // namespace ccgate::gateway
