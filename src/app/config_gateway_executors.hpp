#pragma once
// The configuration file's gateway.tools (tools ccgate runs itself: a webhook or a command) and
// gateway.builtin_tools (the Claude Code built-ins allowed per model).

#include <yaml-cpp/yaml.h>

#include <string_view>

#include "app/config_parser.hpp"
#include "gateway/executor_config.hpp"

namespace ccgate::app {

// Reads the value of `key` ("tools" or "builtin_tools") into `config`. Throws ConfigError.
void read_executor_config(const Parser& parse, std::string_view key, const YAML::Node& value,
                          gateway::ExecutorConfig& config);

}  // namespace ccgate::app
