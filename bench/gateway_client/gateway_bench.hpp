#pragma once
// The benchmark itself: S conversations at once on one event loop, each running its mode's
// iterations against ccgate's gateway door, first unrecorded (warm-up), then recorded.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "gateway_client/chat_stream.hpp"
#include "gateway_client/http_connection.hpp"
#include "gateway_client/metrics.hpp"
#include "gateway_client/options.hpp"
#include "gateway_client/requests.hpp"

namespace ccgate::bench {

class GatewayBench {
 public:
  explicit GatewayBench(Options options);

  // Runs the mode and prints its lines on stdout; the exit status.
  int run();

 private:
  struct Conversation {
    Conversation(boost::asio::any_io_executor executor, boost::asio::ip::tcp::endpoint endpoint,
                 std::size_t index)
        : connection(std::move(executor), std::move(endpoint)), index(index) {}
    HttpConnection connection;
    std::size_t index;
    std::size_t iterations = 0;
    ChatStreamScanner scanner;
  };

  struct Exchange {
    int status = 0;
    std::uint64_t sent_ns = 0;
    std::uint64_t end_ns = 0;  // when the read that completed the response returned
    std::string body;          // unless streamed
  };

  void run_phase(std::size_t iterations, Metrics& metrics);
  boost::asio::awaitable<void> converse(Conversation& conversation, std::size_t iterations,
                                        Metrics& metrics);
  boost::asio::awaitable<void> iterate(Conversation& conversation, Metrics& metrics);
  boost::asio::awaitable<void> turn_iteration(Conversation& conversation, Metrics& metrics);
  boost::asio::awaitable<void> tool_iteration(Conversation& conversation, Metrics& metrics);
  boost::asio::awaitable<void> plain_iteration(Conversation& conversation, Metrics& metrics);
  boost::asio::awaitable<Exchange> streamed(Conversation& conversation, const std::string& request);
  boost::asio::awaitable<Exchange> whole(Conversation& conversation, const std::string& request);
  // The exchange, or HttpError("timeout") after --timeout-s.
  boost::asio::awaitable<Exchange> bounded(boost::asio::awaitable<Exchange> exchange);
  std::string next_nonce(Conversation& conversation);

  Options options_;
  boost::asio::io_context io_;
  RequestFactory requests_;
  std::chrono::nanoseconds timeout_;
  std::string salt_;
  std::vector<std::unique_ptr<Conversation>> conversations_;
};

}  // namespace ccgate::bench
