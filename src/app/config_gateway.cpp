#include "app/config_gateway.hpp"

#include "app/config_gateway_conversations.hpp"
#include "app/config_gateway_executors.hpp"
#include "app/config_gateway_policy.hpp"

namespace ccgate::app {
namespace {

// Each extension adds its key here, and its reader below.
constexpr std::string_view kGatewayKeys = "conversation_webhooks, policy, tools, builtin_tools";

}  // namespace

gateway::Extensions read_gateway_extensions(const Parser& parse, const YAML::Node& node) {
  gateway::Extensions extensions;
  parse.each(node, "gateway", kGatewayKeys,
             [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
               if (key == "conversation_webhooks")
                 extensions.conversation_webhooks = read_conversation_webhooks(parse, value);
               else if (key == "policy")
                 extensions.policy = read_tool_policy(parse, value);
               else if (key == "tools" || key == "builtin_tools")
                 read_executor_config(parse, key, value, extensions.executors);
               else
                 return false;
               return true;
             });
  return extensions;
}

}  // namespace ccgate::app
