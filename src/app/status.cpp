#include "app/status.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <boost/json.hpp>

#include "translate/text.hpp"

namespace ccgate::app {
namespace json = boost::json;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

namespace {

constexpr std::string_view kMasked = "••••";

std::string_view set_or_not(std::string_view secret) {
  return secret.empty() ? "not set" : "set";
}

// A timeout as its variable gives it: in seconds.
double seconds(std::chrono::milliseconds duration) {
  return static_cast<double>(duration.count()) / 1000.0;
}

std::int64_t millis(std::chrono::nanoseconds duration) {
  return duration_cast<milliseconds>(duration).count();
}

std::string iso_time(std::chrono::system_clock::time_point time) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z",
                     std::chrono::time_point_cast<std::chrono::milliseconds>(time));
}

json::object record_json(const RequestRecord& request) {
  return {{"time", iso_time(request.ended)},   {"id", request.id},
          {"method", request.method},          {"path", request.path},
          {"status", request.status},          {"duration_ms", request.duration.count()},
          {"ttfb_ms", request.ttfb.count()},   {"summary", request.summary},
          {"client_left", request.client_left}};
}

// Nearest rank of a sorted sample.
std::uint32_t percentile(const std::vector<std::uint32_t>& sorted, double rank) {
  if (sorted.empty()) return 0;
  const auto index = static_cast<std::size_t>(rank * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)];
}

// "self" and "" (the CLI's own default) are no URLs.
std::string shown_cli_base_url(const std::string& url) {
  return url.empty() || url == "self" ? url : shown_url(url);
}

json::array chain_names(const routing::Catalog& catalog, const routing::Chain& chain) {
  json::array names;
  for (const auto& target : chain) names.emplace_back(routing::target_name(catalog, target));
  return names;
}

json::object provider_config(const routing::Provider& provider) {
  const auto& up = provider.settings;
  json::object headers;  // names only: a header may carry a key (api-key, x-goog-api-key, …)
  for (const auto& [name, value] : up.custom_headers) headers[name] = kMasked;
  json::array models;
  for (const auto& [name, quirks] : provider.models) models.emplace_back(name);
  return {{"name", provider.name},
          {"preset", provider.preset},
          {"base_url", shown_url(up.base_url)},
          {"api_keys", up.api_keys.empty() ? std::string("not set")
                                           : fmt::format("{} set", up.api_keys.size())},
          {"azure_api_version", up.azure_api_version},
          {"headers", std::move(headers)},
          {"max_concurrent", provider.max_concurrent},
          {"max_retries", up.max_retries},
          {"CONNECT_TIMEOUT", seconds(up.timeouts.connect)},
          {"REQUEST_TIMEOUT", seconds(up.timeouts.first_byte)},
          {"models", std::move(models)}};
}

json::object routes_config(const routing::Catalog& catalog) {
  const auto& routes = catalog.routes;
  json::object named{{"default", chain_names(catalog, routes.fallback)},
                     {"opus", chain_names(catalog, routes.opus)},
                     {"sonnet", chain_names(catalog, routes.sonnet)},
                     {"haiku", chain_names(catalog, routes.haiku)},
                     {"background", chain_names(catalog, routes.background)},
                     {"think", chain_names(catalog, routes.think)},
                     {"long_context", chain_names(catalog, routes.long_context)},
                     {"web_search", chain_names(catalog, routes.web_search)}};
  for (const auto& [client, chain] : routes.models)
    named[fmt::format("model {}", client)] = chain_names(catalog, chain);
  return named;
}

// Cut to at most max_bytes of valid UTF-8 ("…" marks a cut): a client chooses the path and the
// model name, and 100 megabyte-long ones must not make the board (and every poll) that large.
void bound(std::string& text, std::size_t max_bytes) {
  const bool ascii = std::all_of(text.begin(), text.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (text.size() <= max_bytes && ascii) return;
  std::string shown = translate::valid_utf8(translate::utf8_prefix(text, max_bytes));
  if (text.size() > max_bytes) shown += "…";
  text = std::move(shown);
}

// 'sha256-<base64>' of the text between the first `open` tag and its closing tag in the page: the
// CSP names the page's own inline script and style, so no other (injected) one would run.
std::string inline_hash(std::string_view page, std::string_view open, std::string_view close) {
  const auto start = page.find(open);
  const auto end = page.find(close, start);
  if (start == std::string_view::npos || end == std::string_view::npos) return "'none'";
  const std::string_view body = page.substr(start + open.size(), end - start - open.size());
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest);
  std::string encoded(4 * ((sizeof digest + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()), digest, sizeof digest);
  return fmt::format("'sha256-{}'", encoded);
}

}  // namespace

