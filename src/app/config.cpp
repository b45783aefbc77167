#include "app/config.hpp"

#include <fmt/format.h>

#include <boost/algorithm/string.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <charconv>
#include <cmath>
#include <set>

#include "app/config_file.hpp"
#include "translate/model_map.hpp"

namespace ccgate::app {
namespace {

using std::chrono::milliseconds;

class Reader {
 public:
  // file: the configuration file whose settings: are in env (their errors name its line).
  Reader(const Environment& env, const ConfigFile* file) : env_(env), file_(file) {}

  std::string text(std::string_view name, std::string fallback = {}) const {
    asked_.emplace(name);
    const auto found = env_.find(name);
    if (found == env_.end() || found->second.empty()) return fallback;
    return found->second;
  }

  bool has(std::string_view name) const { return !text(name).empty(); }

  long long integer(std::string_view name, long long fallback, long long min, long long max) const {
    const std::string value = text(name);
    if (value.empty()) return fallback;
    long long parsed = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
    if (ec != std::errc{} || end != value.data() + value.size() || parsed < min || parsed > max)
      throw ConfigError(fmt::format("{}{}={}: expected a whole number from {} to {}", origin(name),
                                    name, quoted_value(value), min, max));
    return parsed;
  }

  std::optional<long long> optional_integer(std::string_view name, long long min,
                                            long long max) const {
    if (!has(name)) return std::nullopt;
    return integer(name, 0, min, max);
  }

  milliseconds seconds(std::string_view name, double fallback_seconds) const {
    const std::string value = text(name);
    double parsed = fallback_seconds;
    if (!value.empty()) {
      char* end = nullptr;
      parsed = std::strtod(value.c_str(), &end);
      if (end != value.c_str() + value.size() || !std::isfinite(parsed) || parsed <= 0 ||
          parsed > 86400.0 * 7)
        throw ConfigError(fmt::format("{}{}={}: expected a number of seconds greater than 0",
                                      origin(name), name, quoted_value(value)));
    }
    // Rounded up: 0.0001 s must not become a zero timeout (a ping loop would spin).
    return milliseconds(static_cast<long long>(std::ceil(parsed * 1000.0)));
  }

  const Environment& env() const { return env_; }

  // "FILE:LINE: settings.NAME: " when the value read for NAME is the file's.
  std::string origin(std::string_view name) const {
    if (!file_) return {};
    const auto found = env_.find(name);
    const auto setting = file_->settings.find(name);
    if (found == env_.end() || setting == file_->settings.end() ||
        found->second != setting->second.value)
      return {};
    return file_->origin(name);
  }

  bool asked(std::string_view name) const { return asked_.contains(name); }

