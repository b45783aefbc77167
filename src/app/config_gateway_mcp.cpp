#include "app/config_gateway_mcp.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace ccgate::app {
namespace {

constexpr std::size_t kMaxNameSize = 64;
// ccgate's own MCP servers, and the metrics labels of its executors and the built-in tools.
constexpr std::string_view kReservedNames[] = {"gateway", "auth", "ccgate", "builtin"};

// Lower-case letters, digits, '-' and '_', beginning with a letter or digit, without "__" (the
// CLI's separator in mcp__<server>__<tool>).
bool lower_case_token(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameSize || name.find("__") != std::string_view::npos)
    return false;
  if (!std::islower(static_cast<unsigned char>(name.front())) &&
      !std::isdigit(static_cast<unsigned char>(name.front())))
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

std::string token(const Parser& parse, const YAML::Node& node, const std::string& path) {
  std::string value = parse.text(node, path);
  if (!lower_case_token(value))
    parse.fail(node, path,
               fmt::format("{}: expected a lower-case name (a-z, 0-9, - and _, at most {} "
                           "characters, no \"__\")",
                           quoted_value(value), kMaxNameSize));
  return value;
}

// Text that goes into an argument vector or an environment: a NUL would cut it short.
std::string argument(const Parser& parse, const YAML::Node& node, const std::string& path) {
  std::string value = parse.text(node, path);
  if (value.find('\0') != std::string::npos) parse.fail(node, path, "holds a NUL character");
  return value;
}

template <class Read>
auto list_of(const Parser& parse, const YAML::Node& node, const std::string& path,
             std::string_view what, Read read) {
  if (!node.IsSequence() || node.size() == 0)
    parse.fail(node, path, fmt::format("expected a list of {} (- …)", what));
  std::vector<decltype(read(node[0], path))> values;
  for (std::size_t i = 0; i < node.size(); ++i)
    values.push_back(read(node[i], fmt::format("{}[{}]", path, i)));
  return values;
}

std::vector<std::string> globs(const Parser& parse, const YAML::Node& node, const std::string& path,
                               std::string_view what) {
  return list_of(parse, node, path, what, [&](const YAML::Node& entry, const std::string& at) {
    return parse.non_empty(entry, at);
  });
}

gateway::ClientKey read_client_key(const Parser& parse, const YAML::Node& node,
                                   const std::string& path) {
  if (!node.IsMap()) parse.fail(node, path, "expected a mapping (id:, key:)");
  gateway::ClientKey key;
  bool has_key = false;
  parse.each(node, path, "id, key, tool_activity",
             [&](const std::string& name, const YAML::Node&, const YAML::Node& value) {
               const std::string at = path + "." + name;
               if (name == "id") {
                 key.id = token(parse, value, at);
               } else if (name == "key") {
                 key.key = parse.non_empty(value, at);
                 // The key is compared with a header's value: a line break could never match.
                 if (std::any_of(key.key.begin(), key.key.end(), control_character))
                   parse.fail(value, at, "the key holds a line break or another control character");
                 has_key = true;
               } else if (name == "tool_activity") {
                 key.tool_activity = parse.boolean(value, at);
               } else {
                 return false;
               }
               return true;
             });
  if (key.id.empty()) parse.fail(node, path, "id: is required");
  if (!has_key) parse.fail(node, path, "key: is required (its value from ${VARIABLE})");
  return key;
}

std::vector<std::pair<std::string, std::string>> read_env(const Parser& parse,
                                                          const YAML::Node& node,
                                                          const std::string& path) {
  std::vector<std::pair<std::string, std::string>> env;
  if (!node.IsMap()) parse.fail(node, path, "expected a mapping (NAME: value)");
  parse.each(node, path, "",
             [&](const std::string& name, const YAML::Node& at, const YAML::Node& value) {
               const std::string entry_path = path + "." + name;
               if (!variable_name(name))
                 parse.fail(at, entry_path,
                            "not a variable name (letters, digits and _, not first a digit)");
               env.emplace_back(name, argument(parse, value, entry_path));
               return true;
             });
  return env;
}

}  // namespace

void OperatorMcpReader::read(const Parser& parse, std::string_view key, const YAML::Node& value) {
  const std::string path = fmt::format("gateway.{}", key);
  if (key == "client_keys") {
    result_.client_keys = list_of(parse, value, path, "client keys (- id: …, key: …)",
                                  [&](const YAML::Node& entry, const std::string& at) {
                                    return read_client_key(parse, entry, at);
                                  });
    for (std::size_t i = 0; i < result_.client_keys.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        const std::string at = fmt::format("{}[{}]", path, i);
        if (result_.client_keys[j].id == result_.client_keys[i].id)
          parse.fail(value[i]["id"], at + ".id",
                     fmt::format("\"{}\" is already the id of {}[{}]", result_.client_keys[i].id,
                                 path, j));
        if (result_.client_keys[j].key == result_.client_keys[i].key)
          parse.fail(
              value[i]["key"], at + ".key",
              fmt::format("the same key as {}[{}]: each client's key must be its own", path, j));
      }
    }
    return;
  }
  result_.servers = list_of(
      parse, value, path, "MCP servers (- name: …)",
      [&](const YAML::Node& node, const std::string& at) { return read_server(parse, node, at); });
  for (std::size_t i = 0; i < result_.servers.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (result_.servers[j].name == result_.servers[i].name)
        parse.fail(
            value[i]["name"], fmt::format("{}[{}].name", path, i),
            fmt::format("\"{}\" is already the name of {}[{}]", result_.servers[i].name, path, j));
}

