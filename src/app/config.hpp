#pragma once
// ccgate's configuration, read from an Environment. Every variable is listed in the README's
// configuration table; a bad value stops start-up with a ConfigError naming the variable.

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

struct Config {
  http::ServerOptions server;
  http::ClientOptions client;
  upstream::Settings upstream;
  proxy::Settings proxy;
  gateway::Settings gateway;          // cli_base_url "self" and mcp_base_url are resolved at start
  std::string log_level = "info";     // spdlog level name
  std::vector<std::string> warnings;  // told once at start-up
};

Config load_config(const Environment& env);

}  // namespace ccgate::app
