#pragma once
// The MCP methods a tools-only server answers, decided without I/O: what the Endpoint must do
// with one JSON-RPC message (reply now, acknowledge, cancel a call, or run a tool call).

#include <array>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mcp/backend.hpp"
#include "mcp/jsonrpc.hpp"

namespace ccgate::mcp {

// Newest first; the first is what we answer a client whose version we do not know.
inline constexpr std::array<std::string_view, 4> kSupportedProtocolVersions{
    "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};

std::string_view negotiate_protocol_version(std::string_view requested);

struct ServerInfo {
  std::string name;
  std::string version;
};

// Answer at once with `message` (200): as application/json, or as one SSE event when it
// answers a tools/call (the client expects that call's answer as a stream).
struct ImmediateReply {
  boost::json::object message;
  bool as_event_stream = false;
};
// A notification or a response from the client: 202 with no body.
struct Acknowledge {};
// notifications/cancelled naming a request: 202, and that request stops waiting.
struct CancelCall {
  boost::json::value request_id;
};
// tools/call with valid params: stream, and answer with call_result_message() when it ends.
struct StartCall {
  CallRequest request;
};
using Action = std::variant<ImmediateReply, Acknowledge, CancelCall, StartCall>;

Action decide(const jsonrpc::Message& message, std::string_view session_id,
              const ServerInfo& server, const Backend& backend);

boost::json::object initialize_result(const boost::json::value& params, const ServerInfo& server);
boost::json::object tools_list_result(const std::vector<Tool>& tools);
boost::json::object call_result_message(const boost::json::value& request_id,
                                        const CallResult& result);

}  // namespace ccgate::mcp
