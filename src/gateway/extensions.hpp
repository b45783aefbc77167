#pragma once
// The gateway door's extensions, from the configuration file's `gateway:` section (seed 000's
// extension points): operator MCP servers, tool policy, server-side tool executors, explicit
// conversations, opt-in built-in tools. Each is off by default: an empty Extensions is the
// gateway as it is without a `gateway:` section.

#include "gateway/conversation.hpp"
#include "gateway/executor_config.hpp"
#include "gateway/operator_mcp.hpp"
#include "gateway/tool_policy_config.hpp"

namespace ccgate::gateway {

struct Extensions {
  ConversationWebhookSettings conversation_webhooks;
  ToolPolicyConfig policy;   // gateway.policy:
  ExecutorConfig executors;  // gateway.tools and gateway.builtin_tools
  OperatorMcp operator_mcp;  // client_keys: and mcp_servers:
};

}  // namespace ccgate::gateway
