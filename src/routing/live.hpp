#pragma once
// The catalog in force, with the state that belongs to it: each provider's key pool and
// concurrency cap. A reload swaps the whole LiveCatalog; a request keeps the one it started with
// (it holds the shared_ptr), so it finishes on the configuration it began on.

#include <atomic>
#include <deque>
#include <memory>

#include "routing/catalog.hpp"
#include "upstream/key_pool.hpp"

namespace ccgate::routing {

struct ProviderState {
  explicit ProviderState(const Provider& provider)
      : keys(provider.settings.api_keys.size()), cap(provider.max_concurrent) {}
  upstream::KeyPool keys;
  upstream::ConcurrencyCap cap;
};

class LiveCatalog {
 public:
  explicit LiveCatalog(Catalog catalog);

  const Catalog& catalog() const { return catalog_; }
  // Shared by every request on this catalog, whatever thread it runs on (atomics inside).
  ProviderState& state(std::size_t provider) const { return states_[provider]; }

 private:
  Catalog catalog_;
  mutable std::deque<ProviderState> states_;  // not movable: atomics
};

// Where every event loop finds the catalog in force.
class CatalogHolder {
 public:
  explicit CatalogHolder(Catalog catalog)
      : current_(std::make_shared<const LiveCatalog>(std::move(catalog))) {}

  std::shared_ptr<const LiveCatalog> current() const {
    return current_.load(std::memory_order_acquire);
  }
  void replace(Catalog catalog) {
    current_.store(std::make_shared<const LiveCatalog>(std::move(catalog)),
                   std::memory_order_release);
  }

 private:
  std::atomic<std::shared_ptr<const LiveCatalog>> current_;
};

}  // namespace ccgate::routing