gateway::OperatorMcpServer OperatorMcpReader::read_server(const Parser& parse,
                                                          const YAML::Node& node,
                                                          const std::string& path) {
  if (!node.IsMap()) parse.fail(node, path, "expected a mapping (name:, command: or url:, …)");
  gateway::OperatorMcpServer server;
  // Where args:, env: and headers: are, when given (a default YAML::Node would be a null one).
  std::optional<YAML::Node> args, env, headers;
  bool has_url = false;
  parse.each(
      node, path, "name, command, args, env, url, headers, allow_tools, only_for",
      [&](const std::string& name, const YAML::Node&, const YAML::Node& value) {
        const std::string at = path + "." + name;
        if (name == "name") {
          server.name = token(parse, value, at);
          if (std::find(std::begin(kReservedNames), std::end(kReservedNames), server.name) !=
              std::end(kReservedNames))
            parse.fail(value, at,
                       fmt::format("\"{}\" is a name of ccgate's own (gateway, auth, ccgate and "
                                   "builtin are taken)",
                                   server.name));
        } else if (name == "command") {
          server.command = argument(parse, value, at);
          if (server.command.empty()) parse.fail(value, at, "must not be empty");
          // env(1) runs it: a word with '=' would be taken for a variable.
          if (server.command.find('=') != std::string::npos)
            parse.fail(value, at,
                       "a command holding '=' cannot be run (env(1) reads it as a variable)");
        } else if (name == "args") {
          args = value;
          server.args = list_of(parse, value, at, "arguments",
                                [&](const YAML::Node& entry, const std::string& entry_at) {
                                  return argument(parse, entry, entry_at);
                                });
        } else if (name == "env") {
          env = value;
          server.env = read_env(parse, value, at);
        } else if (name == "url") {
          server.url = parse.url(value, at);
          has_url = true;
        } else if (name == "headers") {
          headers = value;
          server.headers = parse.headers(value, at);
        } else if (name == "allow_tools") {
          server.allow_tools = globs(parse, value, at, "tool names or globs (search_*)");
        } else if (name == "only_for") {
          read_only_for(parse, value, at, server);
        } else {
          return false;
        }
        return true;
      });
  if (server.name.empty()) parse.fail(node, path, "name: is required");
  if (server.stdio() && has_url)
    parse.fail(
        node["url"], path + ".url",
        "give either command: (a stdio server) or url: (a Streamable HTTP server), not both");
  if (!server.stdio() && !has_url)
    parse.fail(node, path,
               "command: (a stdio server) or url: (a Streamable HTTP server) is required");
  if (has_url && args) parse.fail(*args, path + ".args", "args: belongs to a command: server");
  if (has_url && env) parse.fail(*env, path + ".env", "env: belongs to a command: server");
  if (server.stdio() && headers)
    parse.fail(*headers, path + ".headers", "headers: belongs to a url: server");
  if (server.allow_tools.empty())
    parse.fail(node, path,
               "allow_tools: is required: the server's tools the model may use (\"*\" for all)");
  return server;
}

void OperatorMcpReader::read_only_for(const Parser& parse, const YAML::Node& node,
                                      const std::string& path, gateway::OperatorMcpServer& server) {
  if (!node.IsMap()) parse.fail(node, path, "expected a mapping (client_keys:, models:)");
  parse.each(node, path, "client_keys, models",
             [&](const std::string& name, const YAML::Node&, const YAML::Node& value) {
               const std::string at = path + "." + name;
               if (name == "models") {
                 server.only_for_models = globs(parse, value, at, "model names or globs");
               } else if (name == "client_keys") {
                 server.only_for_keys =
                     list_of(parse, value, at, "ids of gateway.client_keys",
                             [&](const YAML::Node& entry, const std::string& entry_at) {
                               std::string id = parse.non_empty(entry, entry_at);
                               key_references_.push_back({entry, entry_at, id});
                               return id;
                             });
               } else {
                 return false;
               }
               return true;
             });
  if (server.only_for_models.empty() && server.only_for_keys.empty())
    parse.fail(node, path, "client_keys: or models: is required (leave only_for: out for all)");
}

gateway::OperatorMcp OperatorMcpReader::finish(const Parser& parse) {
  for (const auto& reference : key_references_) {
    const auto& keys = result_.client_keys;
    if (std::any_of(keys.begin(), keys.end(),
                    [&](const gateway::ClientKey& key) { return key.id == reference.id; }))
      continue;
    std::string known;
    for (const auto& key : keys) known += (known.empty() ? "" : ", ") + key.id;
    parse.fail(reference.at, reference.path,
               keys.empty() ? fmt::format("{}: no gateway.client_keys are configured",
                                          quoted_value(reference.id))
                            : fmt::format("{}: not an id of gateway.client_keys ({})",
                                          quoted_value(reference.id), known));
  }
  key_references_.clear();
  return std::move(result_);
}

}  // namespace ccgate::app
