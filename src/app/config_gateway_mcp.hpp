#pragma once
// The gateway: section's operator MCP servers (mcp_servers:) and the named client keys they may
// be limited to (client_keys:). Read together: a server's only_for: client_keys: names keys of
// client_keys:, which may come before or after it in the file.

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

#include "app/config_parser.hpp"
#include "gateway/operator_mcp.hpp"

namespace ccgate::app {

class OperatorMcpReader {
 public:
  // Whether `key` of gateway: is one this reader reads.
  static bool reads(std::string_view key) { return key == "client_keys" || key == "mcp_servers"; }
  // Reads one of them. Throws ConfigError.
  void read(const Parser& parse, std::string_view key, const YAML::Node& value);
  // Both read: checks what refers from one to the other. Throws ConfigError.
  gateway::OperatorMcp finish(const Parser& parse);

 private:
  struct KeyReference {
    YAML::Node at;
    std::string path;
    std::string id;
  };
  gateway::OperatorMcpServer read_server(const Parser& parse, const YAML::Node& node,
                                         const std::string& path);
  void read_only_for(const Parser& parse, const YAML::Node& node, const std::string& path,
                     gateway::OperatorMcpServer& server);

  gateway::OperatorMcp result_;
  std::vector<KeyReference> key_references_;  // only_for: client_keys: entries
};

}  // namespace ccgate::app
