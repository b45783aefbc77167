#pragma once
// The three ways a run drives load: closed loop, open loop and hold (bench contract, section 2).

#include <boost/asio/awaitable.hpp>
#include <cstdint>

#include "load/connection_pool.hpp"
#include "load/plan.hpp"
#include "load/report.hpp"
#include "load/stats.hpp"

namespace ccgate::bench {

struct RunResult {
  Stats stats{};
  RunSummary summary{};
};

asio::awaitable<RunResult> run_closed_loop(const Plan& plan);
asio::awaitable<RunResult> run_open_loop(const Plan& plan);
asio::awaitable<RunResult> run_hold(const Plan& plan);

// Unrecorded closed-loop requests on every connection of the pool (both loops' warm-up).
asio::awaitable<void> warm_up(ConnectionPool& pool, std::uint64_t requests);

inline std::uint64_t seconds_to_ns(double seconds) {
  return static_cast<std::uint64_t>(seconds * 1e9);
}

}  // namespace ccgate::bench
