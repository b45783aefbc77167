#pragma once
// Server-side tool executors (gateway.tools): tools ccgate runs itself, offered to the model
// through the gateway MCP server beside the client's tools and never handed to the client. A
// webhook tool POSTs its input through the door's WebhookClient; a command tool runs as a
// claude::Process (its own process group) on the gateway's event loop, in the conversation's
// work dir, with the input on stdin, within its timeout and max_output, killed with its whole
// group when either runs out, when the call is cancelled, or when the conversation ends.
//
// Also the approval of the tools ccgate answers for itself: these executors and the built-ins
// the operator allowed (gateway.builtin_tools, see builtin_tools.hpp).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/executor_config.hpp"
#include "gateway/session.hpp"
#include "gateway/webhook.hpp"
#include "mcp/backend.hpp"
#include "openai/chat_request.hpp"

namespace ccgate::gateway {

class Executors {
 public:
  // `loop`: the gateway's event loop, the sessions' home, where the commands run. `webhooks`
  // must outlive this.
  Executors(std::vector<ToolExecutor> tools, boost::asio::any_io_executor loop,
            WebhookClient& webhooks);

  // As the gateway MCP server lists them.
  std::vector<mcp::Tool> mcp_tools() const;
  const ToolExecutor* find(std::string_view name) const;
  // The first of the client's tools whose name, as the model would see it, is an executor's:
  // the message of the 400 that refuses the request.
  std::optional<std::string> name_clash(const std::vector<openai::Tool>& client_tools) const;

  // Runs `tool` for the session's call. Never throws for a failed run: the model gets an error
  // result saying what went wrong. Honours asio cancellation (the MCP call was cancelled).
  boost::asio::awaitable<mcp::CallResult> call(const ToolExecutor& tool,
                                               std::shared_ptr<Session> session,
                                               boost::json::object input);

 private:
  struct StopRequest;
  boost::asio::awaitable<mcp::CallResult> call_webhook(const ToolExecutor& tool,
                                                       const WebhookRun& webhook,
                                                       const Session& session, std::string input);
  boost::asio::awaitable<mcp::CallResult> run_command(const ToolExecutor& tool,
                                                      const CommandRun& command,
                                                      std::shared_ptr<Session> session,
                                                      std::string input,
                                                      std::shared_ptr<StopRequest> stop);

  std::vector<ToolExecutor> tools_;
  boost::asio::any_io_executor loop_;
  WebhookClient& webhooks_;
};

// The longest timeout of the executors (zero without any): the CLI must wait that long for an
// MCP call.
std::chrono::milliseconds longest_timeout(const std::vector<ToolExecutor>& tools);

// approval_prompt's decision for a tool ccgate answers for itself: one of this session's
// executors ("mcp__gateway__<name>": allowed) or one of its allowed built-ins (allowed when
// every path argument stays in the conversation's work dir). Nullopt for any other tool.
struct OwnToolVerdict {
  bool allowed = false;
  std::string message;         // denied: why
  boost::json::value input{};  // allowed: the input to run
};
std::optional<OwnToolVerdict> own_tool_verdict(const Session& session, std::string_view tool_name,
                                               const boost::json::value& input);

}  // namespace ccgate::gateway
