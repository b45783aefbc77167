#include "app/serve.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <optional>

#include "anthropic/errors.hpp"
#include "app/routes.hpp"
#include "gateway/door.hpp"
#include "http/client.hpp"
#include "proxy/door.hpp"
#include "upstream/provider.hpp"

namespace ccgate::app {
namespace {

// Everything one event loop owns: its upstream connection pool and the doors that use it.
struct LoopState {
  LoopState(const Config& config, boost::asio::io_context& loop, boost::asio::ssl::context& tls,
            gateway::Door& gateway, std::chrono::steady_clock::time_point started)
      : client(loop.get_executor(), tls, config.client),
        provider(config.upstream, client),
        proxy(config.proxy, provider),
        routes(config, proxy, gateway, started) {}

  http::Client client;
  upstream::Provider provider;
  proxy::Door proxy;
  Routes routes;
};

// Errors the HTTP server answers by itself (malformed request, body too large, …), in the
// protocol of the door the path belongs to, each with its log line.
std::pair<std::string, std::string> server_error_body(int status, std::string_view message,
                                                      std::string_view path) {
  spdlog::info("- {} {} {}", path, status, message);
  return {"application/json", anthropic::error_body_for_status(status, message)};
}

// Where the CLI reaches ccgate itself: its MCP endpoints, and its proxy door for "self".
gateway::Settings gateway_settings(const Config& config, std::uint16_t port) {
  const std::string& host = config.server.host;
  const bool any = host == "0.0.0.0" || host == "::" || host.empty() || host == "localhost";
  const std::string self =
      fmt::format("http://{}:{}",
                  any                                   ? "127.0.0.1"
                  : host.find(':') != std::string::npos ? fmt::format("[{}]", host)
                                                        : host,
                  port);
  gateway::Settings settings = config.gateway;
  settings.mcp_base_url = self;
  if (settings.cli_base_url == "self") settings.cli_base_url = self;
  return settings;
}

}  // namespace

int run_server(const Config& config) {
  for (const auto& warning : config.warnings) spdlog::warn("{}", warning);
  const auto started = std::chrono::steady_clock::now();
  auto tls = http::make_client_tls_context();

  http::ServerOptions options = config.server;
  options.error_body = server_error_body;
  // The gateway door is shared by every event loop; it needs the bound port, so it is made
  // after listen() and before run() lets any request in.
  std::optional<gateway::Door> gateway;
  http::Server server(options, [&](boost::asio::io_context& loop) -> http::Handler {
    // Built at the first request, when the gateway door exists; each handler stays on its loop.
    return [&, state = std::shared_ptr<LoopState>()](http::Exchange& exchange) mutable {
      if (!state) state = std::make_shared<LoopState>(config, loop, tls, *gateway, started);
      return state->routes(exchange);
    };
  });
  std::uint16_t port = 0;
  try {
    port = server.listen();
  } catch (const std::exception& error) {
    spdlog::critical("cannot listen on {}:{}: {}", config.server.host, config.server.port,
                     error.what());
    return 1;
  }
  gateway.emplace(gateway_settings(config, port));
  server.run([&] {
    spdlog::info("ccgate {} listening on http://{}:{} (upstream {})", CCGATE_VERSION,
                 config.server.host, port, config.upstream.base_url);
  });
  spdlog::info("ccgate stopped");
  return 0;
}

}  // namespace ccgate::app
