#pragma once
// `ccgate check`: the configuration is valid (it loaded), then one tiny real chat request to each
// provider, all at once, reported one line per provider. Exit 0 only if every provider answered.

#include "app/config.hpp"

namespace ccgate::app {

int run_check(const Config& config);

}  // namespace ccgate::app
