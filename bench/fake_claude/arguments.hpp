#pragma once
// The command line ccgate gives the Claude Code CLI (src/claude/launch.cpp), as far as the stub
// needs it: the MCP servers to connect to and the model name. Every other flag is accepted and
// ignored, as the real CLI would act on flags the stub has no use for.

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ccgate::bench {

struct McpServerConfig {
  std::string host;
  std::string port;
  std::string target;  // path and query
  std::vector<std::pair<std::string, std::string>> headers;
};

struct Arguments {
  std::optional<McpServerConfig> gateway;
  std::optional<McpServerConfig> auth;
  std::string model;
  bool help = false;
};

// Throws std::runtime_error when --mcp-config is present but not usable.
Arguments parse_arguments(int argc, char** argv);

std::string_view usage_text();

}  // namespace ccgate::bench
