#include "proxy/errors.hpp"

#include <fmt/format.h>

#include "anthropic/errors.hpp"

namespace ccgate::proxy {
namespace {

int client_status_for_upstream_status(int status) {
  switch (status) {
    case 400:
    case 422:
      return 400;
    case 401:
    case 403:
    case 404:
    case 413:
    case 429:
      return status;
    case 408:
    case 504:
      return 504;
    case 503:
    case 529:
      return 529;
    default:
      return status >= 500 ? 500 : 400;
  }
}

}  // namespace

ClientError client_error_for(const upstream::Failure& failure) {
  using Kind = upstream::Failure::Kind;
  switch (failure.kind()) {
    case Kind::status: {
      const int upstream = failure.upstream_status();
      return {client_status_for_upstream_status(upstream),
              fmt::format("upstream provider returned HTTP {}: {}", upstream, failure.what()),
              failure.retry_after()};
    }
    case Kind::timeout:
      return {504, fmt::format("upstream provider timed out: {}", failure.what()), {}};
    case Kind::connect:
      return {502, fmt::format("cannot reach the upstream provider: {}", failure.what()), {}};
    case Kind::unavailable:
      return {529, failure.what(), {}};
    case Kind::protocol:
      break;
  }
  return {502, fmt::format("bad answer from the upstream provider: {}", failure.what()), {}};
}

boost::asio::awaitable<void> respond_error(http::Exchange& exchange, const ClientError& error,
                                           http::Fields fields) {
  if (!error.retry_after.empty())
    fields.set(boost::beast::http::field::retry_after, error.retry_after);
  co_await exchange.respond(static_cast<http::Status>(error.status),
                            anthropic::error_body_for_status(error.status, error.message),
                            "application/json", std::move(fields));
}

}  // namespace ccgate::proxy
