#include "routing/live.hpp"

namespace ccgate::routing {

LiveCatalog::LiveCatalog(Catalog catalog) : catalog_(std::move(catalog)) {
  for (const auto& provider : catalog_.providers) states_.emplace_back(provider);
}

}  // namespace ccgate::routing
