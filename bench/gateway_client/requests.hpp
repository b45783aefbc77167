#pragma once
// The chat-completion requests the benchmark sends, rendered once each as the exact bytes
// (head and body) written to the socket.

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "gateway_client/options.hpp"

namespace ccgate::bench {

struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments;
};

class RequestFactory {
 public:
  explicit RequestFactory(const Options& options);

  // turn: a streamed first message with the FAKE directive for L, I and B.
  std::string streamed_turn(std::string_view nonce) const;
  // tool, request 1: the bench_tool offered, the stub told to call it.
  std::string tool_call(std::string_view nonce) const;
  // tool, request 2: the conversation so far and the tool's result.
  std::string tool_result(std::string_view nonce, const ToolCall& call) const;
  // idle: a plain one-line turn.
  std::string plain_turn(std::string_view nonce) const;

 private:
  std::string http_request(const boost::json::object& body, bool streamed) const;
  static boost::json::object user_message(std::string text);

  std::string host_;
  std::string directive_;
  boost::json::array tools_;
};

}  // namespace ccgate::bench
