#pragma once
// A blocking MCP client over Streamable HTTP, as the Claude Code CLI speaks it to ccgate: one
// keep-alive connection, JSON-RPC requests answered as application/json or as an event stream
// (comments first, then one `message` event), the session id from `initialize` sent back.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "fake_claude/arguments.hpp"

namespace ccgate::bench {

class McpError : public std::runtime_error {
 public:
  explicit McpError(const std::string& what, unsigned http_status = 0)
      : std::runtime_error(what), http_status_(http_status) {}
  unsigned http_status() const { return http_status_; }

 private:
  unsigned http_status_;
};

struct ToolCallOutcome {
  std::string text;  // the text blocks of the result, joined
  bool is_error = false;
  std::uint64_t arrived_ns = 0;  // now_ns() when the read that completed the answer returned
};

class McpClient {
 public:
  McpClient(boost::asio::io_context& io, McpServerConfig server);

  // initialize, then notifications/initialized. Throws McpError or a system_error.
  void initialize();
  // One initialize, no retry: the HTTP status it got (200 when accepted, 0 when the request
  // failed below HTTP). For probes with a wrong secret or an unknown session.
  unsigned probe();
  // The names of the server's tools.
  std::vector<std::string> list_tools();
  // tools/call; waits as long as the server takes to answer.
  ToolCallOutcome call_tool(std::string_view name, const boost::json::object& arguments,
                            std::string_view tool_use_id);

 private:
  struct Reply {
    boost::json::object message;  // empty for a notification's 202
    std::uint64_t arrived_ns = 0;
  };

  boost::json::value initialize_request();
  boost::json::value request(std::string_view method, boost::json::object params,
                             std::uint64_t* arrived_ns = nullptr);
  void notify(std::string_view method);
  Reply post(const std::string& body);
  Reply post_once(const std::string& body);
  void connect();

  McpServerConfig server_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
  std::string session_id_;
  std::string protocol_version_;
  std::int64_t next_id_ = 0;
};

}  // namespace ccgate::bench
