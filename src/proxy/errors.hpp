#pragma once
// Anthropic-shaped error responses, and how an upstream failure maps onto them.

#include <boost/asio/awaitable.hpp>
#include <string>
#include <string_view>

#include "http/request_log.hpp"
#include "http/server.hpp"
#include "upstream/failure.hpp"

namespace ccgate::proxy {

struct ClientError {
  int status;
  std::string message;
  std::string retry_after;  // passed on with 429
};

// 400/422 → 400, 401, 403, 404, 413, 429 kept; 408 and timeouts → 504; 503/529 and a provider
// at its max_concurrent → 529;
// other 5xx → 500; a provider that cannot be reached or answers nonsense → 502.
ClientError client_error_for(const upstream::Failure& failure);

// The error in the Anthropic shape, with Retry-After when it has one and the fields given.
boost::asio::awaitable<void> respond_error(http::Exchange& exchange, const ClientError& error,
                                           http::Fields fields = {});

}  // namespace ccgate::proxy
