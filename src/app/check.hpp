#pragma once
// `ccgate check`: one real upstream call with SMALL_MODEL, reported in plain words.

#include "app/config.hpp"

namespace ccgate::app {

int run_check(const Config& config);

}  // namespace ccgate::app
