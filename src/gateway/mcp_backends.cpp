#include "gateway/mcp_backends.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>

#include "http/auth.hpp"
#include "translate/cli_stream.hpp"
#include "translate/ids.hpp"

namespace ccgate::gateway {
namespace json = boost::json;

namespace {

// Lets the CLI finish the turn whose tool call timed out (the model gets the error result),
// within TURN_TIMEOUT, then ends the session: a late result from the client can no longer
// continue it. If a request's turn is reading the CLI's output now, that turn is the only
// reader: it finishes the work and, the session being expired, ends it.
boost::asio::awaitable<void> finish_expired(std::shared_ptr<Session> session,
                                            SessionManager& sessions) {
  if (!session->try_begin_drain()) co_return;
  // Ended however the drain ends (its result line, the end of the output, TURN_TIMEOUT, or this
  // coroutine destroyed with its event loop).
  struct EndWhenDone {
    SessionManager& sessions;
    const std::shared_ptr<Session>& session;
    ~EndWhenDone() { sessions.end(session, ExitCause::tool_call_timeout); }
  } end_when_done{sessions, session};
  co_await session->skip_to_turn_end(sessions.settings().turn_timeout);
}

}  // namespace

SessionBackend::SessionBackend(SessionManager& sessions)
    : sessions_(sessions), stand_in_secret_(translate::random_id("")) {}

bool SessionBackend::authorized(std::string_view session_id, std::string_view secret) const {
  const auto session = sessions_.find(session_id);
  const bool matches =
      http::constant_time_equals(secret, session ? session->identity().secret : stand_in_secret_);
  return session && matches;
}

std::vector<mcp::Tool> GatewayTools::list_tools(std::string_view session_id) const {
  const auto session = sessions_.find(session_id);
  if (!session) return {};
  // The CLI lists its MCP tools at the end of its start-up, before it reads its first message
  // (a spare too): it is ready.
  session->mark_ready();
  auto tools = session->tools().mcp_tools;
  // The CLI runs a message's read-only calls at once, asking approval_prompt for all of them
  // before any waits for the client: the door can hold them all for their decisions.
  if (settings_.extensions.policy.enabled)
    for (auto& tool : tools) tool.read_only = true;
  return tools;
}

boost::asio::awaitable<mcp::CallResult> GatewayTools::call_tool(mcp::CallRequest request) {
  const auto session = sessions_.find(request.session_id);
  if (!session) co_return mcp::CallResult{"This conversation has ended.", true};
  if (executors_ && session->tools().is_executor(request.tool_name))
    if (const auto* tool = executors_->find(request.tool_name))
      co_return co_await executors_->call(*tool, session, std::move(request.arguments));
  if (!session->tools().names.client_for(request.tool_name))
    co_return mcp::CallResult{fmt::format("Unknown tool {}.", request.tool_name), true};
  if (request.tool_use_id.empty())
    co_return mcp::CallResult{"This tool call carries no tool use id; it cannot be routed.", true};

  auto awaited = co_await tool_calls_.await_result(request.session_id, request.tool_use_id,
                                                   settings_.tool_call_timeout);
  if (awaited.timed_out) {
    // The client is gone or slow: the model gets the error, and the conversation cannot be
    // continued by a late result. The session ends once the CLI has finished this turn.
    spdlog::info("session {} tool call {} timed out", session->id().substr(0, 8),
                 request.tool_use_id);
    session->mark_expired();
    const auto executor = co_await boost::asio::this_coro::executor;
    auto finish = finish_expired(session, sessions_);
    boost::asio::co_spawn(executor, std::move(finish), boost::asio::detached);
  }
  co_return awaited.result;
}

std::string approval_decision(const Session* session, std::string_view tool_name,
                              const json::value& input) {
  auto deny = [](std::string message) {
    return json::serialize(json::object{{"behavior", "deny"}, {"message", std::move(message)}});
  };
  auto allow = [&](const json::value& arguments) {
    if (!session->tools_allowed())
      return deny("The client asked for no tool calls in this reply (tool_choice: none).");
    return json::serialize(json::object{{"behavior", "allow"}, {"updatedInput", arguments}});
  };
  if (!session) return deny("This conversation has ended.");
  // A tool of an operator MCP server this conversation got: allowed as its allow_tools say.
  if (auto operator_tool = operator_tool_decision(session->identity().mcp_servers, tool_name))
    return operator_tool->allowed ? allow(input) : deny(operator_tool->message);
  // ccgate's own executors and the built-ins this conversation may use.
  if (auto own = own_tool_verdict(*session, tool_name, input))
    return own->allowed ? allow(own->input) : deny(std::move(own->message));
  if (!session->tools().names.client_for_cli_name(tool_name))
    return deny(fmt::format(
        "{} is not available: only the client's own tools may be used in this conversation.",
        tool_name));
  return allow(input);
}

std::vector<mcp::Tool> Approval::list_tools(std::string_view) const {
  json::object schema{
      {"type", "object"},
      {"properties", json::object{{"tool_name", json::object{{"type", "string"}}},
                                  {"input", json::object{{"type", "object"}}},
                                  {"tool_use_id", json::object{{"type", "string"}}}}},
      {"required", json::array{"tool_name", "input"}}};
  return {
      mcp::Tool{.name = "approval_prompt",
                .description = "Decides whether Claude Code may run a tool in this conversation.",
                .input_schema = std::move(schema)}};
}

boost::asio::awaitable<mcp::CallResult> Approval::call_tool(mcp::CallRequest request) {
  const auto session = sessions_.find(request.session_id);
  std::string_view tool_name;
  if (const auto* name = request.arguments.if_contains("tool_name"); name && name->is_string())
    tool_name = name->as_string();
  const json::value* input = request.arguments.if_contains("input");
  const json::value empty_input = json::object{};
  std::string decision = approval_decision(session.get(), tool_name, input ? *input : empty_input);
  if (policy_.enabled() && decision.starts_with(R"({"behavior":"allow")")) {
    std::string tool_use_id = request.tool_use_id;  // the call approved is the call's own id
    if (const auto* id = request.arguments.if_contains("tool_use_id"); id && id->is_string())
      tool_use_id = id->as_string();
    decision = co_await policy_.review(*session, tool_name, input ? *input : empty_input,
                                       std::move(tool_use_id));
  }
  spdlog::info("session {} approval for {}: {}", request.session_id.substr(0, 8), tool_name,
               decision.starts_with(R"({"behavior":"allow")") ? "allow" : "deny");
  co_return mcp::CallResult{std::move(decision), false};
}

}  // namespace ccgate::gateway
