// ccgate-bench-mock: a mock LLM upstream for benchmarks, on ccgate's own HTTP server. Each
// request steers its answer with MOCK[key=value;...] (mock/directives.hpp), including the
// upstream faults the soak injects: reset, reset_after, malformed_at, html.

#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <exception>

#include "http/server.hpp"
#include "mock/options.hpp"
#include "mock/routes.hpp"
#include "mock/stats.hpp"

namespace ccgate::bench {
namespace {

using namespace std::chrono_literals;

http::ServerOptions server_options(const MockOptions& options) {
  http::ServerOptions server;
  server.host = options.host;
  server.port = options.port;
  server.threads = options.threads;
  server.body_limit = 64 * 1024 * 1024;
  server.header_timeout = 60s;
  server.idle_timeout = 1h;
  // A held stream never ends by itself: waiting the default grace for it would only slow the
  // orchestrator down when it stops the mock.
  server.shutdown_grace = 1s;
  return server;
}

int run_mock(const MockOptions& options) {
  Stats stats(options.threads);
  std::size_t next_shard = 0;
  // listen() builds one handler per event loop, after `server` exists; the handlers only ask it
  // for its connection count.
  http::Server server(server_options(options), [&](boost::asio::io_context&) -> http::Handler {
    return Routes(server, stats, next_shard++);
  });
  std::uint16_t port = 0;
  try {
    port = server.listen();
  } catch (const std::exception& error) {
    fmt::print(stderr, "ccgate-bench-mock: {}\n", error.what());
    return 1;
  }
  server.run([port] {
    fmt::print("listening {}\n", port);
    std::fflush(stdout);
  });
  return 0;
}

}  // namespace
}  // namespace ccgate::bench

int main(int argc, char** argv) {
  using namespace ccgate::bench;
  MockOptions options;
  try {
    options = parse_mock_options(argc, argv);
  } catch (const UsageError& error) {
    fmt::print(stderr, "ccgate-bench-mock: {}\n{}", error.what(), mock_usage());
    return 2;
  }
  if (options.help) {
    fmt::print("{}", mock_usage());
    return 0;
  }
  return run_mock(options);
}
