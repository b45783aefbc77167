#include "app/config_gateway.hpp"

#include "app/config_gateway_mcp.hpp"

namespace ccgate::app {
namespace {

// Each extension adds its key here, and its reader below.
constexpr std::string_view kGatewayKeys = "client_keys, mcp_servers";

}  // namespace

gateway::Extensions read_gateway_extensions(const Parser& parse, const YAML::Node& node) {
  gateway::Extensions extensions;
  OperatorMcpReader operator_mcp;  // client_keys: and mcp_servers: refer to each other
  parse.each(node, "gateway", kGatewayKeys,
             [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
               if (OperatorMcpReader::reads(key)) {
                 operator_mcp.read(parse, key, value);
                 return true;
               }
               return false;
             });
  extensions.operator_mcp = operator_mcp.finish(parse);
  return extensions;
}

}  // namespace ccgate::app
