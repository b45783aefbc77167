#pragma once
// Operator MCP servers (the configuration file's gateway: mcp_servers:): MCP servers every
// gateway conversation gets beside the client's tools, stdio (a command the CLI starts) or
// Streamable HTTP (a URL the CLI connects to). The CLI calls their tools itself; approval allows
// exactly the tools each server's allow_tools names. A server may be limited to certain client
// keys (gateway: client_keys:, which name the gateway door's keys) and models.
//
// Also here: how server-side tool calls (every tool use that is not a client tool: these
// servers' tools, ccgate's own executors, built-in tools) are counted and logged.

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/auth.hpp"
#include "metrics/registry.hpp"
#include "translate/cli_stream.hpp"

namespace ccgate::gateway {

struct OperatorMcpServer {
  std::string name;  // a lower-case token; the CLI names its tools mcp__<name>__<tool>
  // stdio: the CLI starts `command args…` with only the environment described in
  // operator_mcp.cpp (stdio_entry) and `env` on top.
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  // Streamable HTTP: the CLI posts to `url` with `headers`.
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  // Globs over the server's own tool names (search_*, not mcp__<name>__search_*).
  std::vector<std::string> allow_tools;
  std::vector<std::string> only_for_keys;    // client key ids; empty: every client
  std::vector<std::string> only_for_models;  // globs over the request's model; empty: every model

  bool stdio() const { return !command.empty(); }
};

// A key the gateway door accepts besides GATEWAY_API_KEY, named so that servers can be limited
// to it (only_for: client_keys:).
struct ClientKey {
  std::string id;
  std::string key;
  bool tool_activity = false;  // streams show server-side tool calls unless the request says not
};

struct OperatorMcp {
  std::vector<ClientKey> client_keys;
  std::vector<OperatorMcpServer> servers;
};

// The gateway door's named client keys, each hashed once; every key is compared, whichever
// matches, so the time taken does not say which one did.
class ClientKeys {
 public:
  explicit ClientKeys(const std::vector<ClientKey>& keys);
  bool empty() const { return keys_.empty(); }
  // The key `presented` is; null for none.
  const ClientKey* identify(std::string_view presented) const;

 private:
  std::vector<std::pair<ClientKey, http::ExpectedKey>> keys_;
};

// The servers a conversation of this client (null: no named key) with this model gets, in the
// configuration's order.
std::vector<OperatorMcpServer> servers_for(const OperatorMcp& config, const ClientKey* client,
                                           std::string_view model);
std::vector<std::string> server_names(const std::vector<OperatorMcpServer>& servers);

// Adds the servers to an --mcp-config "mcpServers" object.
void add_operator_servers(boost::json::object& mcp_servers,
                          const std::vector<OperatorMcpServer>& servers);

// approval_prompt's rule for a tool of an operator server: nullopt when `cli_name` is no tool of
// the conversation's servers (mcp__<server>__<tool>), else whether allow_tools allows it and, when
// not, the message the model gets.
struct OperatorToolDecision {
  bool allowed = false;
  std::string message;
};
std::optional<OperatorToolDecision> operator_tool_decision(
    const std::vector<OperatorMcpServer>& servers, std::string_view cli_name);

// What is wrong with the CLI's init line for these servers (one that did not connect: failed,
// still pending when the CLI stopped waiting, or absent); nullopt when all connected.
std::optional<std::string> operator_servers_problem(const boost::json::object& init_line,
                                                    const std::vector<OperatorMcpServer>& servers);

// The metrics label of a server-side tool call: the operator server's name, "ccgate" for
// ccgate's own MCP tools (executors), "builtin" for the CLI's built-in tools, "unknown" for
// anything else (a tool of no server this conversation has). Bounded by the configuration.
std::string_view server_label(const std::vector<OperatorMcpServer>& servers,
                              std::string_view cli_name);

// One log line (session, the tool's CLI name, outcome; never its input or result) and one count
// per finished server-side tool call.
void record_server_tool_calls(std::string_view session_id,
                              const std::vector<OperatorMcpServer>& servers,
                              const std::vector<translate::ServerToolResult>& results,
                              metrics::Family<metrics::Counter>& counter);

}  // namespace ccgate::gateway
