#pragma once
// Calls to the operator's webhooks (tool policy, tool executors, conversation events): one JSON
// POST, bounded in time and in the size of its answer. The calls run on the gateway's own event
// loop, whichever loop awaits them, through one pooled client.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "http/client.hpp"

namespace ccgate::gateway {

struct WebhookCall {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers{};  // besides content-type
  std::string body{};                                          // JSON text
  std::chrono::milliseconds timeout{5'000};                    // the whole exchange
  std::size_t max_answer = 1024 * 1024;                        // bytes of the answer's body
};

struct WebhookAnswer {
  int status = 0;     // 0: no answer (see error)
  std::string body;   // the answer's body, at most max_answer bytes
  std::string error;  // set when there is no usable answer: not reached, timed out, too large
  bool ok() const { return error.empty() && status >= 200 && status < 300; }
};

class WebhookClient {
 public:
  // `loop`: the event loop the calls run on (the gateway's own).
  explicit WebhookClient(boost::asio::any_io_executor loop);
  // Never throws for a failed call: the answer says what went wrong (safe to log: no body, no
  // header values).
  boost::asio::awaitable<WebhookAnswer> post(WebhookCall call);

 private:
  boost::asio::awaitable<WebhookAnswer> exchange(WebhookCall call);

  boost::asio::any_io_executor loop_;
  boost::asio::ssl::context tls_;
  http::Client client_;  // used on loop_ only
};

}  // namespace ccgate::gateway
