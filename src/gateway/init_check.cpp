#include "gateway/init_check.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>

namespace ccgate::gateway {
namespace json = boost::json;

namespace {

std::string_view string_field(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value && value->is_string() ? std::string_view(value->as_string()) : std::string_view();
}

std::string_view server_status(const json::object& line, std::string_view name) {
  const auto* servers = line.if_contains("mcp_servers");
  if (!servers || !servers->is_array()) return {};
  for (const auto& server : servers->as_array()) {
    if (server.is_object() && string_field(server.as_object(), "name") == name)
      return string_field(server.as_object(), "status");
  }
  return {};
}

bool lists_tool(const json::object& line, std::string_view name) {
  const auto* tools = line.if_contains("tools");
  if (!tools || !tools->is_array()) return false;
  for (const auto& tool : tools->as_array())
    if (tool.is_string() && tool.as_string() == name) return true;
  return false;
}

}  // namespace

bool is_init_line(const json::object& line) {
  return string_field(line, "type") == "system" && string_field(line, "subtype") == "init";
}

std::optional<std::string> init_problem(const json::object& line, const ToolSet& tools) {
  for (std::string_view server : {"gateway", "auth"}) {
    const auto status = server_status(line, server);
    if (status != "connected")
      return fmt::format(
          "Claude Code did not connect to ccgate's MCP {} server (status: {}); the request "
          "cannot be served with the client's tools",
          server, status.empty() ? "absent" : status);
  }
  for (const auto& tool : tools.mcp_tools) {
    const std::string cli_name = fmt::format("mcp__gateway__{}", tool.name);
    if (!lists_tool(line, cli_name))
      return fmt::format("Claude Code did not load the client's tool {} (as {})",
                         tools.names.client_for(tool.name).value_or(tool.name), cli_name);
  }
  return std::nullopt;
}

}  // namespace ccgate::gateway
