#pragma once
// ccgate's configuration, read from an Environment. Every variable is listed in the README's
// configuration table; a bad value stops start-up with a ConfigError naming the variable.

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/environment.hpp"
#include "gateway/settings.hpp"
#include "http/client.hpp"
#include "http/server.hpp"
#include "proxy/door.hpp"
#include "upstream/settings.hpp"

namespace ccgate::app {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Who may reach ccgate from where, beyond each door's key (the admission rules, app/admission).
struct AccessSettings {
  std::vector<std::string> cors_origins;   // CORS_ORIGINS, lower case; "*" allows every origin
  std::vector<std::string> allowed_hosts;  // ALLOWED_HOSTS, lower case; "*" allows every Host
};

struct Config {
  http::ServerOptions server;  // max_connections 0: derived from the fd limit at start-up
  AccessSettings access;
  http::ClientOptions client;
  // UPSTREAM_MAX_IDLE, pooled upstream connections kept per event loop; unset: as many as the
  // loop's share of MAX_CONNECTIONS (the pool follows the load, and idle ones expire).
  std::optional<std::size_t> upstream_max_idle;
  upstream::Settings upstream;
  proxy::Settings proxy;
  gateway::Settings gateway;          // cli_base_url "self" and mcp_base_url are resolved at start
  std::string log_level = "info";     // spdlog level name
  std::vector<std::string> warnings;  // told once at start-up
};

Config load_config(const Environment& env);

// A configured URL as ccgate shows it (/health, logs): without credentials, query or fragment.
std::string shown_url(std::string_view url);

// HOST names a loopback address (127.0.0.0/8, ::1, localhost): only this machine can connect.
bool loopback_host(std::string_view host);

}  // namespace ccgate::app
