#pragma once
// The configuration file's `gateway.policy:` section: rules that apply before any tool call the
// Claude Code CLI makes (the client's own tools and the operator's), a JSON Schema check of the
// arguments, call limits and an optional policy webhook. Absent: no policy, the gateway as it
// was.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ccgate::gateway {

struct PolicyRule {
  std::vector<std::string> tools;  // name globs (see name_glob.hpp)
  bool allow = false;              // action: allow | deny
  std::string reason;              // deny: what the model is told (empty: a reason of ccgate's)
};

struct PolicyWebhook {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout{5'000};
};

struct ToolPolicyConfig {
  bool enabled = false;  // the file has a gateway.policy: section
  // In order; the first rule with a glob matching the tool's name decides. The name a glob sees:
  // the client's own name for a client tool, the CLI's name for any other ("mcp__srv__tool",
  // "Read").
  std::vector<PolicyRule> rules;
  bool default_allow = true;  // `default:` when no rule matches
  bool schema = true;         // check the arguments against the tool's own input schema
  std::optional<std::size_t> max_calls_per_turn;
  std::optional<std::size_t> max_calls_per_conversation;
  std::optional<PolicyWebhook> webhook;
};

}  // namespace ccgate::gateway
