#include "app/limits.hpp"

#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>
#include <fstream>

namespace ccgate::app {

FdLimit raise_fd_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return {};
  FdLimit result{limit.rlim_cur, limit.rlim_cur, limit.rlim_max};
  rlim_t target = limit.rlim_max;
  if (target == RLIM_INFINITY) {  // the kernel takes no more than fs.nr_open
    std::uint64_t nr_open = 1024 * 1024;
    std::ifstream("/proc/sys/fs/nr_open") >> nr_open;
    target = nr_open;
  }
  if (target > limit.rlim_cur) {
    limit.rlim_cur = target;
    if (::setrlimit(RLIMIT_NOFILE, &limit) == 0) result.soft = target;
  }
  return result;
}

void give_large_blocks_back() {
#ifdef __GLIBC__
  // Fixed values: glibc no longer moves them after a large block is freed.
  ::mallopt(M_MMAP_THRESHOLD, static_cast<int>(kLargeBlock));
  ::mallopt(M_TRIM_THRESHOLD, static_cast<int>(kKeptFreeTop));
#endif
}

ConnectionLimits connection_limits(std::uint64_t fd_limit, std::size_t max_sessions,
                                   std::size_t configured) {
  ConnectionLimits limits;
  limits.private_connections = max_sessions * kCliConnections;
  const std::uint64_t taken = kReservedFds + std::uint64_t{max_sessions} * kSessionFds;
  const std::uint64_t spare = fd_limit > taken ? (fd_limit - taken) / 2 : 0;
  limits.clients = configured != 0
                       ? configured
                       : static_cast<std::size_t>(std::max<std::uint64_t>(spare, kMinConnections));
  limits.fds_needed = static_cast<std::size_t>(taken) + 2 * limits.clients;
  return limits;
}

}  // namespace ccgate::app
