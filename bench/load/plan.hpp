#pragma once
// What a run sends and where: the parsed URL, the resolved endpoint and the request bytes,
// rendered once so every send is a single write of the same buffer.

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "load/options.hpp"

namespace ccgate::bench {

struct Target {
  std::string host{};  // as written in the URL, brackets stripped for IPv6
  std::uint16_t port = 80;
  std::string authority{};  // the Host header: host[:port] as written
  std::string path{};       // path and query, at least "/"
};

std::optional<Target> parse_url(std::string_view url);

struct Plan {
  Options options{};
  Target target{};
  boost::asio::ip::tcp::endpoint endpoint{};
  std::string request{};  // head and body
  std::uint64_t timeout_ns = 0;
};

// Reads the body file and resolves the host; throws std::runtime_error when either fails.
Plan make_plan(Options options);

// The request head and body as sent on the wire.
std::string render_request(const Target& target, const Options& options, std::string_view body);

}  // namespace ccgate::bench
