#pragma once
// ccgate's configuration, read from an Environment and the optional configuration file
// (app/config_file). Every variable is listed in the README's configuration table; a bad value
// stops start-up with a ConfigError naming the variable (and the file's line for a value from it).
// Precedence, highest first: command-line flags, the process environment, the .env file, the
// file's settings:, the defaults.

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "app/environment.hpp"
#include "app/log_format.hpp"
#include "gateway/settings.hpp"
#include "http/client.hpp"
#include "http/server.hpp"
#include "proxy/door.hpp"
#include "routing/catalog.hpp"

namespace ccgate::app {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Who may reach ccgate from where, beyond each door's key (the admission rules, app/admission).
struct AccessSettings {
  std::vector<std::string> cors_origins;   // CORS_ORIGINS, lower case; "*" allows every origin
  std::vector<std::string> allowed_hosts;  // ALLOWED_HOSTS, lower case; "*" allows every Host
  // METRICS_KEY: when set, /metrics, /status and /status.json want it from everyone; unset,
  // they answer loopback peers only.
  std::string metrics_key;
  // METRICS_MAX_SERIES: label sets kept per metric; past it new ones are counted as "other".
  std::size_t metrics_max_series = 1000;
};

// Where a configuration comes from; kept to load it again (reload_config).
struct ConfigSources {
  std::filesystem::path env_file = ".env";
  std::string config_file;  // --config; empty: CCGATE_CONFIG, if set
  Environment flags;        // the command-line flags as variables (HOST, PORT, LOG_LEVEL)
};

struct Config {
  http::ServerOptions server;  // max_connections 0: derived from the fd limit at start-up
  AccessSettings access;
  http::ClientOptions client;
  // UPSTREAM_MAX_IDLE, pooled upstream connections kept per event loop; unset: as many as the
  // loop's share of MAX_CONNECTIONS (the pool follows the load, and idle ones expire).
  std::optional<std::size_t> upstream_max_idle;
  // The providers and routes: the file's providers:, or one provider "openai" from OPENAI_BASE_URL
  // and the other single-provider variables.
  routing::Catalog catalog;
  proxy::Settings proxy;
  gateway::Settings gateway;       // cli_base_url "self" and mcp_base_url are resolved at start
  std::string log_level = "info";  // spdlog level name
  LogFormat log_format = LogFormat::text;  // LOG_FORMAT
  std::vector<std::string> warnings;       // told once at start-up
  std::string config_file;                 // the file read ("": none)
  ConfigSources sources;                   // how it was loaded: reload_config(config.sources)
};

// env: the process environment and the .env file. overrides: the flags, above everything; a
// CCGATE_CONFIG among them names the file. Throws ConfigError.
Config load_config(Environment env, const Environment& overrides = {});
Config load_config_from(const ConfigSources& sources);

// The same loading for a reload (SIGHUP): the .env file and the configuration file read again;
// an error is returned as its message, and the running configuration is left alone.
std::variant<Config, std::string> reload_config(const ConfigSources& sources);

// The first target's provider of routes.default (what a single-provider setup always had).
const routing::Provider& default_provider(const Config& config);

// A configured URL as ccgate shows it (/health, logs): without credentials, query or fragment.
std::string shown_url(std::string_view url);

// HOST names a loopback address (127.0.0.0/8, ::1, localhost): only this machine can connect.
bool loopback_host(std::string_view host);

}  // namespace ccgate::app
