#pragma once
// ToolCallManager: the MCP tools/call requests waiting for the HTTP client's tool results, keyed
// by the CLI's tool_use id (= the tool_calls[].id the client sees). A result may arrive before
// its call (the client answers every call of a turn at once; the CLI makes the calls one by
// one): it is kept until the call comes. Thread-safe: calls and results arrive on any thread.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "mcp/backend.hpp"

namespace ccgate::gateway {

class ToolCallManager {
 public:
  struct Awaited {
    mcp::CallResult result;
    bool timed_out = false;
  };
  // The MCP side: the client's result for tool_use_id, or an error result after `timeout`, or
  // when the session is cancelled. Honours asio cancellation (the MCP client went away).
  boost::asio::awaitable<Awaited> await_result(std::string session_id, std::string tool_use_id,
                                               std::chrono::milliseconds timeout);
  // The HTTP side: the client's result for tool_use_id of session_id.
  void deliver(const std::string& session_id, const std::string& tool_use_id,
               mcp::CallResult result);
  // Every call of the session, waiting or not, ends with an error result; early results dropped.
  void cancel_session(const std::string& session_id);

  std::size_t waiting() const;  // calls parked now
  std::size_t early() const;    // results kept for calls not arrived yet

  struct Slot;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Slot>, std::less<>> slots_;
};

}  // namespace ccgate::gateway
