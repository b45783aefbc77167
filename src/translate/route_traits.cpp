#include "translate/route_traits.hpp"

#include <algorithm>

#include "translate/json_access.hpp"

namespace ccgate::translate {

namespace {

bool thinking_enabled(const json::object& request) {
  const auto* thinking = object_at(request, "thinking");
  return thinking != nullptr && string_or_empty(*thinking, "type") == "enabled";
}

// Server tools carry a versioned type ("web_search_20250305"); client tools have none.
bool has_web_search_tool(const json::object& request) {
  const auto* tools = array_at(request, "tools");
  if (tools == nullptr) return false;
  return std::any_of(tools->begin(), tools->end(), [](const json::value& tool) {
    const auto* object = tool.if_object();
    return object != nullptr && string_or_empty(*object, "type").starts_with("web_search");
  });
}

}  // namespace

RouteTraits route_traits(const json::value& request) {
  const auto* object = request.if_object();
  if (object == nullptr) return {};
  return {.model = string_or_empty(*object, "model"),
          .thinking = thinking_enabled(*object),
          .web_search = has_web_search_tool(*object)};
}

}  // namespace ccgate::translate