std::string_view status_page_csp() {
  static const std::string csp = fmt::format(
      "default-src 'none'; script-src {}; style-src {}; connect-src 'self'; img-src data:; "
      "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      inline_hash(status_page_html(), "<script>", "</script>"),
      inline_hash(status_page_html(), "<style>", "</style>"));
  return csp;
}

std::int64_t StatusBoard::second_of(Clock::time_point now) const {
  return std::chrono::duration_cast<std::chrono::seconds>(now - started_).count();
}

void StatusBoard::record(RequestRecord request, Clock::time_point now) {
  bound(request.id, kMaxIdBytes);
  bound(request.method, kMaxIdBytes);
  bound(request.path, kMaxPathBytes);
  bound(request.summary, kMaxSummaryBytes);
  const std::int64_t second = second_of(now);
  const auto latency =
      static_cast<std::uint32_t>(std::clamp<std::int64_t>(request.duration.count(), 0, UINT32_MAX));
  const bool client_error = request.status >= 400 && request.status < 500;
  const bool server_error = request.status >= 500;
  std::lock_guard lock(mutex_);
  ++total_;
  total_client_errors_ += client_error;
  total_server_errors_ += server_error;
  latencies_ms_[latency_count_++ % kLatencySamples] = latency;
  Second& slot = seconds_[static_cast<std::size_t>(second) % kSeconds];
  if (slot.second != second) slot = {.second = second};
  ++slot.requests;
  slot.client_errors += client_error;
  slot.server_errors += server_error;
  if (recent_.size() < kRecent) {
    recent_.push_back(std::move(request));
  } else {
    std::swap(recent_[next_recent_], request);  // the old one is freed after the lock
    next_recent_ = (next_recent_ + 1) % kRecent;
  }
}

json::object StatusBoard::snapshot(Clock::time_point now) const {
  const std::int64_t second = second_of(now);
  std::vector<std::uint32_t> latencies;
  std::vector<RequestRecord> recent;
  std::array<Second, kSeconds> seconds;
  std::uint64_t total = 0, client_errors = 0, server_errors = 0;
  {
    std::lock_guard lock(mutex_);
    latencies.assign(latencies_ms_.begin(),
                     latencies_ms_.begin() + std::min(latency_count_, kLatencySamples));
    recent.reserve(recent_.size());
    for (std::size_t i = 0; i < recent_.size(); ++i)  // newest first
      recent.push_back(recent_[(next_recent_ + recent_.size() - 1 - i) % recent_.size()]);
    seconds = seconds_;
    total = total_;
    client_errors = total_client_errors_;
    server_errors = total_server_errors_;
  }

  // Per minute, the last 30 (oldest first); the last one is the 60 seconds up to now.
  constexpr std::int64_t kMinutes = kSeconds / 60;
  std::array<Second, kMinutes> minutes{};
  for (const Second& slot : seconds) {
    const std::int64_t ago = second - slot.second;
    if (slot.second < 0 || ago < 0 || ago >= static_cast<std::int64_t>(kSeconds)) continue;
    Second& minute = minutes[static_cast<std::size_t>(kMinutes - 1 - ago / 60)];
    minute.requests += slot.requests;
    minute.client_errors += slot.client_errors;
    minute.server_errors += slot.server_errors;
  }
  json::array per_minute;
  for (const Second& minute : minutes)
    per_minute.push_back(json::object{{"requests", minute.requests},
                                      {"client_errors", minute.client_errors},
                                      {"server_errors", minute.server_errors}});
  const Second& last = minutes.back();

  std::sort(latencies.begin(), latencies.end());
  json::array recent_json;
  for (const auto& request : recent) recent_json.push_back(record_json(request));
  return {{"requests",
           {{"total", total},
            {"client_errors", client_errors},
            {"server_errors", server_errors},
            {"last_minute", last.requests},
            {"client_errors_last_minute", last.client_errors},
            {"server_errors_last_minute", last.server_errors},
            {"per_minute", std::move(per_minute)}}},
          {"latency_ms",
           {{"samples", latencies.size()},
            {"p50", percentile(latencies, 0.50)},
            {"p90", percentile(latencies, 0.90)},
            {"p99", percentile(latencies, 0.99)},
            {"max", latencies.empty() ? 0 : latencies.back()}}},
          {"recent", std::move(recent_json)}};
}

bool recorded_on_status_board(std::string_view path) {
  return path != "/metrics" && path != "/status" && path != "/status.json" &&
         !path.starts_with("/mcp/");
}

