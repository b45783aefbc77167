#include "app/config_gateway.hpp"

#include "app/config_gateway_conversations.hpp"
#include "app/config_gateway_executors.hpp"
#include "app/config_gateway_mcp.hpp"
#include "app/config_gateway_policy.hpp"

namespace ccgate::app {
namespace {

// Each extension adds its key here, and its reader below.
constexpr std::string_view kGatewayKeys =
    "client_keys, mcp_servers, tools, builtin_tools, policy, conversation_webhooks";

}  // namespace

gateway::Extensions read_gateway_extensions(const Parser& parse, const YAML::Node& node) {
  gateway::Extensions extensions;
  OperatorMcpReader operator_mcp;  // client_keys: and mcp_servers: refer to each other
  parse.each(node, "gateway", kGatewayKeys,
             [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
               if (OperatorMcpReader::reads(key))
                 operator_mcp.read(parse, key, value);
               else if (key == "tools" || key == "builtin_tools")
                 read_executor_config(parse, key, value, extensions.executors);
               else if (key == "policy")
                 extensions.policy = read_tool_policy(parse, value);
               else if (key == "conversation_webhooks")
                 extensions.conversation_webhooks = read_conversation_webhooks(parse, value);
               else
                 return false;
               return true;
             });
  extensions.operator_mcp = operator_mcp.finish(parse);
  return extensions;
}

}  // namespace ccgate::app
