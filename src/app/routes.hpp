#pragma once
// Routes each request to its door (/v1/messages → proxy; /v1/chat/completions and /mcp/… →
// gateway) or to ccgate's own small endpoints (/, /health, /v1/models, /metrics, /status,
// /status.json, CORS preflight), and writes the one log line per request (and records it on the
// StatusBoard).

#include <boost/asio/awaitable.hpp>
#include <chrono>

#include "app/config.hpp"
#include "app/status.hpp"
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
         gateway::Door& gateway, StatusBoard& status, std::chrono::steady_clock::time_point started,
         const metrics::Registry& registry, const metrics::Instruments& instruments)
      : config_(config),
        catalogs_(catalogs),
        proxy_(proxy),
        gateway_(gateway),
        status_(status),
        started_(started),
        registry_(registry),
        instruments_(instruments) {}

  boost::asio::awaitable<void> operator()(http::Exchange& exchange) const;

 private:
  boost::asio::awaitable<void> dispatch(http::Exchange& exchange, http::RequestLog& log) const;
  boost::asio::awaitable<void> health(http::Exchange& exchange) const;
  boost::asio::awaitable<void> status_json(http::Exchange& exchange) const;
  boost::asio::awaitable<void> models(http::Exchange& exchange) const;
  // GET /metrics (admission has applied the monitoring rule: loopback, or METRICS_KEY).
  boost::asio::awaitable<void> metrics(http::Exchange& exchange) const;

  const Config& config_;
  const routing::CatalogHolder& catalogs_;  // the providers and routes in force (reloadable)
  const proxy::Door& proxy_;
  gateway::Door& gateway_;
  StatusBoard& status_;  // shared by every event loop
  std::chrono::steady_clock::time_point started_;
  const metrics::Registry& registry_;
  const metrics::Instruments& instruments_;
};

}  // namespace ccgate::app
