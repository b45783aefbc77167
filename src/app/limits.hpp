#pragma once
// Descriptors: the open-files limit raised at start-up, and how many client connections it can
// carry next to everything else ccgate holds. Memory: large blocks given back when freed.

#include <cstddef>
#include <cstdint>

namespace ccgate::app {

struct FdLimit {
  std::uint64_t was = 0;   // the soft limit ccgate started with
  std::uint64_t soft = 0;  // the soft limit now
  std::uint64_t hard = 0;
};

// Raises the soft RLIMIT_NOFILE to the hard limit (capped by the kernel's nr_open).
FdLimit raise_fd_limit();

struct ConnectionLimits {
  std::size_t clients = 0;              // MAX_CONNECTIONS
  std::size_t private_connections = 0;  // the Claude Code processes' own listener
  std::size_t fds_needed = 0;           // at worst, with every limit reached
};

// How the descriptors are shared (README, MAX_CONNECTIONS):
//   ccgate itself           kReservedFds (event loops, listeners, logs, resolver, spare)
//   each gateway session    kProcessFds (3 pipes, a pidfd) + kCliConnections connections back to
//                           ccgate on the private listener (MCP, and model calls with
//                           CLAUDE_CODE_BASE_URL=self), each with room for one upstream socket
//   each client connection  itself and at most one upstream socket
// so MAX_CONNECTIONS defaults to (fd_limit − kReservedFds − MAX_SESSIONS × per_session) / 2,
// and the private listener takes MAX_SESSIONS × kCliConnections connections of its own.
// `configured` (MAX_CONNECTIONS, 0 when unset) wins over the derived value.
ConnectionLimits connection_limits(std::uint64_t fd_limit, std::size_t max_sessions,
                                   std::size_t configured);

// Blocks of kLargeBlock bytes or more (a 32 MiB request body, a 16 MiB output line) get their own
// mapping, returned to the system when freed. Left alone, glibc raises this threshold after the
// first such block is freed and keeps later ones in the freeing thread's arena: after a few large
// requests RSS stays tens of MiB up per event loop (measured: +66 MiB after one 32 MiB body on
// each door, +4 MiB with this). An arena keeps up to kKeptFreeTop bytes of free memory at its top,
// so requests below kLargeBlock do not give pages back and fault them in again each time. Call it
// at start-up, before any thread.
inline constexpr std::size_t kLargeBlock = 1024 * 1024;
inline constexpr std::size_t kKeptFreeTop = 8 * 1024 * 1024;
void give_large_blocks_back();

inline constexpr std::size_t kReservedFds = 64;
inline constexpr std::size_t kProcessFds = 4;
inline constexpr std::size_t kCliConnections = 4;
inline constexpr std::size_t kSessionFds = kProcessFds + 2 * kCliConnections;
inline constexpr std::size_t kMinConnections = 16;

}  // namespace ccgate::app
