#include "load/plan.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ccgate::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

bool same_name(std::string_view header, std::string_view name) {
  const auto colon = header.find(':');
  if (colon == std::string_view::npos || colon != name.size()) return false;
  return std::ranges::equal(header.substr(0, colon), name, [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  });
}

bool has_header(const Options& options, std::string_view name) {
  return std::ranges::any_of(options.headers,
                             [&](const std::string& header) { return same_name(header, name); });
}

std::string read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("cannot read --body-file " + path);
  std::ostringstream bytes;
  bytes << file.rdbuf();
  return std::move(bytes).str();
}

tcp::endpoint resolve(const Target& target) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(target.host, ec);
  if (!ec) return {address, target.port};
  asio::io_context context;
  tcp::resolver resolver(context);
  const auto results = resolver.resolve(target.host, std::to_string(target.port), ec);
  if (ec || results.empty())
    throw std::runtime_error("cannot resolve " + target.host + ": " + ec.message());
  return results.begin()->endpoint();
}

}  // namespace

std::optional<Target> parse_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return std::nullopt;
  url.remove_prefix(kScheme.size());
  const auto path_start = std::min(url.find('/'), url.find('?'));
  Target target;
  target.authority = std::string(url.substr(0, path_start));
  target.path = path_start == std::string_view::npos ? "/" : std::string(url.substr(path_start));
  if (target.path.front() == '?') target.path.insert(0, "/");

  std::string_view authority = target.authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    target.host = std::string(authority.substr(1, close - 1));
    const auto rest = authority.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return std::nullopt;
    if (!rest.empty()) port = rest.substr(1);
  } else {
    const auto colon = authority.rfind(':');
    target.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (target.host.empty()) return std::nullopt;
  if (!port.empty()) {
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), target.port);
    if (error != std::errc{} || end != port.data() + port.size() || target.port == 0)
      return std::nullopt;
  }
  return target;
}

std::string render_request(const Target& target, const Options& options, std::string_view body) {
  const bool post = !options.body_file.empty();
  std::string request;
  request.reserve(256 + body.size());
  request.append(post ? "POST " : "GET ").append(target.path).append(" HTTP/1.1\r\n");
  if (!has_header(options, "host"))
    request.append("Host: ").append(target.authority).append("\r\n");
  if (post && !has_header(options, "content-type"))
    request.append("Content-Type: application/json\r\n");
  if (post && !has_header(options, "content-length"))
    request.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  for (const auto& header : options.headers) request.append(header).append("\r\n");
  request.append("\r\n").append(body);
  return request;
}

Plan make_plan(Options options) {
  Plan plan;
  plan.target = parse_url(options.url).value();
  const std::string body = options.body_file.empty() ? std::string() : read_file(options.body_file);
  plan.request = render_request(plan.target, options, body);
  plan.endpoint = resolve(plan.target);
  plan.timeout_ns = static_cast<std::uint64_t>(options.timeout_s * 1e9);
  plan.options = std::move(options);
  return plan;
}

}  // namespace ccgate::bench
