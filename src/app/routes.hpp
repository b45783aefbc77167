#pragma once
// Routes each request to its door (/v1/messages → proxy; /v1/chat/completions and /mcp/… →
// gateway) or to ccgate's own small endpoints (/, /health, /v1/models, /metrics, CORS
// preflight), and writes the one log line per request.

#include <boost/asio/awaitable.hpp>
#include <chrono>

#include "app/config.hpp"
#include "gateway/door.hpp"
#include "http/auth.hpp"
#include "http/request_log.hpp"
#include "http/server.hpp"
#include "metrics/instruments.hpp"
#include "proxy/door.hpp"
#include "routing/live.hpp"

namespace ccgate::app {

class Routes {
 public:
  Routes(const Config& config, const routing::CatalogHolder& catalogs, const proxy::Door& proxy,
         gateway::Door& gateway, std::chrono::steady_clock::time_point started,
         const metrics::Registry& registry, const metrics::Instruments& instruments)
      : config_(config),
        catalogs_(catalogs),
        proxy_(proxy),
        gateway_(gateway),
        started_(started),
        registry_(registry),
        instruments_(instruments),
        metrics_key_(config.access.metrics_key) {}

  boost::asio::awaitable<void> operator()(http::Exchange& exchange) const;

 private:
  boost::asio::awaitable<void> dispatch(http::Exchange& exchange, http::RequestLog& log) const;
  boost::asio::awaitable<void> health(http::Exchange& exchange) const;
  boost::asio::awaitable<void> models(http::Exchange& exchange) const;
  // GET /metrics: loopback peers only, unless METRICS_KEY is set; then that key from everyone.
  boost::asio::awaitable<void> metrics(http::Exchange& exchange) const;

  const Config& config_;
  const routing::CatalogHolder& catalogs_;  // the providers and routes in force (reloadable)
  const proxy::Door& proxy_;
  gateway::Door& gateway_;
  std::chrono::steady_clock::time_point started_;
  const metrics::Registry& registry_;
  const metrics::Instruments& instruments_;
  http::ExpectedKey metrics_key_;
};

}  // namespace ccgate::app
