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

#include "gateway/conversation_events.hpp"
#include "gateway/executors.hpp"
#include "gateway/mcp_backends.hpp"
#include "gateway/meters.hpp"
#include "gateway/session_manager.hpp"
#include "gateway/settings.hpp"
#include "gateway/tool_call_manager.hpp"
#include "gateway/tool_manager.hpp"
#include "gateway/tool_policy.hpp"
#include "gateway/webhook.hpp"
#include "http/request_log.hpp"
#include "http/server.hpp"
#include "mcp/server.hpp"
#include "metrics/instruments.hpp"
#include "openai/chat_request.hpp"

namespace ccgate::gateway {

class Door {
 public:
  // metrics: where the door's requests, tool calls, and CLI starts and exits are counted.
  Door(Settings settings, const metrics::Instruments& metrics);
  ~Door();  // ends every session (no process or temp dir outlives ccgate)
  Door(const Door&) = delete;
  Door& operator=(const Door&) = delete;

  // POST /v1/chat/completions
  boost::asio::awaitable<void> chat_completions(http::Exchange& exchange, http::RequestLog& log);
  // The conversation admin API (conversation_api.cpp): GET /v1/conversations, GET and DELETE
  // /v1/conversations/{id}. Admission has applied the monitoring rule.
  boost::asio::awaitable<void> conversations(http::Exchange& exchange);
  // /mcp/<server>/<session>
  boost::asio::awaitable<void> mcp(http::Exchange& exchange, std::string_view server,
                                   std::string_view session_id);

  // The server is shutting down (any thread): pending tool calls get an error result at once,
  // no new session starts, sessions with no turn running end now and the others as their turn
  // ends.
  void begin_shutdown();

  const Settings& settings() const { return settings_; }
  std::size_t sessions() const { return sessions_.size(); }
  std::size_t tool_calls_waiting() const { return tool_calls_.waiting(); }
  // The live sessions, oldest first (the status page; the metrics count them by state).
  std::vector<SessionView> session_list() const { return sessions_.list(); }
  std::uint64_t conversation_events_dropped() const { return conversation_events_.dropped(); }
  std::uint64_t conversation_events_failed() const { return conversation_events_.failed(); }

 private:
  // Ends the conversation unless the client got the whole reply (see door.cpp).
  class TurnGuard;
  // What the request tells the metrics when it ends (see door.cpp).
  class Outcome;
  // Relays the CLI's output for one turn, within TURN_TIMEOUT, with keep-alives. `first_token`
  // (when set) runs once the turn's first output for the client is ready (or the turn ended).
  // `tool_activity`: the client asked to see server-side tool calls as reasoning text.
  boost::asio::awaitable<void> run_turn(http::Exchange& exchange, http::RequestLog& log,
                                        const openai::ChatRequest& request, TurnGuard& guard,
                                        std::function<void()> first_token, Outcome& outcome,
                                        bool tool_activity);
  // The reply ended before the CLI's turn did: stops the CLI and reads to its result line. Unless
  // it got there (result), end the session: it ran past INTERRUPT_TIMEOUT (timed_out), or the CLI
  // is gone (ended).
  boost::asio::awaitable<Session::TurnEnd> interrupt_turn(const std::shared_ptr<Session>& session);
  boost::asio::awaitable<void> sweep_loop();

  Settings settings_;
  Meters meters_;
  const ClientKeys client_keys_;                  // gateway: client_keys:
  boost::asio::io_context loop_;                  // the CLI processes and their readers
  WebhookClient webhooks_{loop_.get_executor()};  // the operator's webhooks (gateway: section)
  ConversationEvents conversation_events_{settings_.extensions.conversation_webhooks,
                                          loop_.get_executor(), webhooks_};
  Executors executors_;  // gateway.tools
  ToolManager tools_;
  ToolCallManager tool_calls_;
  SessionManager sessions_;
  ToolPolicy policy_;  // gateway.policy: (off without it)
  GatewayTools gateway_backend_;
  Approval approval_backend_;
  mcp::Endpoint gateway_endpoint_;
  mcp::Endpoint auth_endpoint_;
  boost::asio::steady_timer sweep_timer_;
  bool stopping_ = false;  // touched on loop_ only
  std::jthread thread_;
};

}  // namespace ccgate::gateway
