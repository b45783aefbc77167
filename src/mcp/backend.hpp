#pragma once
// What an MCP server serves, and the interface its owner (the gateway) implements: one Backend
// per MCP server ("gateway" or "auth"). The protocol lives in mcp/; the policy lives behind this.

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace ccgate::mcp {

struct Tool {
  std::string name;
  std::string description;
  boost::json::object input_schema;  // empty: served as {"type":"object"}
  bool read_only = false;            // annotations.readOnlyHint: lets the CLI run calls in parallel
};

struct CallRequest {
  std::string session_id;
  std::string tool_name;
  boost::json::object arguments;
  std::string tool_use_id;  // params._meta["claudecode/toolUseId"], may be empty
  boost::json::value request_id;
};

struct CallResult {
  std::string text;
  bool is_error = false;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // True only for a live session and its secret (the request's X-Ccgate-Secret header). The
  // Endpoint refuses an unknown session and a wrong secret with the same answer, so this must
  // take the same time for both: compare against a stand-in secret when the session is unknown
  // (constant-time compare).
  virtual bool authorized(std::string_view session_id, std::string_view secret) const = 0;
  virtual std::vector<Tool> list_tools(std::string_view session_id) const = 0;
  // May wait a long time (until the HTTP client sends the result, or a timeout). Must honour
  // asio cancellation: the Endpoint cancels it when the MCP client cancels or hangs up.
  virtual boost::asio::awaitable<CallResult> call_tool(CallRequest request) = 0;
};

}  // namespace ccgate::mcp
