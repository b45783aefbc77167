#pragma once
// The gateway door's extensions, from the configuration file's `gateway:` section (seed 000's
// extension points): operator MCP servers, tool policy, server-side tool executors, explicit
// conversations, opt-in built-in tools. Each is off by default: an empty Extensions is the
// gateway as it is without a `gateway:` section.

#include "gateway/operator_mcp.hpp"

namespace ccgate::gateway {

struct Extensions {
  OperatorMcp operator_mcp;  // client_keys: and mcp_servers:
};

}  // namespace ccgate::gateway
