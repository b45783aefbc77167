#include "app/routes.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "anthropic/errors.hpp"
#include "http/auth.hpp"
#include "mcp/server.hpp"
#include "openai/errors.hpp"
#include "translate/ids.hpp"

namespace ccgate::app {
namespace json = boost::json;
namespace bhttp = boost::beast::http;

namespace {

// The Claude model names ccgate advertises: the current families, then the configured aliases.
std::vector<std::string> advertised_models(const Config& config) {
  std::vector<std::string> names{"claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5"};
  for (const auto& [client, upstream] : config.proxy.translation.models.aliases)
    if (std::find(names.begin(), names.end(), client) == names.end()) names.push_back(client);
  return names;
}

// One entry readable by both the Anthropic and the OpenAI SDKs' model types.
json::object model_entry(const Config& config, const std::string& name) {
  return {{"type", "model"},
          {"id", name},
          {"display_name", name},
          {"created_at", "2025-01-01T00:00:00Z"},
          {"object", "model"},
          {"created", 1735689600},
          {"owned_by", "ccgate"},
          {"upstream_model", config.proxy.translation.models.upstream_for(name)}};
}

// The JSON bodies are built outside the coroutines: GCC 12 miscompiles initializer lists of
// string literals inside a coroutine frame ("array used as initializer").
json::value about() {
  return {{"name", "ccgate"},
          {"version", CCGATE_VERSION},
          {"status", "running"},
          {"endpoints", {"/v1/messages", "/v1/messages/count_tokens", "/v1/models", "/health"}}};
}

json::value health_report(const Config& config, std::chrono::seconds uptime) {
  const auto& up = config.upstream;
  return {{"status", "healthy"},
          {"version", CCGATE_VERSION},
          {"uptime_seconds", uptime.count()},
          {"upstream",
           {{"base_url", up.base_url},
            {"configured", !up.base_url.empty()},
            {"api_key_configured", !up.api_key.empty()},
            {"azure", up.azure()}}},
          {"client_api_key_validation", !config.proxy.api_key.empty()}};
}

json::value model_list(const Config& config) {
  const auto names = advertised_models(config);
  json::array data;
  for (const auto& name : names) data.push_back(model_entry(config, name));
  return {{"object", "list"},
          {"data", std::move(data)},
          {"has_more", false},
          {"first_id", names.front()},
          {"last_id", names.back()}};
}

// The gateway door's models in OpenAI's list shape: the Claude Code aliases the CLI's --model
// takes, then the proxy's Claude names.
json::value gateway_model_list(const Config& config) {
  json::array data;
  for (std::string_view alias : {"sonnet", "opus", "haiku"})
    data.push_back(json::object{
        {"id", alias}, {"object", "model"}, {"created", 1735689600}, {"owned_by", "claude-code"}});
  for (const auto& name : advertised_models(config))
    data.push_back(json::object{
        {"id", name}, {"object", "model"}, {"created", 1735689600}, {"owned_by", "ccgate"}});
  return {{"object", "list"}, {"data", std::move(data)}};
}

http::Fields request_id_fields(const http::RequestLog& log) {
  http::Fields fields;
  fields.set("request-id", log.id);
  return fields;
}

boost::asio::awaitable<void> respond_json(http::Exchange& exchange, const http::RequestLog& log,
                                          http::Status status, const json::value& body) {
  co_await exchange.respond(status, json::serialize(body), "application/json",
                            request_id_fields(log));
}

boost::asio::awaitable<void> respond_anthropic_error(http::Exchange& exchange,
                                                     const http::RequestLog& log, int status,
                                                     std::string_view message) {
  co_await exchange.respond(static_cast<http::Status>(status),
                            anthropic::error_body_for_status(status, message), "application/json",
                            request_id_fields(log));
}

boost::asio::awaitable<void> preflight(http::Exchange& exchange) {
  http::Fields fields;
  fields.set(bhttp::field::access_control_allow_origin, "*");
  fields.set(bhttp::field::access_control_allow_methods, "GET, POST, HEAD, OPTIONS");
  const auto asked = exchange.header("access-control-request-headers");
  fields.set(bhttp::field::access_control_allow_headers, asked.empty() ? "*" : asked);
  fields.set(bhttp::field::access_control_max_age, "86400");
  co_await exchange.respond(http::Status::no_content, "", "text/plain", std::move(fields));
}

void write_log_line(const http::Exchange& exchange, const http::RequestLog& log) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  const auto now = http::RequestLog::Clock::now();
  const auto total = duration_cast<milliseconds>(now - log.started).count();
  const auto ttfb = duration_cast<milliseconds>(log.first_byte.value_or(now) - log.started).count();
  const int status = exchange.response_started() ? static_cast<int>(exchange.status()) : 499;
  spdlog::info("{} {} {} {} {}{}{}ms ttfb={}ms{}", log.id, exchange.request().method_string(),
               exchange.path(), status, log.summary, log.summary.empty() ? "" : " ", total, ttfb,
               exchange.response_finished() ? "" : " (client left)");
}

}  // namespace

