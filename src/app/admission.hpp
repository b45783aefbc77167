#pragma once
// Who may send what, decided from a request's head alone, before any of its body is read (the
// server's admission hook). In order:
//   1. Host: a DNS-rebinding page names its own host. The Host must be a loopback name or listed
//      in ALLOWED_HOSTS while ccgate listens on loopback, and for every request a door without
//      its key would serve (those rely on "only this machine" alone).
//   2. Origin: a cross-site page may drive a door only when CORS_ORIGINS allows its origin
//      (a page served by ccgate itself, Origin http://<Host>, is same-origin and allowed).
//   3. The door's key, the one place client keys are checked: a door with a key answers 401
//      without it; a door without one refuses other machines with 403 naming the variable.
//      The gateway door's keys are GATEWAY_API_KEY and the configuration file's named keys
//      (gateway: client_keys:): any of them will do, and with any of them it has a key.
//      /v1/models belongs to both doors: when either has a key, one of the keys is required.
//      The MCP endpoints keep their own checks (loopback peers, per-session secret). The
//      monitoring endpoints (/metrics, /status, /status.json) and the conversation admin API
//      (/v1/conversations…) follow METRICS_KEY the same way;
//      the status page alone may carry it as ?key= (a browser cannot send a header when it
//      navigates; the page then sends it as a header itself).
//   4. The POST API routes take JSON only (415): a cross-site form cannot post text/plain.
// A refusal is in the protocol of the path's door.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/config.hpp"
#include "gateway/operator_mcp.hpp"
#include "http/auth.hpp"
#include "http/server.hpp"

namespace ccgate::app {

enum class Door {
  proxy,       // /v1/messages, /v1/messages/count_tokens (Anthropic)
  gateway,     // /v1/chat/completions (OpenAI)
  models,      // /v1/models… (both, in the shape of whoever asks)
  mcp,         // /mcp/… (ccgate's own Claude Code processes)
  monitoring,  // /metrics, /status, /status.json (operators)
  admin,       // /v1/conversations… (operators: the monitoring rule, OpenAI's error shape)
  own,         // /, /health, and paths no door serves
};

Door door_of(std::string_view path);

// An error answer in the protocol of the door. `anthropic_client`: the request carries
// anthropic-version (decides the shape where both doors answer).
http::Reply error_reply(Door door, bool anthropic_client, int status, std::string_view message);

// What admission looks at: views into the request head.
struct RequestHead {
  std::string_view id;  // the request's id, for the log line of a refusal
  std::string_view method;
  std::string_view path;
  std::string_view host;
  std::string_view origin;
  std::string_view content_type;
  std::string_view x_api_key;
  std::string_view authorization;
  std::string query_key;          // ?key= of the status page (decoded); empty elsewhere
  bool anthropic_client = false;  // anthropic-version is present
  bool loopback_peer = false;
};

struct Admitted {
  std::optional<http::Reply> refusal;
  bool cross_origin = false;  // an origin CORS_ORIGINS allows: the response carries CORS headers
};

class Admission {
 public:
  explicit Admission(const Config& config);

  // The server's hook: refuses, or admits (adding the CORS headers an allowed origin gets).
  std::optional<http::Reply> operator()(http::Exchange& exchange) const;
  Admitted decide(const RequestHead& head) const;

 private:
  bool host_allowed(std::string_view host) const;
  bool origin_allowed(std::string_view origin) const;
  // GATEWAY_API_KEY or one of the named client keys.
  bool gateway_key_accepted(std::string_view presented) const;
  std::optional<http::Reply> check_key(Door door, bool without_key, const RequestHead& head) const;
  // The refusal in the door's protocol, with its log line.
  http::Reply refuse(Door door, const RequestHead& head, int status, std::string message) const;

  bool loopback_listener_;
  http::ExpectedKey proxy_key_;
  http::ExpectedKey gateway_key_;
  gateway::ClientKeys gateway_client_keys_;  // gateway: client_keys:, accepted as GATEWAY_API_KEY
  http::ExpectedKey metrics_key_;
  std::vector<std::string> cors_origins_;
  bool any_origin_;
  std::vector<std::string> allowed_hosts_;
  bool any_host_;
  LogFormat log_format_;
};

// application/json or any type/subtype+json, with parameters, in any case.
bool json_content_type(std::string_view content_type);
// localhost, *.localhost, 127.x.x.x, [::1], each with or without a port.
bool loopback_host_header(std::string_view host);

}  // namespace ccgate::app
