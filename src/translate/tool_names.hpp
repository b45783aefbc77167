#pragma once
// Client tool names ↔ the names the Claude Code CLI accepts. The CLI exposes an MCP tool as
// "mcp__gateway__<name>" and wants <name> in [A-Za-z0-9_-] with the whole name at most 64
// characters; a client may name its tools anything. The client always sees its own names.
//
// Rules: a name that is already safe stays as it is. Otherwise each unsafe character becomes
// '_' and the name is cut to fit. Two names that would then collide both get "_" + 8 hex digits
// of the SHA-256 of the original name. The mapping depends only on the set of names, never on
// their order, so the same tool list always gives the same mapping.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ccgate::translate {

class ToolNames {
 public:
  static constexpr std::string_view kCliPrefix = "mcp__gateway__";
  static constexpr std::size_t kMaxCliNameLength = 64;
  static constexpr std::size_t kMaxSafeLength = kMaxCliNameLength - kCliPrefix.size();

  ToolNames() = default;
  explicit ToolNames(const std::vector<std::string>& client_names);

  // The MCP tool name ccgate lists for a client tool; nullopt for a name not in the list.
  std::optional<std::string> safe_for(std::string_view client_name) const;
  // The client's name for an MCP tool name; nullopt for a tool the client did not give.
  std::optional<std::string> client_for(std::string_view safe_name) const;

  // "mcp__gateway__<safe>", the name the model sees and calls.
  std::optional<std::string> cli_name_for(std::string_view client_name) const;
  // The client's name for a full CLI tool name; nullopt for any other tool (built-ins, other
  // MCP servers, gateway names the client did not give).
  std::optional<std::string> client_for_cli_name(std::string_view cli_name) const;

  bool empty() const { return client_to_safe_.empty(); }
  std::size_t size() const { return client_to_safe_.size(); }

 private:
  std::map<std::string, std::string, std::less<>> client_to_safe_;
  std::map<std::string, std::string, std::less<>> safe_to_client_;
};

}  // namespace ccgate::translate
