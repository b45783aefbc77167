#include "app/serve.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <optional>
#include <variant>

#include "app/admission.hpp"
#include "app/limits.hpp"
#include "app/log_format.hpp"
#include "app/memory_trim.hpp"
#include "app/process_metrics.hpp"
#include "app/routes.hpp"
#include "gateway/door.hpp"
#include "http/client.hpp"
#include "http/server.hpp"
#include "metrics/instruments.hpp"
#include "metrics/registry.hpp"
#include "proxy/door.hpp"
#include "routing/live.hpp"
#include "translate/ids.hpp"

namespace ccgate::app {
namespace {

// Everything one event loop owns: its upstream connection pool and the doors that use it.
struct LoopState {
  LoopState(const Config& config, const routing::CatalogHolder& catalogs,
            const http::ClientOptions& client_options, boost::asio::io_context& loop,
            boost::asio::ssl::context& tls, gateway::Door& gateway, StatusBoard& status,
            std::chrono::steady_clock::time_point started, const metrics::Registry& registry,
            const metrics::Instruments& instruments)
      : client(loop.get_executor(), tls, client_options),
        proxy(config.proxy, catalogs, client, instruments),
        routes(config, catalogs, proxy, gateway, status, started, registry, instruments) {}

  http::Client client;
  proxy::Door proxy;
  Routes routes;
};

// Errors the HTTP server answers by itself (malformed request, body too large, …), in the
// protocol of the door the path belongs to, each with its log line.
std::pair<std::string, std::string> server_error_body(int status, std::string_view message,
                                                      const http::Exchange& exchange,
                                                      LogFormat format) {
  log_request({.id = exchange.request_id(),
               .method = exchange.request().method_string(),
               .path = exchange.path(),
               .status = status,
               .error = message},
              format);
  http::Reply reply = error_reply(door_of(exchange.path()), false, status, message);
  return {std::move(reply.content_type), std::move(reply.body)};
}

// Where the CLI reaches ccgate itself: its MCP endpoints, and its proxy door for "self", on the
// private listener (whose connections clients cannot starve).
gateway::Settings gateway_settings(const Config& config, std::uint16_t private_port) {
  const std::string self = fmt::format("http://127.0.0.1:{}", private_port);
  gateway::Settings settings = config.gateway;
  settings.mcp_base_url = self;
  if (settings.cli_base_url == "self") settings.cli_base_url = self;
  return settings;
}

// The connection limits for the descriptors this process may open, told once.
ConnectionLimits apply_connection_limits(const Config& config, http::ServerOptions& options) {
  const FdLimit fds = raise_fd_limit();
  const ConnectionLimits limits =
      connection_limits(fds.soft, config.gateway.max_sessions, config.server.max_connections);
  options.max_connections = limits.clients;
  options.private_connections = limits.private_connections;
  spdlog::info(
      "open files limit {} (was {}, hard limit {}): up to {} client connections "
      "(MAX_CONNECTIONS{}), {} for Claude Code's own",
      fds.soft, fds.was, fds.hard, limits.clients,
      config.server.max_connections != 0 ? "" : ", derived", limits.private_connections);
  if (limits.fds_needed > fds.soft)
    spdlog::warn(
        "MAX_CONNECTIONS={} and MAX_SESSIONS={} may need {} descriptors, more than the open "
        "files limit {}: past it new connections wait for descriptors",
        limits.clients, config.gateway.max_sessions, limits.fds_needed, fds.soft);
  options.on_connection_refused = [limits](bool private_listener, std::uint64_t refused) {
    if ((refused & (refused - 1)) != 0) return;  // told at 1, 2, 4, 8, …: not flooded
    if (private_listener)
      spdlog::warn("refused {} Claude Code connection(s) so far: {} are open (4 × MAX_SESSIONS)",
                   refused, limits.private_connections);
    else
      spdlog::warn("refused {} connection(s) so far: MAX_CONNECTIONS={} are open", refused,
                   limits.clients);
  };
  return limits;
}

// Each event loop pools what its share of the client connections can use at once, so a steady
// load reuses its upstream connections instead of opening new ones; idle ones still expire
// (UPSTREAM_KEEPALIVE_TIMEOUT).
http::ClientOptions client_options(const Config& config, const ConnectionLimits& limits) {
  http::ClientOptions options = config.client;
  const unsigned loops = http::worker_count(config.server);
  options.max_idle_per_host =
      config.upstream_max_idle.value_or((limits.clients + loops - 1) / loops);
  return options;
}

// "upstream https://api.openai.com/v1", or "3 providers: a, b, c".
std::string describe_providers(const routing::Catalog& catalog) {
  if (catalog.providers.size() == 1)
    return fmt::format("upstream {}", shown_url(catalog.providers.front().settings.base_url));
  std::vector<std::string_view> names;
  for (const auto& provider : catalog.providers) names.push_back(provider.name);
  return fmt::format("{} providers: {}", names.size(), fmt::join(names, ", "));
}

// SIGHUP: the providers and routes are read again and swapped in whole; requests already running
// keep the catalog they started with. The other settings (listeners, limits, the gateway) stay
// as they were started: they need a restart. A file that fails validation changes nothing.
void reload_routes(const Config& running, routing::CatalogHolder& catalogs) {
  auto loaded = reload_config(running.sources);
  if (auto* error = std::get_if<std::string>(&loaded)) {
    spdlog::error("configuration not reloaded: {}", *error);
    return;
  }
  Config& next = std::get<Config>(loaded);
  for (const auto& warning : next.warnings) spdlog::warn("{}", warning);
  const std::string what = describe_providers(next.catalog);
  catalogs.replace(std::move(next.catalog));
  spdlog::info(
      "configuration reloaded from {} ({}); settings other than providers and routes "
      "take effect at the next start",
      running.config_file.empty() ? "the environment" : running.config_file, what);
}

// The gauges read when /metrics is scraped: the process, the server's connections, and the
// keys cooling down in the catalog in force (per provider; never a key itself).
void add_scrape_time_metrics(metrics::Registry& registry, const http::Server& server,
                             const routing::CatalogHolder& catalogs, const gateway::Door& gateway,
                             std::chrono::steady_clock::time_point started) {
  add_process_metrics(registry, started);
  registry.gauge_callback("ccgate_open_connections",
                          "Client connections open now (both listeners).",
                          [&server] { return static_cast<double>(server.open_connections()); });
  registry.gauge_callback(
      {.name = "ccgate_provider_keys_cooling",
       .help = "API keys of a provider cooling down after a 429 (not counting keys taken out).",
       .labels = {"provider"}},
      [&catalogs] {
        const auto live = catalogs.current();
        std::vector<metrics::GaugeCallback::Sample> samples;
        for (std::size_t i = 0; i < live->catalog().providers.size(); ++i) {
          const auto& provider = live->catalog().providers[i];
          const std::size_t cooling =
              provider.settings.api_keys.empty() ? 0 : live->state(i).keys.cooling();
          samples.push_back({.values = {provider.name}, .value = static_cast<double>(cooling)});
        }
        return samples;
      });
  registry.gauge_callback(
      {.name = "ccgate_gateway_sessions",
       .help = "Live gateway sessions by state: running (a turn), waiting_for_tool (tool calls "
               "handed to the client unanswered), idle, spare (started ahead).",
       .labels = {"state"}},
      [&gateway] {
        const gateway::SessionTally tally = gateway.session_tally();
        const auto sample = [](std::string state, std::size_t count) {
          return metrics::GaugeCallback::Sample{.values = {std::move(state)},
                                                .value = static_cast<double>(count)};
        };
        return std::vector<metrics::GaugeCallback::Sample>{
            sample("running", tally.running), sample("waiting_for_tool", tally.waiting_for_tool),
            sample("idle", tally.idle), sample("spare", tally.spare)};
      });
  registry.gauge_callback("ccgate_gateway_tool_calls_waiting",
                          "Tool calls of Claude Code waiting for the client's result now.",
                          [&gateway] { return static_cast<double>(gateway.tool_calls_waiting()); });
  registry.counter_callback(
      "ccgate_gateway_sessions_evicted_total",
      "Gateway sessions ended to make room at MAX_SESSIONS or idle past SESSION_IDLE_TIMEOUT.",
      [&gateway] { return static_cast<double>(gateway.session_tally().evicted); });
  registry.counter_callback(
      "ccgate_gateway_sessions_refused_total",
      "New gateway conversations refused (429) because every session was busy at MAX_SESSIONS.",
      [&gateway] { return static_cast<double>(gateway.session_tally().refused); });
}

}  // namespace

int run_server(const Config& config) {
  give_large_blocks_back();
  for (const auto& warning : config.warnings) spdlog::warn("{}", warning);
  const auto started = std::chrono::steady_clock::now();
  auto tls = http::make_client_tls_context();
  routing::CatalogHolder catalogs(config.catalog);
  metrics::Registry registry(config.access.metrics_max_series);
  const metrics::Instruments instruments(registry);
  StatusBoard status(started);  // the status page's recent past, shared by every event loop
  // SIGHUP reads the file again off the event loops; the swap itself is one atomic store.
  boost::asio::thread_pool reloader(1);

  http::ServerOptions options = config.server;
  options.error_body = [format = config.log_format](int status, std::string_view message,
                                                    const http::Exchange& exchange) {
    return server_error_body(status, message, exchange, format);
  };
  options.new_request_id = [] { return translate::unique_id("req_"); };
  const http::ClientOptions pool = client_options(config, apply_connection_limits(config, options));
  const Admission admission(config);
  options.admit = [&admission](http::Exchange& exchange) { return admission(exchange); };
  // The gateway door is shared by every event loop; it needs the bound port, so it is made
  // after listen() and before run() lets any request in.
  std::optional<gateway::Door> gateway;
  options.on_shutdown = [&gateway] {
    if (gateway) gateway->begin_shutdown();
  };
  options.on_hangup = [&] {
    boost::asio::post(reloader, [&] { reload_routes(config, catalogs); });
  };
  http::Server server(options, [&](boost::asio::io_context& loop) -> http::Handler {
    // Built at the first request, when the gateway door exists; each handler stays on its loop.
    return [&, state = std::shared_ptr<LoopState>()](http::Exchange& exchange) mutable {
      if (!state)
        state = std::make_shared<LoopState>(config, catalogs, pool, loop, tls, *gateway, status,
                                            started, registry, instruments);
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
  gateway.emplace(gateway_settings(config, server.private_port()), instruments);
  add_scrape_time_metrics(registry, server, catalogs, *gateway, started);
  const MemoryTrimmer trimmer([&server] { return server.open_connections(); });
  server.run([&] {
    spdlog::info("ccgate {} listening on http://{}:{} ({})", CCGATE_VERSION, config.server.host,
                 port, describe_providers(config.catalog));
  });
  spdlog::info("ccgate stopped");
  return 0;
}

}  // namespace ccgate::app
