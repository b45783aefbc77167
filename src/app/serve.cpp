#include "app/serve.hpp"

#include <spdlog/spdlog.h>

#include <memory>

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

}  // namespace

int run_server(const Config& config) {
  for (const auto& warning : config.warnings) spdlog::warn("{}", warning);
  const auto started = std::chrono::steady_clock::now();
  auto tls = http::make_client_tls_context();

  http::Server server(config.server, [&](boost::asio::io_context& loop) -> http::Handler {
    auto state = std::make_shared<LoopState>(config, loop, tls, started);
    return [state](http::Exchange& exchange) { return state->routes(exchange); };
  });
  try {
    const auto port = server.listen();
    spdlog::info("ccgate {} listening on http://{}:{} (upstream {})", CCGATE_VERSION,
                 config.server.host, port, config.upstream.base_url);
  } catch (const std::exception& error) {
    spdlog::critical("cannot listen on {}:{}: {}", config.server.host, config.server.port,
                     error.what());
    return 1;
  }
  server.run();
  spdlog::info("ccgate stopped");
  return 0;
}

}  // namespace ccgate::app
