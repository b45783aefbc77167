#pragma once
// An MCP server over Streamable HTTP, on ccgate's own port: one Endpoint per MCP server
// ("gateway", "auth"), shared by every worker thread and every session. Loopback peers only,
// each request carrying its session's secret; an unknown session and a wrong secret get the same
// 404, so the endpoint does not tell which sessions exist. Tool calls are answered as SSE streams
// kept alive with comments while the Backend waits.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "http/server.hpp"
#include "mcp/backend.hpp"
#include "mcp/inflight.hpp"
#include "mcp/protocol.hpp"

namespace ccgate::mcp {

inline constexpr std::string_view kSecretHeader = "X-Ccgate-Secret";

struct EndpointOptions {
  std::string server_name;
  std::string server_version;
  std::chrono::milliseconds keepalive{15'000};  // zero or less: no keep-alive comments
  std::size_t max_json_depth = 64;              // deepest request body (arrays and objects)
};

class Endpoint {
 public:
  // `backend` must outlive the Endpoint, and the Endpoint every exchange it handles.
  Endpoint(EndpointOptions options, Backend& backend);
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  // Handles one HTTP exchange for `session_id` (the router extracts it from
  // /mcp/<server>/<session_id>).
  boost::asio::awaitable<void> handle(http::Exchange& exchange, std::string_view session_id);

  // tools/call requests waiting now, across all sessions (for tests and shutdown checks).
  std::size_t calls_in_flight() const { return calls_.size(); }

 private:
  boost::asio::awaitable<void> handle_post(http::Exchange& exchange, std::string session_id);
  boost::asio::awaitable<void> perform(http::Exchange& exchange, const std::string& session_id,
                                       Action action);
  boost::asio::awaitable<void> stream_call(http::Exchange& exchange, CallRequest request);
  boost::asio::awaitable<boost::json::object> answer_call(CallRequest request);
  boost::asio::awaitable<void> keep_alive(http::Exchange& exchange) const;

  EndpointOptions options_;
  ServerInfo info_;
  Backend& backend_;
  InFlightCalls calls_;
};

// "/mcp/<server>/<session_id>" → its parts; nullopt for any other path (either part empty, or
// more segments).
struct McpPath {
  std::string_view server;
  std::string_view session_id;
};
std::optional<McpPath> parse_mcp_path(std::string_view path);

}  // namespace ccgate::mcp
