#pragma once
// The gateway door: OpenAI Chat Completions served by the Claude Code CLI, the client's own
// tools reaching it through ccgate's MCP servers. Owns the gateway's state (tools, pending tool
// calls, sessions) and the event loop the CLI processes live on.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <thread>

#include "gateway/mcp_backends.hpp"
#include "gateway/session_manager.hpp"
#include "gateway/settings.hpp"
#include "gateway/tool_call_manager.hpp"
#include "gateway/tool_manager.hpp"
#include "gateway/webhook.hpp"
#include "http/request_log.hpp"
#include "http/server.hpp"
#include "mcp/server.hpp"
#include "metrics/instruments.hpp"
#include "openai/chat_request.hpp"

namespace ccgate::gateway {

class Door {
 public:
  Door(Settings settings, const metrics::Instruments& instruments);
  ~Door();  // ends every session (no process or temp dir outlives ccgate)
  Door(const Door&) = delete;
  Door& operator=(const Door&) = delete;

  // POST /v1/chat/completions
  boost::asio::awaitable<void> chat_completions(http::Exchange& exchange, http::RequestLog& log);
  // /mcp/<server>/<session>
  boost::asio::awaitable<void> mcp(http::Exchange& exchange, std::string_view server,
                                   std::string_view session_id);

  // The server is shutting down (any thread): pending tool calls get an error result at once,
  // no new session starts, sessions with no turn running end now and the others as their turn
  // ends.
  void begin_shutdown();

  const Settings& settings() const { return settings_; }
  std::size_t sessions() const { return sessions_.size(); }
  SessionTally session_tally() const { return sessions_.tally(); }
  std::size_t tool_calls_waiting() const { return tool_calls_.waiting(); }
  std::vector<SessionView> session_list() const { return sessions_.list(); }

 private:
  // Ends the conversation unless the client got the whole reply (see door.cpp).
  class TurnGuard;
  // Relays the CLI's output for one turn, within TURN_TIMEOUT, with keep-alives. `first_token`
  // (when set) runs once the turn's first output for the client is ready (or the turn ended).
  // `tool_activity`: the client asked to see server-side tool calls as reasoning text.
  boost::asio::awaitable<void> run_turn(http::Exchange& exchange, http::RequestLog& log,
                                        const openai::ChatRequest& request, TurnGuard& guard,
                                        std::function<void()> first_token, bool tool_activity);
  // The turn's reader is done: the session waits for its next turn, or ends (expired, its CLI
  // gone, or shutting down).
  void release_turn(const std::shared_ptr<Session>& session);
  // The reply ended before the CLI's turn did: stops the CLI and reads to its result line. False
  // when it did not get there within INTERRUPT_TIMEOUT (or the CLI is gone): end the session.
  boost::asio::awaitable<bool> interrupt_turn(const std::shared_ptr<Session>& session);
  boost::asio::awaitable<void> sweep_loop();

  Settings settings_;
  const metrics::Instruments& instruments_;
  const ClientKeys client_keys_;                  // gateway: client_keys:
  boost::asio::io_context loop_;                  // the CLI processes and their readers
  WebhookClient webhooks_{loop_.get_executor()};  // the operator's webhooks (gateway: section)
  ToolManager tools_;
  ToolCallManager tool_calls_;
  SessionManager sessions_;
  GatewayTools gateway_backend_;
  Approval approval_backend_;
  mcp::Endpoint gateway_endpoint_;
  mcp::Endpoint auth_endpoint_;
  boost::asio::steady_timer sweep_timer_;
  bool stopping_ = false;  // touched on loop_ only
  std::jthread thread_;
};

}  // namespace ccgate::gateway
