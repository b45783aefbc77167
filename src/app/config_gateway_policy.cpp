#include "app/config_gateway_policy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/algorithm/string/case_conv.hpp>

namespace ccgate::app {
namespace {

constexpr std::string_view kPath = "gateway.policy";
constexpr std::string_view kPolicyKeys =
    "rules, default, schema, max_calls_per_turn, max_calls_per_conversation, webhook";
constexpr std::size_t kMaxGlob = 256;
constexpr std::size_t kMaxReason = 1'000;
constexpr long long kMaxCalls = 1'000'000;
// The CLI waits for approval_prompt within its MCP tool timeout; a policy answer is quick.
constexpr std::chrono::milliseconds kMaxWebhookTimeout{60'000};
// Headers the webhook call sets itself.
constexpr std::array kOwnHeaders{
    std::string_view{"content-type"}, std::string_view{"content-length"}, std::string_view{"host"},
    std::string_view{"transfer-encoding"}, std::string_view{"connection"}};

std::string glob(const Parser& parse, const YAML::Node& node, const std::string& path) {
  std::string text = parse.non_empty(node, path);
  if (text.size() > kMaxGlob)
    parse.fail(node, path,
               fmt::format("a name glob of at most {} characters is expected", kMaxGlob));
  if (std::any_of(text.begin(), text.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7F; }))
    parse.fail(node, path, "a tool name glob holds no spaces or control characters");
  return text;
}

std::vector<std::string> globs(const Parser& parse, const YAML::Node& node,
                               const std::string& path) {
  if (node.IsScalar()) return {glob(parse, node, path)};
  if (!node.IsSequence() || node.size() == 0)
    parse.fail(node, path, "expected a list of tool name globs, e.g. [\"mcp__search__*\", Read]");
  std::vector<std::string> list;
  for (std::size_t i = 0; i < node.size(); ++i)
    list.push_back(glob(parse, node[i], fmt::format("{}[{}]", path, i)));
  return list;
}

bool action(const Parser& parse, const YAML::Node& node, const std::string& path,
            std::string_view what) {
  const std::string value = boost::algorithm::to_lower_copy(parse.text(node, path));
  if (value == "allow") return true;
  if (value == "deny") return false;
  parse.fail(node, path, fmt::format("{}: expected allow or deny", what));
}

gateway::PolicyRule rule(const Parser& parse, const YAML::Node& node, const std::string& path) {
  gateway::PolicyRule rule;
  bool has_tools = false;
  bool has_action = false;
  if (!node.IsMap()) parse.fail(node, path, "expected a rule {tools: [globs], action: allow|deny}");
  parse.each(node, path, "tools, action, reason",
             [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
               const std::string key_path = fmt::format("{}.{}", path, key);
               if (key == "tools") {
                 rule.tools = globs(parse, value, key_path);
                 has_tools = true;
               } else if (key == "action") {
                 rule.allow = action(parse, value, key_path, parse.text(value, key_path));
                 has_action = true;
               } else if (key == "reason") {
                 rule.reason = parse.non_empty(value, key_path);
                 if (rule.reason.size() > kMaxReason)
                   parse.fail(value, key_path,
                              fmt::format("a reason of at most {} bytes is expected", kMaxReason));
               } else {
                 return false;
               }
               return true;
             });
  if (!has_tools) parse.fail(node, path, "tools: is required (a list of tool name globs)");
  if (!has_action) parse.fail(node, path, "action: is required (allow or deny)");
  if (rule.allow && !rule.reason.empty())
    parse.fail(node, path, "reason: is what the model is told when a rule denies (action: deny)");
  return rule;
}

std::vector<gateway::PolicyRule> rules(const Parser& parse, const YAML::Node& node,
                                       const std::string& path) {
  if (node.IsNull()) return {};
  if (!node.IsSequence())
    parse.fail(node, path, "expected a list of rules ({tools: [globs], action: allow|deny})");
  std::vector<gateway::PolicyRule> list;
  for (std::size_t i = 0; i < node.size(); ++i)
    list.push_back(rule(parse, node[i], fmt::format("{}[{}]", path, i)));
  return list;
}

gateway::PolicyWebhook webhook(const Parser& parse, const YAML::Node& node,
                               const std::string& path) {
  if (!node.IsMap()) parse.fail(node, path, "expected a mapping {url, headers, timeout}");
  gateway::PolicyWebhook hook;
  parse.each(node, path, "url, headers, timeout",
             [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
               const std::string key_path = fmt::format("{}.{}", path, key);
               if (key == "url") {
                 hook.url = parse.url(value, key_path);
               } else if (key == "headers") {
                 hook.headers = parse.headers(value, key_path);
                 for (const auto& [name, text] : hook.headers)
                   if (std::ranges::find(kOwnHeaders, boost::algorithm::to_lower_copy(name)) !=
                       kOwnHeaders.end())
                     parse.fail(value, fmt::format("{}.{}", key_path, name),
                                "ccgate sets this header itself");
               } else if (key == "timeout") {
                 hook.timeout = parse.seconds(value, key_path);
                 if (hook.timeout > kMaxWebhookTimeout)
                   parse.fail(value, key_path,
                              fmt::format("at most {} seconds", kMaxWebhookTimeout.count() / 1000));
               } else {
                 return false;
               }
               return true;
             });
  if (hook.url.empty()) parse.fail(node, path, "url: is required");
  return hook;
}

std::size_t calls(const Parser& parse, const YAML::Node& node, const std::string& path) {
  return static_cast<std::size_t>(parse.integer(node, path, 0, kMaxCalls));
}

}  // namespace

gateway::ToolPolicyConfig read_tool_policy(const Parser& parse, const YAML::Node& node) {
  gateway::ToolPolicyConfig policy;
  policy.enabled = true;
  parse.each(node, kPath, kPolicyKeys,
             [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
               const std::string path = fmt::format("{}.{}", kPath, key);
               if (key == "rules") {
                 policy.rules = rules(parse, value, path);
               } else if (key == "default") {
                 policy.default_allow = action(parse, value, path, parse.text(value, path));
               } else if (key == "schema") {
                 policy.schema = parse.boolean(value, path);
               } else if (key == "max_calls_per_turn") {
                 policy.max_calls_per_turn = calls(parse, value, path);
               } else if (key == "max_calls_per_conversation") {
                 policy.max_calls_per_conversation = calls(parse, value, path);
               } else if (key == "webhook") {
                 policy.webhook = webhook(parse, value, path);
               } else {
                 return false;
               }
               return true;
             });
  return policy;
}

}  // namespace ccgate::app
