#pragma once
// The configuration file's `gateway:` section: the gateway door's extensions.

#include <yaml-cpp/yaml.h>

#include "app/config_parser.hpp"
#include "gateway/extensions.hpp"

namespace ccgate::app {

// `gateway:`'s value (a mapping). Throws ConfigError.
gateway::Extensions read_gateway_extensions(const Parser& parse, const YAML::Node& node);

}  // namespace ccgate::app
