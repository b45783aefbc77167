#pragma once
// Which chain of targets serves a request. Pure and fast (bench/route_decision measures it):
//   1. "provider/model" or "provider,model" naming a configured provider: that target alone;
//   2. an exact model route (routes.models);
//   3. scenarios: long_context, web_search, think, background (a haiku-family name);
//   4. the Claude family: opus, sonnet, haiku; any other name containing "claude" is sonnet;
//   5. default: a Claude name → routes.fallback; a non-Claude name → the fallback's first
//      provider with the name unchanged.

#include <cstdint>
#include <optional>
#include <string_view>

#include "routing/catalog.hpp"
#include "translate/route_traits.hpp"

namespace ccgate::routing {

struct Decision {
  std::string_view route;  // "direct", "model", "long_context", "web_search", "think",
                           // "background", "opus", "sonnet", "haiku", "default", "passthrough"
  Chain chain;             // never empty when the catalog has a fallback route
};

// Whether decide() needs input_tokens (a long_context route exists): the estimate walks the
// whole request, so it is only made when it can change the answer.
bool needs_token_estimate(const Catalog& catalog);

Decision decide(const Catalog& catalog, const translate::RouteTraits& traits,
                std::optional<std::int64_t> input_tokens);

}  // namespace ccgate::routing
