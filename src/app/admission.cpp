#include "app/admission.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/url/parse.hpp>

#include "anthropic/errors.hpp"
#include "openai/chunks.hpp"
#include "openai/errors.hpp"

namespace ccgate::app {
namespace {

using boost::beast::iequals;

bool ends_with_ignoring_case(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && iequals(text.substr(text.size() - suffix.size()), suffix);
}

// The host name of a Host header value: without its port, brackets or trailing dot.
std::string_view host_name(std::string_view host) {
  if (host.starts_with('[')) {
    const auto close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(1, close - 1);
  }
  const auto colon = host.find(':');
  if (colon != std::string_view::npos && host.find(':', colon + 1) == std::string_view::npos)
    host = host.substr(0, colon);
  if (host.ends_with('.')) host.remove_suffix(1);
  return host;
}

bool listed(const std::vector<std::string>& entries, std::string_view value) {
  return std::any_of(entries.begin(), entries.end(),
                     [&](const std::string& entry) { return iequals(entry, value); });
}

bool keyless(Door door, const http::ExpectedKey& proxy, bool gateway_keyed,
             const http::ExpectedKey& metrics) {
  switch (door) {
    case Door::proxy:
      return !proxy.configured();
    case Door::gateway:
      return !gateway_keyed;
    case Door::models:
      return !proxy.configured() && !gateway_keyed;
    case Door::monitoring:
    case Door::admin:
      return !metrics.configured();
    default:
      return false;
  }
}

// A page served by ccgate itself (ccgate speaks plain http).
bool same_origin(std::string_view origin, std::string_view host) {
  constexpr std::string_view kScheme = "http://";
  return origin.size() == kScheme.size() + host.size() &&
         iequals(origin.substr(0, kScheme.size()), kScheme) &&
         iequals(origin.substr(kScheme.size()), host);
}

bool keyed_door(Door door) {
  return door == Door::proxy || door == Door::gateway || door == Door::models ||
         door == Door::monitoring || door == Door::admin;
}

// The status page's ?key= (percent-decoded): the one place a key may ride in a URL, because a
// browser cannot send a header when it navigates to a page.
std::string status_page_key(const http::Exchange& exchange) {
  if (exchange.path() != "/status") return {};
  const auto target = boost::urls::parse_origin_form(exchange.request().target());
  if (!target) return {};
  const auto params = target->params();
  const auto found = params.find("key");
  return found == params.end() ? std::string() : std::string((*found).value);
}

// The routes whose POST body is a JSON API request.
bool json_route(std::string_view path) {
  return path == "/v1/messages" || path == "/v1/messages/count_tokens" ||
         path == "/v1/chat/completions";
}

}  // namespace

Door door_of(std::string_view path) {
  if (path == "/v1/chat/completions") return Door::gateway;
  if (path == "/v1/messages" || path.starts_with("/v1/messages/")) return Door::proxy;
  if (path == "/v1/models" || path.starts_with("/v1/models/")) return Door::models;
  if (path.starts_with("/mcp/")) return Door::mcp;
  if (path == "/metrics" || path == "/status" || path == "/status.json") return Door::monitoring;
  if (path == "/v1/conversations" || path.starts_with("/v1/conversations/")) return Door::admin;
  return Door::own;
}

http::Reply error_reply(Door door, bool anthropic_client, int status, std::string_view message) {
  const bool openai_shape =
      door == Door::gateway || door == Door::admin || (door == Door::models && !anthropic_client);
  http::Reply reply;
  reply.status = static_cast<http::Status>(status);
  if (!openai_shape) {
    reply.body = anthropic::error_body_for_status(status, message);
  } else if (status == 401) {
    reply.body = openai::error_body(message, "invalid_request_error", "", "invalid_api_key");
  } else {
    reply.body = openai::error_body(message, openai::error_type_for_status(status));
  }
  return reply;
}

bool json_content_type(std::string_view content_type) {
  auto media_type = content_type.substr(0, content_type.find(';'));
  while (!media_type.empty() && (media_type.back() == ' ' || media_type.back() == '\t'))
    media_type.remove_suffix(1);
  while (!media_type.empty() && (media_type.front() == ' ' || media_type.front() == '\t'))
    media_type.remove_prefix(1);
  const auto slash = media_type.find('/');
  if (slash == std::string_view::npos || slash == 0) return false;
  return iequals(media_type, "application/json") || ends_with_ignoring_case(media_type, "+json");
}

bool loopback_host_header(std::string_view host) {
  const std::string_view name = host_name(host);
  if (iequals(name, "localhost") || ends_with_ignoring_case(name, ".localhost")) return true;
  boost::system::error_code ec;
  if (name.find(':') != std::string_view::npos) {
    const auto address = boost::asio::ip::make_address_v6(name, ec);
    return !ec && address.is_loopback();
  }
  if (!name.starts_with("127.")) return false;
  boost::asio::ip::make_address_v4(name, ec);
  return !ec;
}

Admission::Admission(const Config& config)
    : loopback_listener_(loopback_host(config.server.host)),
      proxy_key_(config.proxy.api_key),
      gateway_key_(config.gateway.api_key),
      gateway_client_keys_(config.gateway.extensions.operator_mcp.client_keys),
      metrics_key_(config.access.metrics_key),
      cors_origins_(config.access.cors_origins),
      any_origin_(listed(cors_origins_, "*")),
      allowed_hosts_(config.access.allowed_hosts),
      any_host_(listed(allowed_hosts_, "*")),
      log_format_(config.log_format) {}

http::Reply Admission::refuse(Door door, const RequestHead& head, int status,
                              std::string message) const {
  log_request(
      {.id = head.id, .method = head.method, .path = head.path, .status = status, .error = message},
      log_format_);
  return error_reply(door, head.anthropic_client, status, message);
}

std::optional<http::Reply> Admission::operator()(http::Exchange& exchange) const {
  const RequestHead head{.id = exchange.request_id(),
                         .method = exchange.request().method_string(),
                         .path = exchange.path(),
                         .host = exchange.header("host"),
                         .origin = exchange.header("origin"),
                         .content_type = exchange.header("content-type"),
                         .x_api_key = exchange.header("x-api-key"),
                         .authorization = exchange.header("authorization"),
                         .query_key = status_page_key(exchange),
                         .anthropic_client = !exchange.header("anthropic-version").empty(),
                         .loopback_peer = exchange.loopback_peer()};
  Admitted admitted = decide(head);
  if (admitted.cross_origin) {
    if (admitted.refusal) {
      admitted.refusal->fields.set("access-control-allow-origin", head.origin);
      admitted.refusal->fields.set("vary", "Origin");
    } else {
      exchange.add_response_field("access-control-allow-origin", head.origin);
      exchange.add_response_field("access-control-expose-headers", "request-id, x-request-id");
      exchange.add_response_field("vary", "Origin");
    }
  }
  return std::move(admitted.refusal);
}

Admitted Admission::decide(const RequestHead& head) const {
  Admitted admitted;
  const Door door = door_of(head.path);
  const bool without_key = keyless(
      door, proxy_key_, gateway_key_.configured() || !gateway_client_keys_.empty(), metrics_key_);

  // Other machines never reach a door without its key, so the Host rule guards what this
  // machine's browsers could be tricked into sending.
  const bool host_rule = loopback_listener_ || (without_key && head.loopback_peer);
  if (host_rule && !host_allowed(head.host)) {
    admitted.refusal =
        refuse(door, head, 403,
               fmt::format("Host '{}' is not allowed: ccgate on a loopback address answers "
                           "loopback host names and the names listed in ALLOWED_HOSTS",
                           head.host));
    return admitted;
  }
  if (!head.origin.empty() && !same_origin(head.origin, head.host)) {
    if (!origin_allowed(head.origin)) {
      admitted.refusal =
          refuse(door, head, 403,
                 fmt::format("origin '{}' is not allowed: ccgate answers cross-origin requests "
                             "only from the origins listed in CORS_ORIGINS",
                             head.origin));
      return admitted;
    }
    admitted.cross_origin = true;
  }
  if (head.method == "OPTIONS") return admitted;  // a preflight carries no key and runs nothing

  if (keyed_door(door)) {
    if (auto refusal = check_key(door, without_key, head)) {
      admitted.refusal = std::move(refusal);
      return admitted;
    }
  }
  if (head.method == "POST" && json_route(head.path) && !json_content_type(head.content_type)) {
    admitted.refusal = refuse(
        door, head, 415,
        fmt::format("unsupported Content-Type '{}': the request body must be application/json",
                    head.content_type));
  }
  return admitted;
}

bool Admission::gateway_key_accepted(std::string_view presented) const {
  const bool named = gateway_client_keys_.identify(presented) != nullptr;
  return (gateway_key_.configured() && gateway_key_.matches(presented)) || named;
}

bool Admission::host_allowed(std::string_view host) const {
  // A browser always sends Host; a request without one comes from no web page.
  if (any_host_ || host.empty() || loopback_host_header(host)) return true;
  return listed(allowed_hosts_, host_name(host)) || listed(allowed_hosts_, host);
}

bool Admission::origin_allowed(std::string_view origin) const {
  return any_origin_ || listed(cors_origins_, origin);
}

std::optional<http::Reply> Admission::check_key(Door door, bool without_key,
                                                const RequestHead& head) const {
  const std::string_view bearer = http::bearer_token(head.authorization);
  if (without_key) {
    if (head.loopback_peer) return std::nullopt;
    const std::string_view variable = door == Door::proxy     ? "ANTHROPIC_API_KEY"
                                      : door == Door::gateway ? "GATEWAY_API_KEY"
                                      : door == Door::monitoring || door == Door::admin
                                          ? "METRICS_KEY"
                                          : "ANTHROPIC_API_KEY or GATEWAY_API_KEY";
    return refuse(
        door, head, 403,
        fmt::format("this door of ccgate serves only its own machine until {} is set", variable));
  }
  switch (door) {
    case Door::admin:
    case Door::monitoring: {
      const std::string_view presented = !head.x_api_key.empty() ? head.x_api_key
                                         : !bearer.empty()       ? bearer
                                                                 : std::string_view(head.query_key);
      if (metrics_key_.matches(presented)) return std::nullopt;
      return refuse(door, head, 401,
                    door == Door::admin
                        ? "invalid API key: this ccgate shows and ends its conversations for "
                          "clients presenting its METRICS_KEY"
                        : "invalid API key: this ccgate shows its metrics and status to clients "
                          "presenting its METRICS_KEY");
    }
    case Door::proxy: {
      const std::string_view presented = head.x_api_key.empty() ? bearer : head.x_api_key;
      if (proxy_key_.matches(presented)) return std::nullopt;
      return refuse(door, head, 401,
                    "invalid x-api-key: this ccgate expects its ANTHROPIC_API_KEY");
    }
    case Door::gateway:
      if (gateway_key_accepted(bearer)) return std::nullopt;
      return refuse(door, head, 401,
                    "Incorrect API key provided: this ccgate expects its GATEWAY_API_KEY.");
    default: {
      // Listed for either door's clients: any configured key will do, whichever header holds it.
      for (const std::string_view presented : {head.x_api_key, bearer}) {
        if (presented.empty()) continue;
        if ((proxy_key_.configured() && proxy_key_.matches(presented)) ||
            gateway_key_accepted(presented))
          return std::nullopt;
      }
      return refuse(door, head, 401,
                    "invalid API key: this ccgate lists its models to clients presenting its "
                    "ANTHROPIC_API_KEY or its GATEWAY_API_KEY");
    }
  }
}

}  // namespace ccgate::app
