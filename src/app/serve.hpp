#pragma once
// Builds the server and each event loop's doors, and runs until SIGINT/SIGTERM.

#include "app/config.hpp"

namespace ccgate::app {

int run_server(const Config& config);

}  // namespace ccgate::app
