#include "app/config_gateway.hpp"

namespace ccgate::app {
namespace {

// Each extension adds its key here, and its reader below.
constexpr std::string_view kGatewayKeys = "";

}  // namespace

gateway::Extensions read_gateway_extensions(const Parser& parse, const YAML::Node& node) {
  gateway::Extensions extensions;
  parse.each(node, "gateway", kGatewayKeys,
             [&](const std::string&, const YAML::Node&, const YAML::Node&) { return false; });
  return extensions;
}

}  // namespace ccgate::app