boost::asio::awaitable<void> Routes::operator()(http::Exchange& exchange) const {
  http::RequestLog log;
  log.id = translate::unique_id("req_");
  // Written however the exchange ends, including when the client leaves and the handler is
  // cancelled.
  struct LogOnExit {
    const http::Exchange& exchange;
    const http::RequestLog& log;
    ~LogOnExit() { write_log_line(exchange, log); }
  } log_on_exit{exchange, log};
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
    log.summary = fmt::format("mcp {}", mcp->server);
    co_return co_await gateway_.mcp(exchange, mcp->server, mcp->session_id);
  }
  if (path == "/health" && get) co_return co_await health(exchange, log);
  if ((path == "/v1/models" || path.starts_with("/v1/models/")) && get)
    co_return co_await models(exchange, log);
  if (path == "/" && get) {
    const json::value body = about();
    co_return co_await respond_json(exchange, log, http::Status::ok, body);
  }
  const bool known = path == "/v1/messages" || path == "/v1/messages/count_tokens" ||
                     path == "/v1/chat/completions" || path == "/health" || path == "/";
  // Named, not temporaries: GCC 12 destroys temporaries of a co_await expression twice.
  const std::string message =
      known ? fmt::format("method {} is not allowed on {}",
                          std::string_view(exchange.request().method_string()), path)
            : fmt::format("no route for {}", path);
  co_await respond_anthropic_error(exchange, log, known ? 405 : 404, message);
}

boost::asio::awaitable<void> Routes::health(http::Exchange& exchange, http::RequestLog& log) const {
  const auto uptime =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_);
  const json::value body = health_report(config_, uptime);
  co_await respond_json(exchange, log, http::Status::ok, body);
}

boost::asio::awaitable<void> Routes::models(http::Exchange& exchange, http::RequestLog& log) const {
  // Anthropic SDKs and Claude Code always send anthropic-version; OpenAI clients never do. Each
  // kind of client shows the key of its own door, when that door has one.
  const bool anthropic_client = !exchange.header("anthropic-version").empty();
  const std::string& key = anthropic_client ? config_.proxy.api_key : config_.gateway.api_key;
  const std::string_view presented =
      anthropic_client ? http::presented_key(exchange) : http::bearer_token(exchange);
  if (!key.empty() && !http::constant_time_equals(presented, key)) {
    const std::string message = "invalid API key for this ccgate";
    std::string body = anthropic_client ? anthropic::error_body_for_status(401, message)
                                        : openai::error_body(message, "invalid_request_error", "",
                                                             "invalid_api_key");
    co_return co_await exchange.respond(http::Status::unauthorized, std::move(body),
                                        "application/json", request_id_fields(log));
  }
  constexpr std::string_view kPrefix = "/v1/models/";
  if (exchange.path().starts_with(kPrefix)) {
    const std::string id(exchange.path().substr(kPrefix.size()));
    const json::value body = model_entry(config_, id);
    co_return co_await respond_json(exchange, log, http::Status::ok, body);
  }
  const json::value body = anthropic_client ? model_list(config_) : gateway_model_list(config_);
  co_await respond_json(exchange, log, http::Status::ok, body);
}

}  // namespace ccgate::app
