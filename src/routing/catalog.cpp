#include "routing/catalog.hpp"

#include <algorithm>

#include "translate/model_map.hpp"
#include "translate/text.hpp"

namespace ccgate::routing {

translate::ModelQuirks Provider::quirks_for(std::string_view model) const {
  const auto listed = std::find_if(models.begin(), models.end(), [&](const auto& entry) {
    return translate::equals_ignoring_case(entry.first, model);
  });
  if (listed != models.end()) return listed->second;
  translate::ModelQuirks quirks = default_quirks;
  if (translate::has_reasoning_prefix(reasoning_prefixes, model)) quirks.reasoning = true;
  return quirks;
}

std::optional<std::size_t> Catalog::provider_index(std::string_view name) const {
  const auto found = std::find_if(providers.begin(), providers.end(), [&](const Provider& p) {
    return translate::equals_ignoring_case(p.name, name);
  });
  if (found == providers.end()) return std::nullopt;
  return static_cast<std::size_t>(found - providers.begin());
}

std::string target_name(const Catalog& catalog, const Target& target) {
  std::string name;
  if (target.provider < catalog.providers.size()) {
    const std::string& provider = catalog.providers[target.provider].name;
    name.reserve(provider.size() + 1 + target.model.size());
    name += provider;
  }
  name += '/';
  name += target.model;
  return name;
}

}  // namespace ccgate::routing
