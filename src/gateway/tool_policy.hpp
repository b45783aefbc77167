#pragma once
// The tool policy (the configuration file's gateway.policy:): before any tool call the Claude
// Code CLI makes, approval_prompt asks it. In order: the rules (first match wins), the JSON
// Schema check of the arguments against the tool's own schema, the call limits, the webhook.
// The first that says no denies the call: the model gets the reason as the tool's error result,
// the log names the rule, and ccgate_gateway_tool_policy_decisions_total counts it.
//
// A client tool call is also held from the client until its decision is made (the door waits
// for it, see PolicyLedger): the client sees only the calls the policy allowed, with the
// arguments as the webhook may have rewritten them.

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/policy_ledger.hpp"
#include "gateway/tool_policy_config.hpp"
#include "gateway/webhook.hpp"
#include "metrics/registry.hpp"
#include "translate/cli_stream.hpp"

namespace ccgate::gateway {

class Session;

// Why the policy said no (or, for an allow, which part let it through).
struct PolicyVerdict {
  bool allow = false;
  // The metric's rule_kind: rule, default, schema, max_calls_per_turn,
  // max_calls_per_conversation, webhook, webhook_error, withdrawn.
  std::string kind;
  std::string rule;     // for the log: "rule 2 (deny mcp__*)", "schema", "webhook: too risky"
  std::string message;  // deny: what the model is told
  std::optional<boost::json::value> input;  // allow: the webhook's rewritten arguments, if any
};

// The pure steps, in the order they run. `name`: the name the rules see.
PolicyVerdict rule_verdict(const ToolPolicyConfig& config, std::string_view name);
// Nullopt when the input satisfies the schema (an empty schema says nothing).
std::optional<PolicyVerdict> schema_denial(std::string_view name, const boost::json::object& schema,
                                           const boost::json::value& input);
std::optional<PolicyVerdict> limit_denial(std::string_view name, PolicyLedger::Limit limit,
                                          const ToolPolicyConfig& config);
// The webhook's request body: {"conversation", "tool", "input"}.
std::string policy_webhook_body(std::string_view conversation, std::string_view name,
                                const boost::json::value& input);
// Its answer: {"allow":true}, {"allow":true,"input":{…}} or {"allow":false,"reason":"…"};
// anything else (no answer in time, not 2xx, not that JSON) denies.
PolicyVerdict webhook_verdict(std::string_view name, const WebhookAnswer& answer);
// approval_prompt's answer: {"behavior":"allow","updatedInput":…} or {"behavior":"deny",…}.
std::string approval_answer(const PolicyVerdict& verdict, const boost::json::value& input);

class ToolPolicy {
 public:
  // `decisions`: the metric family counted in (null: none).
  ToolPolicy(const ToolPolicyConfig& config, WebhookClient& webhooks,
             metrics::Family<metrics::Counter>* decisions);

  bool enabled() const { return config_.enabled; }

  // approval_prompt's answer for a call the gateway's own check allows. `cli_name`: the tool's
  // name as the CLI calls it; `tool_use_id`: the call's id, by which the door finds a client
  // tool call's decision.
  boost::asio::awaitable<std::string> review(Session& session, std::string_view cli_name,
                                             const boost::json::value& input,
                                             std::string tool_use_id);

  // The door: the decisions on a message's client tool calls, each allowed one with its
  // arguments (rewritten or not), within the wait below (and `limit`); a call missing from the
  // answer is denied (it was, or it is now withdrawn).
  boost::asio::awaitable<std::map<std::string, PolicyDecision>> decisions(
      Session& session, std::vector<std::string> cli_ids, std::chrono::milliseconds limit);
  // How long the door waits for them: the webhook's timeout and a margin for the CLI.
  std::chrono::milliseconds decision_wait() const;
  // The door's step when the translator holds a message's client tool calls: their decisions
  // handed to it (see CliStreamTranslator::release_held).
  boost::asio::awaitable<std::optional<translate::TurnEnd>> release_held(
      Session& session, translate::CliStreamTranslator& translator, std::string& sse_out,
      std::chrono::milliseconds limit);

 private:
  boost::asio::awaitable<PolicyVerdict> decide(Session& session, std::string_view name,
                                               std::string_view cli_name,
                                               const boost::json::value& input);
  void count(const PolicyVerdict& verdict) const;

  const ToolPolicyConfig& config_;
  WebhookClient& webhooks_;
  metrics::Family<metrics::Counter>* decisions_;
};

}  // namespace ccgate::gateway
