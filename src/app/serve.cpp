#include "app/serve.hpp"

#include <spdlog/spdlog.h>

#include <memory>

#include "anthropic/errors.hpp"
#include "app/routes.hpp"
#include "http/client.hpp"
#include "proxy/door.hpp"
#include "upstream/provider.hpp"

namespace ccgate::app {
namespace {

// Everything one event loop owns: its upstream connection pool and the doors that use it.
struct LoopState {
  LoopState(const Config& config, boost::asio::io_context& loop, boost::asio::ssl::context& tls,
            std::chrono::steady_clock::time_point started)
      : client(loop.get_executor(), tls, config.client),
        provider(config.upstream, client),
        proxy(config.proxy, provider),
        routes(config, proxy, started) {}

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

}  // namespace

int run_server(const Config& config) {
  for (const auto& warning : config.warnings) spdlog::warn("{}", warning);
  const auto started = std::chrono::steady_clock::now();
  auto tls = http::make_client_tls_context();

  http::ServerOptions options = config.server;
  options.error_body = server_error_body;
  http::Server server(options, [&](boost::asio::io_context& loop) -> http::Handler {
    auto state = std::make_shared<LoopState>(config, loop, tls, started);
    return [state](http::Exchange& exchange) { return state->routes(exchange); };
  });
  std::uint16_t port = 0;
  try {
    port = server.listen();
  } catch (const std::exception& error) {
    spdlog::critical("cannot listen on {}:{}: {}", config.server.host, config.server.port,
                     error.what());
    return 1;
  }
  server.run([&] {
    spdlog::info("ccgate {} listening on http://{}:{} (upstream {})", CCGATE_VERSION,
                 config.server.host, port, config.upstream.base_url);
  });
  spdlog::info("ccgate stopped");
  return 0;
}

}  // namespace ccgate::app
