#include "gateway/webhook.hpp"

#include <fmt/format.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace ccgate::gateway {

WebhookClient::WebhookClient(boost::asio::any_io_executor loop)
    : loop_(loop), tls_(http::make_client_tls_context()), client_(loop, tls_) {}

boost::asio::awaitable<WebhookAnswer> WebhookClient::post(WebhookCall call) {
  // The caller's cancellation is not passed on: the call is bounded by its own timeout, and a
  // cancellation relayed across the two loops could reach the spawned coroutine after it ended.
  co_return co_await boost::asio::co_spawn(
      loop_, exchange(std::move(call)),
      boost::asio::bind_cancellation_slot(boost::asio::cancellation_slot(),
                                          boost::asio::use_awaitable));
}

boost::asio::awaitable<WebhookAnswer> WebhookClient::exchange(WebhookCall call) {
  http::ClientRequest request{.method = "POST", .url = std::move(call.url)};
  request.headers = std::move(call.headers);
  request.headers.emplace_back("content-type", "application/json");
  request.body = std::move(call.body);
  const http::ClientTimeouts timeouts{.connect = call.timeout,
                                      .first_byte = call.timeout,
                                      .idle = call.timeout,
                                      .total = call.timeout};
  WebhookAnswer answer;
  try {
    auto response = co_await client_.send(std::move(request), timeouts);
    answer.status = response.status();
    answer.body = co_await response.read_all(call.max_answer);
  } catch (const http::ClientError& error) {
    answer.error = error.kind() == http::ClientError::Kind::timeout
                       ? fmt::format("no answer within {} ms", call.timeout.count())
                   : error.kind() == http::ClientError::Kind::protocol && answer.status != 0
                       ? fmt::format("an answer larger than {} bytes", call.max_answer)
                       : fmt::format("not reached ({})", error.what());
  }
  co_return answer;
}

}  // namespace ccgate::gateway
