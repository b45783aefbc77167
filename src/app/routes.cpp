#include "app/routes.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "app/admission.hpp"
#include "app/log_format.hpp"
#include "app/status.hpp"
#include "mcp/server.hpp"
#include "routing/router.hpp"

namespace ccgate::app {
namespace json = boost::json;
namespace bhttp = boost::beast::http;

namespace {

// The Claude model names ccgate advertises: the current families, then the exact model routes.
std::vector<std::string> advertised_models(const routing::Catalog& catalog) {
  std::vector<std::string> names{"claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5"};
  for (const auto& [client, chain] : catalog.routes.models)
    if (std::find(names.begin(), names.end(), client) == names.end()) names.push_back(client);
  return names;
}

// One entry readable by both the Anthropic and the OpenAI SDKs' model types; upstream_model is
// where a plain request for it goes first ("provider/model" with several providers).
json::object model_entry(const routing::Catalog& catalog, const std::string& name) {
  const routing::Decision decision = routing::decide(catalog, {.model = name}, std::nullopt);
  std::string upstream;
  if (!decision.chain.empty())
    upstream = catalog.providers.size() == 1
                   ? decision.chain.front().model
                   : routing::target_name(catalog, decision.chain.front());
  return {{"type", "model"},      {"id", name},
          {"display_name", name}, {"created_at", "2025-01-01T00:00:00Z"},
          {"object", "model"},    {"created", 1735689600},
          {"owned_by", "ccgate"}, {"upstream_model", upstream}};
}

// The JSON bodies are built outside the coroutines: GCC 12 miscompiles initializer lists of
// string literals inside a coroutine frame ("array used as initializer").
json::value about() {
  return {{"name", "ccgate"},
          {"version", CCGATE_VERSION},
          {"status", "running"},
          {"endpoints", {"/v1/messages", "/v1/messages/count_tokens", "/v1/models", "/health"}}};
}

json::value health_report(const Config& config, const routing::LiveCatalog& live,
                          std::chrono::seconds uptime) {
  const routing::Catalog& catalog = live.catalog();
  json::array providers;
  for (std::size_t i = 0; i < catalog.providers.size(); ++i)
    providers.push_back(provider_health(live, i));
  // "upstream": the default route's first provider (what a single-provider setup always showed).
  const std::size_t first =
      catalog.routes.fallback.empty() ? 0 : catalog.routes.fallback.front().provider;
  return {{"status", "healthy"},
          {"version", CCGATE_VERSION},
          {"uptime_seconds", uptime.count()},
          {"upstream", providers.empty() ? json::value() : providers[first]},
          {"providers", std::move(providers)},
          {"client_api_key_validation", !config.proxy.api_key.empty()},
          {"gateway_api_key_validation", !config.gateway.api_key.empty()}};
}

json::value model_list(const routing::Catalog& catalog) {
  const auto names = advertised_models(catalog);
  json::array data;
  for (const auto& name : names) data.push_back(model_entry(catalog, name));
  return {{"object", "list"},
          {"data", std::move(data)},
          {"has_more", false},
          {"first_id", names.front()},
          {"last_id", names.back()}};
}

// The gateway door's models in OpenAI's list shape: the Claude Code aliases the CLI's --model
// takes, then the proxy's Claude names.
json::value gateway_model_list(const routing::Catalog& catalog) {
  json::array data;
  for (std::string_view alias : {"sonnet", "opus", "haiku"})
    data.push_back(json::object{
        {"id", alias}, {"object", "model"}, {"created", 1735689600}, {"owned_by", "claude-code"}});
  for (const auto& name : advertised_models(catalog))
    data.push_back(json::object{
        {"id", name}, {"object", "model"}, {"created", 1735689600}, {"owned_by", "ccgate"}});
  return {{"object", "list"}, {"data", std::move(data)}};
}

boost::asio::awaitable<void> respond_json(http::Exchange& exchange, http::Status status,
                                          const json::value& body) {
  co_await exchange.respond(status, json::serialize(body), "application/json");
}

boost::asio::awaitable<void> respond_door_error(http::Exchange& exchange, int status,
                                                std::string_view message) {
  http::Reply reply = error_reply(door_of(exchange.path()),
                                  !exchange.header("anthropic-version").empty(), status, message);
  co_await exchange.respond(reply.status, std::move(reply.body), reply.content_type);
}

// The headers the Anthropic and OpenAI SDKs send, allowed when a preflight names none.
constexpr std::string_view kSdkHeaders =
    "authorization, content-type, accept, x-api-key, anthropic-version, anthropic-beta, "
    "anthropic-dangerous-direct-browser-access, openai-organization, openai-project, "
    "x-stainless-arch, x-stainless-lang, x-stainless-os, x-stainless-package-version, "
    "x-stainless-retry-count, x-stainless-runtime, x-stainless-runtime-version, "
    "x-stainless-timeout, x-stainless-helper-method";
constexpr std::string_view kMethods = "GET, POST, HEAD, OPTIONS";

// Admission has refused every origin CORS_ORIGINS does not allow (and given an allowed one its
// Access-Control-Allow-Origin), so what reaches here may be told what it may send.
boost::asio::awaitable<void> preflight(http::Exchange& exchange) {
  http::Fields fields;
  if (exchange.header("origin").empty() ||
      exchange.header("access-control-request-method").empty()) {
    fields.set(bhttp::field::allow, kMethods);
  } else {
    fields.set(bhttp::field::access_control_allow_methods, kMethods);
    const auto asked = exchange.header("access-control-request-headers");
    fields.set(bhttp::field::access_control_allow_headers, asked.empty() ? kSdkHeaders : asked);
    fields.set(bhttp::field::access_control_max_age, "7200");  // Chromium's own cap
  }
  co_await exchange.respond(http::Status::no_content, "", "", std::move(fields));
}

void write_log_line(const http::Exchange& exchange, const http::RequestLog& log, LogFormat format) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  const auto now = http::RequestLog::Clock::now();
  log_request({.id = exchange.request_id(),
               .method = exchange.request().method_string(),
               .path = exchange.path(),
               .status = exchange.response_started() ? static_cast<int>(exchange.status()) : 499,
               .duration = duration_cast<milliseconds>(now - log.started),
               .ttfb = duration_cast<milliseconds>(log.first_byte.value_or(now) - log.started),
               .client_left = !exchange.response_finished(),
               .details = &log},
              format);
}

std::string_view door_label(Door door) {
  switch (door) {
    case Door::proxy:
      return "proxy";
    case Door::gateway:
      return "gateway";
    case Door::models:
      return "models";
    case Door::mcp:
      return "mcp";
    case Door::own:
      return "own";
    case Door::monitoring:
      return "monitoring";
    case Door::admin:
      return "admin";
  }
  return "own";
}

// The body bytes of one exchange, counted however it ends.
class CountBytes {
 public:
  CountBytes(const metrics::Instruments& metrics, const http::Exchange& exchange)
      : exchange_(exchange),
        door_(door_label(door_of(exchange.path()))),
        received_(exchange.request().body().size()),
        metrics_(metrics) {}
  CountBytes(const CountBytes&) = delete;
  CountBytes& operator=(const CountBytes&) = delete;
  ~CountBytes() {
    if (received_ != 0) metrics_.received_bytes.with({door_}).inc(received_);
    if (exchange_.bytes_sent() != 0) metrics_.sent_bytes.with({door_}).inc(exchange_.bytes_sent());
  }