json::object provider_health(const routing::LiveCatalog& live, std::size_t index) {
  const routing::Provider& provider = live.catalog().providers[index];
  const auto& up = provider.settings;
  routing::ProviderState& state = live.state(index);
  return {{"name", provider.name},
          {"base_url", shown_url(up.base_url)},
          {"configured", !up.base_url.empty()},
          {"api_key_configured", !up.api_keys.empty()},
          {"keys", up.api_keys.size()},
          {"keys_cooling", up.api_keys.empty() ? 0 : state.keys.cooling()},
          {"keys_out", up.api_keys.empty() ? 0 : state.keys.out()},
          {"in_flight", state.cap.in_flight()},
          {"azure", up.azure()}};
}

json::object masked_config(const Config& config, const routing::Catalog& catalog) {
  json::array providers;
  for (const auto& provider : catalog.providers) providers.push_back(provider_config(provider));
  const auto& server = config.server;
  const auto& gateway = config.gateway;
  json::array cors(config.access.cors_origins.begin(), config.access.cors_origins.end());
  json::array hosts(config.access.allowed_hosts.begin(), config.access.allowed_hosts.end());
  return {{"config_file", config.config_file},
          {"log_level", config.log_level},
          {"HOST", server.host},
          {"PORT", server.port},  // as configured: 0 is any free port
          {"keys",
           {{"ANTHROPIC_API_KEY", set_or_not(config.proxy.api_key)},
            {"GATEWAY_API_KEY", set_or_not(gateway.api_key)},
            {"METRICS_KEY", set_or_not(config.access.metrics_key)},
            {"CLAUDE_CODE_API_KEY", set_or_not(gateway.cli_api_key)}}},
          {"access", {{"CORS_ORIGINS", std::move(cors)}, {"ALLOWED_HOSTS", std::move(hosts)}}},
          {"limits",
           {{"MAX_CONNECTIONS", server.max_connections},
            {"MAX_BODY_SIZE", server.body_limit},
            {"MAX_RESPONSE_SIZE", config.proxy.max_response_size},
            {"MAX_JSON_DEPTH", config.proxy.max_json_depth},
            {"HEADER_TIMEOUT", seconds(server.header_timeout)},
            {"BODY_TIMEOUT", seconds(server.body_timeout)},
            {"WRITE_TIMEOUT", seconds(server.write_timeout)},
            {"KEEPALIVE_TIMEOUT", seconds(server.idle_timeout)}}},
          {"providers", std::move(providers)},
          {"routes", routes_config(catalog)},
          {"gateway",
           {{"CLAUDE_CODE_PATH", gateway.cli_path},
            {"CLAUDE_CODE_BASE_URL", shown_cli_base_url(gateway.cli_base_url)},
            {"MAX_SESSIONS", gateway.max_sessions},
            {"SPARE_SESSIONS", gateway.spare_sessions},
            {"SESSION_IDLE_TIMEOUT", seconds(gateway.session_idle_timeout)},
            {"TOOL_CALL_TIMEOUT", seconds(gateway.tool_call_timeout)},
            {"TURN_TIMEOUT", seconds(gateway.turn_timeout)}}}};
}

json::object sessions_report(const std::vector<gateway::SessionView>& sessions,
                             std::size_t max_sessions) {
  json::array list;
  std::size_t waiting = 0, running = 0;
  for (const auto& session : sessions) {
    waiting += session.state == gateway::SessionView::State::waiting_for_tools;
    running += session.state == gateway::SessionView::State::running;
    list.push_back(json::object{{"id", session.id},
                                {"name", session.name},  // x-ccgate-conversation; "": unnamed
                                {"model", session.model},
                                {"state", gateway::state_name(session.state)},
                                {"age_ms", millis(session.age)},
                                {"idle_ms", millis(session.idle_for)},
                                {"pending_tool_calls", session.pending_tool_calls}});
  }
  return {{"live", sessions.size()},
          {"max", max_sessions},
          {"running", running},
          {"waiting_for_tools", waiting},
          {"list", std::move(list)}};
}

json::object status_report(const StatusBoard& board, const Config& config,
                           const routing::LiveCatalog& live,
                           const std::vector<gateway::SessionView>& sessions,
                           std::chrono::seconds uptime) {
  json::object report = board.snapshot();
  json::array providers;
  for (std::size_t i = 0; i < live.catalog().providers.size(); ++i)
    providers.push_back(provider_health(live, i));
  report["version"] = CCGATE_VERSION;
  report["uptime_seconds"] = uptime.count();
  report["now"] = iso_time(std::chrono::system_clock::now());
  report["providers"] = std::move(providers);
  report["sessions"] = sessions_report(sessions, config.gateway.max_sessions);
  report["config"] = masked_config(config, live.catalog());
  return report;
}

}  // namespace ccgate::app
