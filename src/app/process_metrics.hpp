#pragma once
// The process's own figures, read from /proc when /metrics is scraped (never on a request's
// path): resident memory, open descriptors, threads, start time, uptime and build info.

#include <chrono>

#include "metrics/registry.hpp"

namespace ccgate::app {

void add_process_metrics(metrics::Registry& registry,
                         std::chrono::steady_clock::time_point started);

}  // namespace ccgate::app
