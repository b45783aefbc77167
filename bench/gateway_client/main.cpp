// ccgate-bench-gateway: the gateway-lane client of the benchmarks (bench contract, section 4).

#include <fmt/format.h>

#include <exception>

#include "gateway_client/gateway_bench.hpp"
#include "gateway_client/options.hpp"

int main(int argc, char** argv) {
  using namespace ccgate::bench;
  auto parsed = parse_options(argc, argv);
  if (!parsed.options) return parsed.exit_status;
  try {
    GatewayBench bench(std::move(*parsed.options));
    return bench.run();
  } catch (const std::exception& failed) {
    fmt::print(stderr, "ccgate-bench-gateway: {}\n", failed.what());
    return 1;
  }
}