 private:
  const http::Exchange& exchange_;
  std::string_view door_;
  std::uint64_t received_;
  const metrics::Instruments& metrics_;
};

// The log line's data, for the status page.
void record_on_status_board(const http::Exchange& exchange, const http::RequestLog& log,
                            StatusBoard& board) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  if (!recorded_on_status_board(exchange.path())) return;
  const auto now = http::RequestLog::Clock::now();
  board.record({.ended = std::chrono::system_clock::now(),
                .id = std::string(exchange.request_id()),
                .method = std::string(exchange.request().method_string()),
                .path = std::string(exchange.path()),
                .status = exchange.response_started() ? static_cast<int>(exchange.status()) : 499,
                .duration = duration_cast<milliseconds>(now - log.started),
                .ttfb = duration_cast<milliseconds>(log.first_byte.value_or(now) - log.started),
                .summary = text_summary(log),
                .client_left = !exchange.response_finished()});
}

// The status page: it holds no data (it fetches /status.json), and tells the browser to keep it
// out of caches, frames and Referer headers, and to let it reach only ccgate itself.
http::Fields status_page_fields() {
  http::Fields fields;
  fields.set(bhttp::field::cache_control, "no-store");
  fields.set("referrer-policy", "no-referrer");
  fields.set("x-content-type-options", "nosniff");
  fields.set("x-frame-options", "DENY");
  fields.set("content-security-policy", status_page_csp());
  return fields;
}

}  // namespace

boost::asio::awaitable<void> Routes::operator()(http::Exchange& exchange) const {
  http::RequestLog log;
  // Written however the exchange ends, including when the client leaves and the handler is
  // cancelled.
  struct LogOnExit {
    const http::Exchange& exchange;
    const http::RequestLog& log;
    LogFormat format;
    StatusBoard& status;
    ~LogOnExit() {
      write_log_line(exchange, log, format);
      record_on_status_board(exchange, log, status);
    }
  } log_on_exit{exchange, log, config_.log_format, status_};
  const CountBytes count_bytes(instruments_, exchange);
  co_await dispatch(exchange, log);
}

