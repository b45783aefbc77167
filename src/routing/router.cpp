#include "routing/router.hpp"

#include <algorithm>

#include "translate/text.hpp"

namespace ccgate::routing {

namespace {

using translate::contains_ignoring_case;

enum class Family { none, opus, sonnet, haiku };

// A name naming two families is the cheaper one (the order MODEL_MAP's family rule always had).
Family family_of(std::string_view model) {
  if (contains_ignoring_case(model, "haiku")) return Family::haiku;
  if (contains_ignoring_case(model, "sonnet")) return Family::sonnet;
  if (contains_ignoring_case(model, "opus")) return Family::opus;
  // An unknown Claude family ("claude-fable-5-2") is the middle tier, never passed on raw.
  if (contains_ignoring_case(model, "claude")) return Family::sonnet;
  return Family::none;
}

// "provider/model" or "provider,model" (claude-code-router) where provider is configured. The
// first separator splits: provider names hold neither, and model names may hold both
// ("openrouter/anthropic/claude-sonnet-4").
std::optional<Target> direct_target(const Catalog& catalog, std::string_view model) {
  const auto separator = model.find_first_of("/,");
  if (separator == std::string_view::npos || separator + 1 == model.size()) return std::nullopt;
  const auto provider = catalog.provider_index(model.substr(0, separator));
  if (!provider) return std::nullopt;
  return Target{*provider, std::string(model.substr(separator + 1))};
}

const Chain* model_route(const Routes& routes, std::string_view model) {
  const auto found = std::find_if(routes.models.begin(), routes.models.end(), [&](const auto& r) {
    return translate::equals_ignoring_case(r.first, model);
  });
  return found == routes.models.end() || found->second.empty() ? nullptr : &found->second;
}

// The first scenario that applies and has a route, in the order of the header.
std::optional<Decision> scenario(const Routes& routes, const translate::RouteTraits& traits,
                                 std::optional<std::int64_t> input_tokens, Family family) {
  if (!routes.long_context.empty() && input_tokens &&
      *input_tokens > routes.long_context_threshold) {
    return Decision{"long_context", routes.long_context};
  }
  if (!routes.web_search.empty() && traits.web_search) {
    return Decision{"web_search", routes.web_search};
  }
  if (!routes.think.empty() && traits.thinking) return Decision{"think", routes.think};
  if (!routes.background.empty() && family == Family::haiku) {
    return Decision{"background", routes.background};
  }
  return std::nullopt;
}

Decision family_route(const Routes& routes, Family family) {
  const auto [name, chain] = [&]() -> std::pair<std::string_view, const Chain*> {
    switch (family) {
      case Family::opus:
        return {"opus", &routes.opus};
      case Family::haiku:
        return {"haiku", &routes.haiku};
      default:
        return {"sonnet", &routes.sonnet};
    }
  }();
  if (chain->empty()) return {"default", routes.fallback};
  return {name, *chain};
}

// A name no route matches goes, unchanged, to the provider that serves the default route.
Decision passthrough(const Routes& routes, std::string_view model) {
  if (routes.fallback.empty()) return {"passthrough", {}};
  return {"passthrough", {Target{routes.fallback.front().provider, std::string(model)}}};
}

}  // namespace

bool needs_token_estimate(const Catalog& catalog) {
  return !catalog.routes.long_context.empty();
}

Decision decide(const Catalog& catalog, const translate::RouteTraits& traits,
                std::optional<std::int64_t> input_tokens) {
  const Routes& routes = catalog.routes;
  if (auto target = routes.direct_selection ? direct_target(catalog, traits.model) : std::nullopt) {
    return {"direct", {std::move(*target)}};
  }
  if (const Chain* chain = model_route(routes, traits.model)) return {"model", *chain};
  const Family family = family_of(traits.model);
  if (auto chosen = scenario(routes, traits, input_tokens, family)) return std::move(*chosen);
  if (family == Family::none) return passthrough(routes, traits.model);
  return family_route(routes, family);
}

}  // namespace ccgate::routing
