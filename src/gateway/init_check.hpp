#pragma once
// The CLI's system/init line says which MCP servers connected and which tools the model has.
// A turn must not run with the client's tools missing: the model would answer without them.

#include <boost/json/object.hpp>
#include <optional>
#include <string>

#include "gateway/tool_manager.hpp"

namespace ccgate::gateway {

bool is_init_line(const boost::json::object& line);

// What is wrong with this init line for a session serving `tools`; nullopt when all is well.
std::optional<std::string> init_problem(const boost::json::object& line, const ToolSet& tools);

}  // namespace ccgate::gateway