 private:
  const Environment& env_;
  const ConfigFile* file_;
  mutable std::set<std::string, std::less<>> asked_;  // every name read: the known variables
};

std::string log_level_from(const Reader& read) {
  std::string value = read.text("LOG_LEVEL", "info");
  value = value.substr(0, value.find_first_of(" \t#"));  // "INFO  # comment" keeps working
  boost::algorithm::to_lower(value);
  if (value == "warning") value = "warn";
  if (value == "critical" || value == "fatal") value = "critical";
  static constexpr std::string_view kLevels[] = {"trace", "debug",    "info", "warn",
                                                 "error", "critical", "off"};
  for (auto level : kLevels)
    if (value == level) return value;
  throw ConfigError(fmt::format(
      "{}LOG_LEVEL={}: expected one of trace, debug, info, warning, error, critical, off",
      read.origin("LOG_LEVEL"), quoted_value(read.text("LOG_LEVEL"))));
}

LogFormat log_format_from(const Reader& read) {
  std::string value = read.text("LOG_FORMAT", "text");
  value = value.substr(0, value.find_first_of(" \t#"));
  boost::algorithm::to_lower(value);
  if (value == "text") return LogFormat::text;
  if (value == "json") return LogFormat::json;
  throw ConfigError(fmt::format("{}LOG_FORMAT={}: expected text or json", read.origin("LOG_FORMAT"),
                                quoted_value(read.text("LOG_FORMAT"))));
}

// A provider's own x-request-id header wins over the per-request id, as every custom header wins
// over a default; but the operator is told, since each request then loses its own id upstream.
void warn_about_fixed_request_ids(Config& config) {
  for (const auto& provider : config.catalog.providers)
    if (upstream::custom_header_hides_request_id(provider.settings))
      config.warnings.push_back(fmt::format(
          "provider {}: its configured x-request-id header is sent instead of each request's id",
          provider.name));
}

std::string http_url(const Reader& read, std::string_view name, std::string fallback) {
  std::string value = read.text(name, std::move(fallback));
  auto parsed = boost::urls::parse_uri(value);
  if (!parsed || (parsed->scheme() != "http" && parsed->scheme() != "https") ||
      parsed->host().empty())
    throw ConfigError(fmt::format("{}{}={}: expected an http:// or https:// URL", read.origin(name),
                                  name, quoted_value(value)));
  return value;
}

upstream::Headers custom_headers(const Environment& env) {
  constexpr std::string_view kPrefix = "CUSTOM_HEADER_";
  upstream::Headers headers;
  for (const auto& [key, value] : env) {
    if (!key.starts_with(kPrefix) || key.size() == kPrefix.size()) continue;
    std::string name = key.substr(kPrefix.size());
    std::replace(name.begin(), name.end(), '_', '-');
    headers.emplace_back(std::move(name), value);
  }
  return headers;
}

std::vector<std::string> comma_list(std::string_view text) {
  std::vector<std::string> items;
  boost::algorithm::split(items, text, boost::is_any_of(","));
  for (auto& item : items) boost::algorithm::trim(item);
  std::erase_if(items, [](const std::string& item) { return item.empty(); });
  return items;
}

void load_server(const Reader& read, Config& config) {
  auto& server = config.server;
  server.host = read.text("HOST", "127.0.0.1");
  server.port = static_cast<std::uint16_t>(read.integer("PORT", 8082, 0, 65535));
  server.body_limit =
      static_cast<std::size_t>(read.integer("MAX_BODY_SIZE", 32 * 1024 * 1024, 1024, 1LL << 32));
  server.threads = static_cast<unsigned>(read.integer("THREADS", 0, 0, 1024));
  server.shutdown_grace = read.seconds("SHUTDOWN_GRACE", 10);
  server.header_timeout = read.seconds("HEADER_TIMEOUT", 30);
  server.body_timeout = read.seconds("BODY_TIMEOUT", 60);
  server.write_timeout = read.seconds("WRITE_TIMEOUT", 60);
  server.idle_timeout = read.seconds("KEEPALIVE_TIMEOUT", 120);
  server.max_connections =
      static_cast<std::size_t>(read.integer("MAX_CONNECTIONS", 0, 1, 10'000'000));
}

std::vector<std::string> lower_case_list(const Reader& read, std::string_view name) {
  auto items = comma_list(read.text(name));
  for (auto& item : items) {
    boost::algorithm::to_lower(item);
    while (item.size() > 1 && item.back() == '/') item.pop_back();  // "http://a.example/"
  }
  return items;
}

void load_access(const Reader& read, Config& config) {
  config.access.cors_origins = lower_case_list(read, "CORS_ORIGINS");
  config.access.allowed_hosts = lower_case_list(read, "ALLOWED_HOSTS");
  config.access.metrics_key = read.text("METRICS_KEY");
  config.access.metrics_max_series =
      static_cast<std::size_t>(read.integer("METRICS_MAX_SERIES", 1000, 10, 1'000'000));
}

// A door without its key on an address other machines reach: told once at start-up (admission
// refuses those machines with 403 naming the same variable).
void warn_about_open_doors(Config& config) {
  if (loopback_host(config.server.host)) return;
  const auto warn = [&](std::string_view door, std::string_view variable) {
    config.warnings.push_back(fmt::format(
        "HOST={} is reachable from other machines and {} is not set: the {} door refuses "
        "clients that are not on this machine (403) until {} is set",
        config.server.host, variable, door, variable));
  };
  if (config.proxy.api_key.empty()) warn("proxy", "ANTHROPIC_API_KEY");
  if (config.gateway.api_key.empty() && config.gateway.extensions.operator_mcp.client_keys.empty())
    warn("gateway", "GATEWAY_API_KEY");
}

// What a provider does not say for itself: the timeouts and retries of the variables.
upstream::Settings provider_defaults(const Reader& read) {
  upstream::Settings up;
  up.max_retries = static_cast<int>(read.integer("MAX_RETRIES", 2, 0, 10));
  const auto request_timeout = read.seconds("REQUEST_TIMEOUT", 90);
  up.timeouts.connect = read.seconds("CONNECT_TIMEOUT", 10);
  up.timeouts.first_byte = request_timeout;
  up.timeouts.idle = read.has("IDLE_TIMEOUT") ? read.seconds("IDLE_TIMEOUT", 90) : request_timeout;
  up.timeouts.total = read.seconds("TOTAL_TIMEOUT", 3600);
  return up;
}

// Without providers: in a file, the single-provider variables are one provider named "openai"
// with the three model tiers and MODEL_MAP's aliases as its routes: ccgate as it always was.
routing::Catalog implicit_catalog(const Reader& read, upstream::Settings defaults, Config& config) {
  routing::Provider provider;
  provider.name = "openai";
  provider.settings = std::move(defaults);
  auto& up = provider.settings;
  up.base_url = http_url(read, "OPENAI_BASE_URL", "https://api.openai.com/v1");
  if (read.has("OPENAI_API_KEY")) up.api_keys = {read.text("OPENAI_API_KEY")};
  up.azure_api_version = read.text("AZURE_API_VERSION");
  up.custom_headers = custom_headers(read.env());
  if (up.api_keys.empty())
    config.warnings.push_back(
        "OPENAI_API_KEY is not set: upstream requests carry no key (fine for a local Ollama)");
  provider.reasoning_prefixes.assign(translate::kDefaultReasoningPrefixes.begin(),
                                     translate::kDefaultReasoningPrefixes.end());
  if (read.has("REASONING_MODELS"))
    provider.reasoning_prefixes = comma_list(read.text("REASONING_MODELS"));

  const std::string big = read.text("BIG_MODEL", "gpt-4o");
  const std::string middle = read.text("MIDDLE_MODEL", big);
  const std::string small = read.text("SMALL_MODEL", "gpt-4o-mini");
  std::vector<std::pair<std::string, std::string>> aliases;
  try {
    aliases = translate::parse_model_aliases(read.text("MODEL_MAP"));
  } catch (const std::invalid_argument& bad) {
    throw ConfigError(fmt::format("{}MODEL_MAP: {}", read.origin("MODEL_MAP"), bad.what()));
  }
  routing::Catalog catalog;
  catalog.providers.push_back(std::move(provider));
  auto& routes = catalog.routes;
  routes.opus = {{0, big}};
  routes.sonnet = {{0, middle}};
  routes.haiku = {{0, small}};
  routes.fallback = {{0, middle}};
  // Today's names stay model names: "openai/gpt-4o" (OpenRouter) is not provider openai's gpt-4o.
  routes.direct_selection = false;
  for (auto& [client, upstream_model] : aliases)
    routes.models.emplace_back(std::move(client), routing::Chain{{0, std::move(upstream_model)}});
  return catalog;
}

constexpr std::string_view kSingleProviderVariables[] = {
    "OPENAI_BASE_URL", "OPENAI_API_KEY", "AZURE_API_VERSION", "BIG_MODEL",
    "MIDDLE_MODEL",    "SMALL_MODEL",    "MODEL_MAP",         "REASONING_MODELS"};

bool single_provider_variable(std::string_view name) {
  return name.starts_with("CUSTOM_HEADER_") ||
         std::find(std::begin(kSingleProviderVariables), std::end(kSingleProviderVariables),
                   name) != std::end(kSingleProviderVariables);
}

// With providers: in the file, the single-provider variables do nothing: told once, by name
// (their values may be keys).
void warn_about_unused_variables(const Reader& read, const ConfigFile& file, Config& config) {
  std::vector<std::string> unused;
  for (const auto& [name, value] : read.env())
    if (single_provider_variable(name) && !value.empty()) unused.push_back(name);
  if (unused.empty()) return;
  config.warnings.push_back(fmt::format(
      "{} has providers:, so {} {} not used (each provider of the file has its own settings)",
      file.name, boost::algorithm::join(unused, ", "), unused.size() == 1 ? "is" : "are"));
}

// A setting of the file that no part of ccgate read is a typo (or a variable that does not
// apply): an error, not silence.
void refuse_unknown_settings(const Reader& read, const ConfigFile& file) {
  const bool providers = file.has_providers();
  for (const auto& [name, setting] : file.settings) {
    if (read.asked(name)) continue;
    if (!providers && name.starts_with("CUSTOM_HEADER_") && name.size() > 14) continue;
    if (providers && single_provider_variable(name))
      throw ConfigError(fmt::format(
          "{}not used with providers: (give each provider its base_url, api_key, headers and "
          "models, and the routes their targets)",
          file.origin(name)));
    throw ConfigError(
        fmt::format("{}not a ccgate variable (the README's configuration table "
                    "lists them)",
                    file.origin(name)));
  }
}

void load_client(const Reader& read, Config& config) {
  if (read.has("UPSTREAM_MAX_IDLE"))
    config.upstream_max_idle =
        static_cast<std::size_t>(read.integer("UPSTREAM_MAX_IDLE", 0, 0, 10'000'000));
  config.client.idle_keepalive = read.seconds("UPSTREAM_KEEPALIVE_TIMEOUT", 60);

  auto& proxy = config.client.proxy;
  auto either = [&](const char* upper, const char* lower) {
    const std::string upper_value = read.text(upper);  // both read: both are known names
    return read.has(lower) ? read.text(lower) : upper_value;
  };
  proxy.https_proxy = either("HTTPS_PROXY", "https_proxy");
  proxy.http_proxy = either("HTTP_PROXY", "http_proxy");
  proxy.no_proxy = either("NO_PROXY", "no_proxy");
}

void load_translation(const Reader& read, Config& config) {
  auto& translation = config.proxy.translation;
  translation.max_tokens_limit = read.optional_integer("MAX_TOKENS_LIMIT", 1, 100'000'000);
  translation.min_tokens_limit = read.optional_integer("MIN_TOKENS_LIMIT", 1, 100'000'000);
  if (translation.max_tokens_limit && translation.min_tokens_limit &&
      *translation.min_tokens_limit > *translation.max_tokens_limit)
    throw ConfigError(fmt::format("MIN_TOKENS_LIMIT={} is above MAX_TOKENS_LIMIT={}",
                                  *translation.min_tokens_limit, *translation.max_tokens_limit));
}

bool on_off(const Reader& read, std::string_view name, bool fallback) {
  std::string value = read.text(name);
  if (value.empty()) return fallback;
  boost::algorithm::to_lower(value);
  if (value == "on" || value == "true" || value == "1" || value == "yes") return true;
  if (value == "off" || value == "false" || value == "0" || value == "no") return false;
  throw ConfigError(fmt::format("{}{}={}: expected on or off", read.origin(name), name,
                                quoted_value(read.text(name))));
}

void load_gateway(const Reader& read, Config& config) {
  auto& gateway = config.gateway;
  gateway.cli_path = read.text("CLAUDE_CODE_PATH");
  gateway.cli_base_url = read.text("CLAUDE_CODE_BASE_URL");
  if (!gateway.cli_base_url.empty() && gateway.cli_base_url != "self")
    gateway.cli_base_url = http_url(read, "CLAUDE_CODE_BASE_URL", "");
  gateway.cli_api_key = read.text("CLAUDE_CODE_API_KEY", gateway.cli_api_key);
  gateway.api_key = read.text("GATEWAY_API_KEY");
  gateway.max_sessions = static_cast<std::size_t>(read.integer("MAX_SESSIONS", 32, 1, 100'000));
  gateway.session_idle_timeout = read.seconds("SESSION_IDLE_TIMEOUT", 1800);
  gateway.spare_sessions = static_cast<std::size_t>(read.integer("SPARE_SESSIONS", 0, 0, 1000));
  gateway.spare_idle_timeout = read.seconds("SPARE_IDLE_TIMEOUT", 300);
  gateway.tool_call_timeout = read.seconds("TOOL_CALL_TIMEOUT", 120);
  gateway.mcp_start_timeout = read.seconds("MCP_SERVER_START_TIMEOUT", 30);
  gateway.tool_cache_ttl = read.seconds("TOOL_CACHE_TTL", 300);
  gateway.keepalive = read.seconds("GATEWAY_KEEPALIVE", 15);
  gateway.turn_timeout = read.seconds("TURN_TIMEOUT", 600);
  gateway.interrupt_timeout = read.seconds("INTERRUPT_TIMEOUT", 10);
  if (read.has("GATEWAY_SYSTEM_PROMPT")) gateway.system_prompt = read.text("GATEWAY_SYSTEM_PROMPT");
  gateway.include_reasoning = on_off(read, "GATEWAY_REASONING", true);
}

// Bounds on what comes from outside, shared by both doors.
void load_input_limits(const Reader& read, Config& config) {
  const auto depth = static_cast<std::size_t>(read.integer("MAX_JSON_DEPTH", 128, 16, 4096));
  const auto line =
      static_cast<std::size_t>(read.integer("MAX_LINE_SIZE", 16 * 1024 * 1024, 1024, 1LL << 31));
  config.proxy.max_json_depth = config.gateway.max_json_depth = depth;
  config.proxy.max_line_size = config.gateway.max_line_size = line;
  config.proxy.max_response_size = static_cast<std::size_t>(
      read.integer("MAX_RESPONSE_SIZE", 64 * 1024 * 1024, 1024, 1LL << 32));
}

}  // namespace

Config load_config(Environment env, const Environment& overrides) {
  const auto named = [&](std::string_view name) {
    const auto found = overrides.find(name);
    if (found != overrides.end()) return found->second;
    const auto in_env = env.find(name);
    return in_env == env.end() ? std::string() : in_env->second;
  };
  Config config;
  config.config_file = named("CCGATE_CONFIG");
  std::optional<ConfigFile> file;
  if (!config.config_file.empty()) {
    file = read_config_file(config.config_file, env);
    for (const auto& [name, setting] : file->settings)
      if (auto& value = env[name]; value.empty()) value = setting.value;
  }
  for (const auto& [name, value] : overrides) env.insert_or_assign(name, value);

  Reader read(env, file ? &*file : nullptr);
  config.log_level = log_level_from(read);
  config.log_format = log_format_from(read);
  load_server(read, config);
  auto defaults = provider_defaults(read);
  if (file && file->has_providers()) {
    config.catalog = file_catalog(*file, defaults, env);
    warn_about_unused_variables(read, *file, config);
  } else {
    config.catalog = implicit_catalog(read, std::move(defaults), config);
  }
  load_client(read, config);
  load_translation(read, config);
  config.proxy.api_key = read.text("ANTHROPIC_API_KEY");
  config.proxy.ping_interval = read.seconds("PING_INTERVAL", 15);
  load_gateway(read, config);
  if (file) config.gateway.extensions = file_gateway_extensions(*file, env);
  load_input_limits(read, config);
  load_access(read, config);
  read.text("CCGATE_CONFIG");  // known, though read above
  if (file) refuse_unknown_settings(read, *file);
  warn_about_open_doors(config);
  warn_about_fixed_request_ids(config);
  return config;
}

Config load_config_from(const ConfigSources& sources) {
  Environment overrides = sources.flags;
  if (!sources.config_file.empty())
    overrides.insert_or_assign("CCGATE_CONFIG", sources.config_file);
  Config config = load_config(load_environment(sources.env_file), overrides);
  config.sources = sources;
  return config;
}

std::variant<Config, std::string> reload_config(const ConfigSources& sources) {
  try {
    return load_config_from(sources);
  } catch (const ConfigError& error) {
    return std::string(error.what());
  }
}

const routing::Provider& default_provider(const Config& config) {
  return config.catalog.providers.at(config.catalog.routes.fallback.front().provider);
}

std::string shown_url(std::string_view text) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return "(not a URL)";
  boost::urls::url url(*parsed);
  url.remove_userinfo();
  url.remove_query();
  url.remove_fragment();
  return std::string(url.buffer());
}

bool loopback_host(std::string_view host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

}  // namespace ccgate::app
