#include "app/config_gateway.hpp"

#include "app/config_gateway_executors.hpp"

namespace ccgate::app {
namespace {

// Each extension adds its key here, and its reader below.
constexpr std::string_view kGatewayKeys = "tools, builtin_tools";

}  // namespace

gateway::Extensions read_gateway_extensions(const Parser& parse, const YAML::Node& node) {
  gateway::Extensions extensions;
  parse.each(node, "gateway", kGatewayKeys,
             [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
               if (key == "tools" || key == "builtin_tools") {
                 read_executor_config(parse, key, value, extensions.executors);
                 return true;
               }
               return false;
             });
  return extensions;
}

}  // namespace ccgate::app
