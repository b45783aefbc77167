#include "gateway/operator_mcp.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>

#include "gateway/name_glob.hpp"

namespace ccgate::gateway {
namespace json = boost::json;

namespace {

constexpr std::string_view kMcpPrefix = "mcp__";
constexpr std::string_view kGatewayServer = "gateway";

// The CLI starts a stdio server with its own whole environment (its model API key and base URL,
// its messaging token among them). The server is started through `env -i` instead: it gets
// PATH, the locale and time zone, and the session's private HOME and TMPDIR (from the CLI's
// environment, so the server's files go where the session's clean-up removes them), then the
// entry's `env`, and nothing else. "$@" is the entry's NAME=value pairs, its command and args.
constexpr std::string_view kStdioScript =
    R"(exec /usr/bin/env -i -- ${PATH:+"PATH=$PATH"} ${HOME:+"HOME=$HOME"} )"
    R"(${TMPDIR:+"TMPDIR=$TMPDIR"} ${LANG:+"LANG=$LANG"} ${LC_ALL:+"LC_ALL=$LC_ALL"} )"
    R"(${LC_CTYPE:+"LC_CTYPE=$LC_CTYPE"} ${TZ:+"TZ=$TZ"} "$@")";

bool contains(const std::vector<std::string>& values, std::string_view value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

// "mcp__<server>__<tool>" → {server, tool}; nullopt for any other name.
std::optional<std::pair<std::string_view, std::string_view>> split_cli_name(
    std::string_view cli_name) {
  if (!cli_name.starts_with(kMcpPrefix)) return std::nullopt;
  const std::string_view rest = cli_name.substr(kMcpPrefix.size());
  const auto separator = rest.find("__");
  if (separator == std::string_view::npos || separator == 0) return std::nullopt;
  return std::pair{rest.substr(0, separator), rest.substr(separator + 2)};
}

const OperatorMcpServer* server_named(const std::vector<OperatorMcpServer>& servers,
                                      std::string_view name) {
  const auto found =
      std::find_if(servers.begin(), servers.end(),
                   [&](const OperatorMcpServer& server) { return server.name == name; });
  return found == servers.end() ? nullptr : &*found;
}

json::object stdio_entry(const OperatorMcpServer& server) {
  json::array args{"-c", kStdioScript, "ccgate-mcp-" + server.name};
  for (const auto& [name, value] : server.env) args.emplace_back(name + "=" + value);
  args.emplace_back(server.command);
  for (const auto& arg : server.args) args.emplace_back(arg);
  return json::object{{"type", "stdio"}, {"command", "/bin/sh"}, {"args", std::move(args)}};
}

json::object http_entry(const OperatorMcpServer& server) {
  json::object headers;
  for (const auto& [name, value] : server.headers) headers[name] = value;
  json::object entry{{"type", "http"}, {"url", server.url}};
  if (!headers.empty()) entry["headers"] = std::move(headers);
  return entry;
}

std::string_view string_field(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value && value->is_string() ? std::string_view(value->as_string()) : std::string_view();
}

// The model chooses a tool use's name: the log shows it bounded and without control bytes.
std::string loggable_name(std::string_view name) {
  constexpr std::size_t kMaxShown = 128;
  std::string shown;
  for (const char c : name.substr(0, kMaxShown)) {
    const auto byte = static_cast<unsigned char>(c);
    shown.push_back(
        std::isalnum(byte) || std::string_view("_-.:").find(c) != std::string_view::npos ? c : '?');
  }
  if (name.size() > kMaxShown) shown += "…";
  return shown;
}

}  // namespace

ClientKeys::ClientKeys(const std::vector<ClientKey>& keys) {
  for (const auto& key : keys) keys_.emplace_back(key, http::ExpectedKey(key.key));
}

const ClientKey* ClientKeys::identify(std::string_view presented) const {
  const ClientKey* found = nullptr;
  if (presented.empty()) return nullptr;
  for (const auto& [key, expected] : keys_)
    if (expected.matches(presented) && !found) found = &key;
  return found;
}

std::vector<OperatorMcpServer> servers_for(const OperatorMcp& config, const ClientKey* client,
                                           std::string_view model) {
  std::vector<OperatorMcpServer> servers;
  for (const auto& server : config.servers) {
    if (!server.only_for_keys.empty() && (!client || !contains(server.only_for_keys, client->id)))
      continue;
    if (!server.only_for_models.empty() && !any_glob_matches(server.only_for_models, model))
      continue;
    servers.push_back(server);
  }
  return servers;
}

std::vector<std::string> server_names(const std::vector<OperatorMcpServer>& servers) {
  std::vector<std::string> names;
  for (const auto& server : servers) names.push_back(server.name);
  return names;
}

void add_operator_servers(json::object& mcp_servers,
                          const std::vector<OperatorMcpServer>& servers) {
  for (const auto& server : servers)
    mcp_servers[server.name] = server.stdio() ? stdio_entry(server) : http_entry(server);
}

std::optional<OperatorToolDecision> operator_tool_decision(
    const std::vector<OperatorMcpServer>& servers, std::string_view cli_name) {
  const auto parts = split_cli_name(cli_name);
  if (!parts) return std::nullopt;
  const auto* server = server_named(servers, parts->first);
  if (!server) return std::nullopt;
  if (any_glob_matches(server->allow_tools, parts->second)) return OperatorToolDecision{true, {}};
  return OperatorToolDecision{
      false, fmt::format("{} is not available: the operator allows only some tools of the MCP "
                         "server {} in this conversation.",
                         parts->second, server->name)};
}

std::optional<std::string> operator_servers_problem(const json::object& init_line,
                                                    const std::vector<OperatorMcpServer>& servers) {
  const auto* listed = init_line.if_contains("mcp_servers");
  for (const auto& server : servers) {
    std::string_view status;
    if (listed && listed->is_array()) {
      for (const auto& entry : listed->as_array())
        if (entry.is_object() && string_field(entry.as_object(), "name") == server.name)
          status = string_field(entry.as_object(), "status");
    }
    if (status == "connected") continue;
    return fmt::format(
        "the MCP server {} is not available: Claude Code could not {} it (status: {}); the "
        "request cannot be served without it",
        server.name, server.stdio() ? "start" : "connect to", status.empty() ? "absent" : status);
  }
  return std::nullopt;
}

std::string_view server_label(const std::vector<OperatorMcpServer>& servers,
                              std::string_view cli_name) {
  if (!cli_name.starts_with(kMcpPrefix)) return "builtin";
  const auto parts = split_cli_name(cli_name);
  if (!parts) return "unknown";
  if (parts->first == kGatewayServer) return "ccgate";
  if (const auto* server = server_named(servers, parts->first)) return server->name;
  return "unknown";
}

void record_server_tool_calls(std::string_view session_id,
                              const std::vector<OperatorMcpServer>& servers,
                              const std::vector<translate::ServerToolResult>& results,
                              metrics::Family<metrics::Counter>& counter) {
  for (const auto& result : results) {
    const auto outcome = translate::outcome_name(result.outcome);
    spdlog::info("session {} server-side tool {}: {}", session_id.substr(0, 8),
                 loggable_name(result.cli_name), outcome);
    counter.with({server_label(servers, result.cli_name), outcome}).inc();
  }
}

}  // namespace ccgate::gateway
