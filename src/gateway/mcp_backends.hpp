#pragma once
// The two MCP servers each session's CLI talks to: "gateway" serves the client's own tools and
// parks each call until the client's result arrives (ToolCallManager); "auth" serves
// approval_prompt, which allows only this session's client tools and denies everything else.

#include "gateway/executors.hpp"
#include "gateway/session_manager.hpp"
#include "gateway/settings.hpp"
#include "gateway/tool_call_manager.hpp"
#include "gateway/tool_policy.hpp"
#include "mcp/backend.hpp"

namespace ccgate::gateway {

class SessionBackend : public mcp::Backend {
 public:
  explicit SessionBackend(SessionManager& sessions);
  bool authorized(std::string_view session_id, std::string_view secret) const override;

 protected:
  SessionManager& sessions_;

 private:
  const std::string stand_in_secret_;  // compared against when the session is unknown
};

class GatewayTools final : public SessionBackend {
 public:
  // `executors` (may be null: none) runs the tools ccgate runs itself (gateway.tools).
  GatewayTools(SessionManager& sessions, ToolCallManager& tool_calls, const Settings& settings,
               Executors* executors = nullptr)
      : SessionBackend(sessions),
        tool_calls_(tool_calls),
        settings_(settings),
        executors_(executors) {}
  std::vector<mcp::Tool> list_tools(std::string_view session_id) const override;
  boost::asio::awaitable<mcp::CallResult> call_tool(mcp::CallRequest request) override;

 private:
  ToolCallManager& tool_calls_;
  const Settings& settings_;
  Executors* executors_;
};

class Approval final : public SessionBackend {
 public:
  Approval(SessionManager& sessions, ToolPolicy& policy)
      : SessionBackend(sessions), policy_(policy) {}
  std::vector<mcp::Tool> list_tools(std::string_view session_id) const override;
  boost::asio::awaitable<mcp::CallResult> call_tool(mcp::CallRequest request) override;

 private:
  ToolPolicy& policy_;  // asked after approval_decision allows a call
};

// approval_prompt's answer for a tool the CLI wants to run in this session: the JSON text
// {"behavior":"allow","updatedInput":…} or {"behavior":"deny","message":…}. Pure.
std::string approval_decision(const Session* session, std::string_view tool_name,
                              const boost::json::value& input);

}  // namespace ccgate::gateway
