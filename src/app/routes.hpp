#pragma once
// Routes each request to its door (/v1/messages → proxy; /v1/chat/completions and /mcp/… →
// gateway) or to ccgate's own small endpoints (/, /health, /v1/models, /status, /status.json,
// CORS preflight), and writes the one log line per request (and records it on the StatusBoard).

#include <boost/asio/awaitable.hpp>
#include <chrono>

#include "app/config.hpp"
#include "app/status.hpp"
#include "gateway/door.hpp"
#include "http/request_log.hpp"
#include "http/server.hpp"
#include "proxy/door.hpp"
#include "routing/live.hpp"

namespace ccgate::app {

class Routes {
 public:
  Routes(const Config& config, const routing::CatalogHolder& catalogs, const proxy::Door& proxy,
         gateway::Door& gateway, StatusBoard& status, std::chrono::steady_clock::time_point started)
      : config_(config),
        catalogs_(catalogs),
        proxy_(proxy),
        gateway_(gateway),
        status_(status),
        started_(started) {}

  boost::asio::awaitable<void> operator()(http::Exchange& exchange) const;

 private:
  boost::asio::awaitable<void> dispatch(http::Exchange& exchange, http::RequestLog& log) const;
  boost::asio::awaitable<void> health(http::Exchange& exchange, http::RequestLog& log) const;
  boost::asio::awaitable<void> status_json(http::Exchange& exchange, http::RequestLog& log) const;
  boost::asio::awaitable<void> models(http::Exchange& exchange, http::RequestLog& log) const;

  const Config& config_;
  const routing::CatalogHolder& catalogs_;  // the providers and routes in force (reloadable)
  const proxy::Door& proxy_;
  gateway::Door& gateway_;
  StatusBoard& status_;  // shared by every event loop
  std::chrono::steady_clock::time_point started_;
};

}  // namespace ccgate::app
