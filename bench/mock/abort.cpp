#include "mock/abort.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <charconv>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace ccgate::bench {
namespace {

struct CloseDir {
  void operator()(DIR* directory) const { ::closedir(directory); }
};

struct Peer {
  std::string address;
  std::uint16_t port = 0;
};

// The peer of a connected IP socket, IPv4-mapped addresses shown as IPv4 (as the server does).
std::optional<Peer> peer_of(int fd) {
  sockaddr_storage storage{};
  socklen_t size = sizeof storage;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&storage), &size) != 0) return std::nullopt;
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (storage.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(storage);
    ::inet_ntop(AF_INET, &v4.sin_addr, text.data(), text.size());
    return Peer{text.data(), ntohs(v4.sin_port)};
  }
  if (storage.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(storage);
    if (IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr))
      ::inet_ntop(AF_INET, &v6.sin6_addr.s6_addr[12], text.data(), text.size());
    else
      ::inet_ntop(AF_INET6, &v6.sin6_addr, text.data(), text.size());
    return Peer{text.data(), ntohs(v6.sin6_port)};
  }
  return std::nullopt;
}

}  // namespace

bool abort_connection(const http::Exchange& exchange) {
  const std::unique_ptr<DIR, CloseDir> directory(::opendir("/proc/self/fd"));
  if (!directory) return false;
  while (const dirent* entry = ::readdir(directory.get())) {
    const std::string_view name = entry->d_name;
    int fd = -1;
    const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), fd);
    if (ec != std::errc{} || end != name.data() + name.size()) continue;
    const auto peer = peer_of(fd);
    if (!peer || peer->port != exchange.remote_port() || peer->address != exchange.remote_address())
      continue;
    const linger abortive{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
    ::shutdown(fd, SHUT_RDWR);
    return true;
  }
  return false;
}

}  // namespace ccgate::bench
