#pragma once
// The optional YAML configuration file (--config FILE or CCGATE_CONFIG; ccgate.example.yaml shows
// every key): `settings:` (the README's variables by name, below the environment), `providers:`
// and `routes:` (a routing::Catalog), `gateway:` (the gateway door's extensions). ${VAR} in any
// value reads the environment; $${ is a literal
// ${. Every error is a ConfigError "FILE:LINE: key.path: what is wrong"; unknown keys are errors.

#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <string_view>

#include "app/environment.hpp"
#include "gateway/extensions.hpp"
#include "routing/catalog.hpp"
#include "upstream/settings.hpp"

namespace ccgate::app {

struct FileSetting {
  std::string value;  // interpolated
  int line = 0;
};

struct ConfigFile {
  std::string name;  // the path as given, for messages
  YAML::Node root;   // a mapping (or null for an empty file)
  std::map<std::string, FileSetting, std::less<>> settings;

  bool has_providers() const;
  // "FILE:LINE: settings.NAME: " when NAME's value came from the file, else "".
  std::string origin(std::string_view setting) const;
};

// The largest configuration file read (a commented file for dozens of providers is tens of KB).
inline constexpr std::size_t kMaxConfigFileSize = 1024 * 1024;

// Reads and parses the file and its `settings:`. env: what ${VAR} reads. Throws ConfigError.
ConfigFile read_config_file(const std::string& path, const Environment& env);
ConfigFile parse_config_file(std::string_view text, std::string name, const Environment& env);

// The providers and routes of a file that has `providers:`. defaults: what a provider does not
// say (timeouts and retries from the variables). Throws ConfigError.
routing::Catalog file_catalog(const ConfigFile& file, const upstream::Settings& defaults,
                              const Environment& env);

// The gateway door's extensions (the file's `gateway:` section; none without one). Throws
// ConfigError.
gateway::Extensions file_gateway_extensions(const ConfigFile& file, const Environment& env);

}  // namespace ccgate::app