boost::asio::awaitable<void> Routes::dispatch(http::Exchange& exchange,
                                              http::RequestLog& log) const {
  const auto method = exchange.request().method();
  const std::string_view path = exchange.path();
  const bool get = method == bhttp::verb::get || method == bhttp::verb::head;
  const bool post = method == bhttp::verb::post;

  if (method == bhttp::verb::options) co_return co_await preflight(exchange);
  if (path == "/v1/messages" && post) co_return co_await proxy_.messages(exchange, log);
  if (path == "/v1/messages/count_tokens" && post)
    co_return co_await proxy_.count_tokens(exchange, log);
  if (path == "/v1/chat/completions" && post)
    co_return co_await gateway_.chat_completions(exchange, log);
  if (auto mcp = mcp::parse_mcp_path(path)) {
    log.mcp = mcp->server;
    co_return co_await gateway_.mcp(exchange, mcp->server, mcp->session_id);
  }
  if (path == "/health" && get) co_return co_await health(exchange);
  if (path == "/metrics" && get) co_return co_await metrics(exchange);
  if (path == "/status" && get) {
    // Named, not temporaries (see below).
    http::Fields fields = status_page_fields();
    std::string page(status_page_html());
    co_return co_await exchange.respond(http::Status::ok, std::move(page),
                                        "text/html; charset=utf-8", std::move(fields));
  }
  if (path == "/status.json" && get) co_return co_await status_json(exchange);
  // Admission has applied the monitoring rule; the door answers its methods and ids.
  if (door_of(path) == Door::admin) co_return co_await gateway_.conversations(exchange);
  if ((path == "/v1/models" || path.starts_with("/v1/models/")) && get)
    co_return co_await models(exchange);
  if (path == "/" && get) {
    const json::value body = about();
    co_return co_await respond_json(exchange, http::Status::ok, body);
  }
  const bool known = path == "/v1/messages" || path == "/v1/messages/count_tokens" ||
                     path == "/v1/chat/completions" || path == "/health" || path == "/" ||
                     path == "/metrics" || path == "/status" || path == "/status.json";
  // Named, not temporaries: GCC 12 destroys temporaries of a co_await expression twice.
  const std::string message =
      known ? fmt::format("method {} is not allowed on {}",
                          std::string_view(exchange.request().method_string()), path)
            : fmt::format("no route for {}", path);
  co_await respond_door_error(exchange, known ? 405 : 404, message);
}

boost::asio::awaitable<void> Routes::health(http::Exchange& exchange) const {
  const auto uptime =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_);
  const json::value body = health_report(config_, *catalogs_.current(), uptime);
  co_await respond_json(exchange, http::Status::ok, body);
}

// Admission has applied the operators' rule (app/admission, Door::monitoring): loopback peers, or
// METRICS_KEY from everyone.
boost::asio::awaitable<void> Routes::metrics(http::Exchange& exchange) const {
  http::Fields fields;
  fields.set(bhttp::field::cache_control, "no-store");
  co_await exchange.respond(http::Status::ok, registry_.expose(), metrics::kContentType,
                            std::move(fields));
}

boost::asio::awaitable<void> Routes::status_json(http::Exchange& exchange) const {
  const auto uptime =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_);
  const json::value body =
      status_report(status_, config_, *catalogs_.current(), gateway_.session_list(), uptime);
  http::Fields fields;
  fields.set(bhttp::field::cache_control, "no-store");
  co_await exchange.respond(http::Status::ok, json::serialize(body), "application/json",
                            std::move(fields));
}

// Admission has checked the key (either door's); the shape follows the client: Anthropic SDKs
// and Claude Code always send anthropic-version, OpenAI clients never do.
boost::asio::awaitable<void> Routes::models(http::Exchange& exchange) const {
  const bool anthropic_client = !exchange.header("anthropic-version").empty();
  constexpr std::string_view kPrefix = "/v1/models/";
  if (exchange.path().starts_with(kPrefix)) {
    const std::string id(exchange.path().substr(kPrefix.size()));
    const json::value body = model_entry(catalogs_.current()->catalog(), id);
    co_return co_await respond_json(exchange, http::Status::ok, body);
  }
  const auto live = catalogs_.current();
  const json::value body =
      anthropic_client ? model_list(live->catalog()) : gateway_model_list(live->catalog());
  co_await respond_json(exchange, http::Status::ok, body);
}

}  // namespace ccgate::app
