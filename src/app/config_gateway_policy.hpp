#pragma once
// The configuration file's `gateway.policy:`: the tool policy (see gateway/tool_policy.hpp).

#include <yaml-cpp/yaml.h>

#include "app/config_parser.hpp"
#include "gateway/tool_policy_config.hpp"

namespace ccgate::app {

// `policy:`'s value (a mapping; empty: a policy with its defaults). Throws ConfigError.
gateway::ToolPolicyConfig read_tool_policy(const Parser& parse, const YAML::Node& node);

}  // namespace ccgate::app
