#include "gateway/tool_policy.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "gateway/json_schema.hpp"
#include "gateway/name_glob.hpp"
#include "gateway/session.hpp"
#include "translate/text.hpp"
#include "translate/tool_names.hpp"

namespace ccgate::gateway {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// The CLI asks approval_prompt right after the message with the calls has ended; this is how
// long the door gives it (beyond the webhook's own timeout) on a busy machine.
constexpr std::chrono::milliseconds kDecisionMargin{5'000};
constexpr std::size_t kMaxReason = 1'000;  // bytes of a webhook's reason shown to the model
constexpr std::size_t kWebhookAnswerDepth = 64;

PolicyVerdict deny(std::string kind, std::string rule, std::string_view name,
                   std::string_view why) {
  return PolicyVerdict{
      .allow = false,
      .kind = std::move(kind),
      .rule = std::move(rule),
      .message = fmt::format("The tool policy denied this call to {}: {}", name, why),
      .input = std::nullopt};
}

std::string rule_text(const PolicyRule& rule, std::size_t index) {
  return fmt::format("rule {} ({} {})", index + 1, rule.allow ? "allow" : "deny",
                     fmt::join(rule.tools, ", "));
}

// The schema the gateway's MCP server lists for this tool (the client's own tools), if any.
const json::object* listed_schema(const Session& session, std::string_view cli_name) {
  if (!cli_name.starts_with(translate::ToolNames::kCliPrefix)) return nullptr;
  const auto listed = cli_name.substr(translate::ToolNames::kCliPrefix.size());
  for (const auto& tool : session.tools().mcp_tools)
    if (tool.name == listed) return &tool.input_schema;
  return nullptr;
}

}  // namespace

PolicyVerdict rule_verdict(const ToolPolicyConfig& config, std::string_view name) {
  for (std::size_t i = 0; i < config.rules.size(); ++i) {
    const auto& rule = config.rules[i];
    if (!any_glob_matches(rule.tools, name)) continue;
    if (rule.allow) return PolicyVerdict{.allow = true, .kind = "rule", .rule = rule_text(rule, i)};
    return deny(
        "rule", rule_text(rule, i), name,
        rule.reason.empty() ? fmt::format("rule {} of this server denies it", i + 1) : rule.reason);
  }
  if (config.default_allow)
    return PolicyVerdict{.allow = true, .kind = "default", .rule = "default"};
  return deny("default", "default (deny)", name, "no rule of this server allows it");
}

std::optional<PolicyVerdict> schema_denial(std::string_view name, const json::object& schema,
                                           const json::value& input) {
  if (schema.empty()) return std::nullopt;
  auto violation = schema_violation(schema, input);
  if (!violation) return std::nullopt;
  return deny("schema", fmt::format("schema ({})", *violation), name,
              fmt::format("its arguments do not match the tool's input schema: {}", *violation));
}

std::optional<PolicyVerdict> limit_denial(std::string_view name, PolicyLedger::Limit limit,
                                          const ToolPolicyConfig& config) {
  switch (limit) {
    case PolicyLedger::Limit::none:
      return std::nullopt;
    case PolicyLedger::Limit::per_turn:
      return deny("max_calls_per_turn", "max_calls_per_turn", name,
                  fmt::format("this turn has made the {} tool calls it may make "
                              "(max_calls_per_turn); answer without more tool calls",
                              config.max_calls_per_turn.value_or(0)));
    case PolicyLedger::Limit::per_conversation:
      return deny("max_calls_per_conversation", "max_calls_per_conversation", name,
                  fmt::format("this conversation has made the {} tool calls it may make "
                              "(max_calls_per_conversation); answer without more tool calls",
                              config.max_calls_per_conversation.value_or(0)));
  }
  return std::nullopt;
}

std::string policy_webhook_body(std::string_view conversation, std::string_view name,
                                const json::value& input) {
  return json::serialize(
      json::object{{"conversation", conversation}, {"tool", name}, {"input", input}});
}

PolicyVerdict webhook_verdict(std::string_view name, const WebhookAnswer& answer) {
  const auto failed = [&](const std::string& what) {
    return deny("webhook_error", fmt::format("webhook: {}", what), name,
                fmt::format("the policy webhook could not decide ({})", what));
  };
  if (!answer.error.empty()) return failed(answer.error);
  if (!answer.ok()) return failed(fmt::format("it answered HTTP {}", answer.status));
  json::parse_options options;
  options.max_depth = kWebhookAnswerDepth;
  boost::system::error_code ec;
  const json::value parsed = json::parse(answer.body, ec, {}, options);
  const auto* object = ec ? nullptr : parsed.if_object();
  const auto* allow = object ? object->if_contains("allow") : nullptr;
  if (allow == nullptr || !allow->is_bool())
    return failed("its answer is not a JSON object with a boolean \"allow\"");
  if (!allow->get_bool()) {
    std::string reason;
    if (const auto* given = object->if_contains("reason"); given && given->is_string())
      reason = std::string(
          translate::utf8_prefix(translate::valid_utf8(given->get_string()), kMaxReason));
    if (reason.empty()) reason = "the policy webhook gave no reason";
    return deny("webhook", fmt::format("webhook: {}", reason), name, reason);
  }
  PolicyVerdict verdict{.allow = true, .kind = "webhook", .rule = "webhook"};
  if (const auto* input = object->if_contains("input"); input && !input->is_null()) {
    if (!input->is_object()) return failed("its \"input\" is not a JSON object");
    verdict.input = *input;
    verdict.rule = "webhook (arguments rewritten)";
  }
  return verdict;
}

std::string approval_answer(const PolicyVerdict& verdict, const json::value& input) {
  if (!verdict.allow)
    return json::serialize(json::object{{"behavior", "deny"}, {"message", verdict.message}});
  return json::serialize(json::object{{"behavior", "allow"},
                                      {"updatedInput", verdict.input ? *verdict.input : input}});
}

ToolPolicy::ToolPolicy(const ToolPolicyConfig& config, WebhookClient& webhooks,
                       metrics::Family<metrics::Counter>* decisions)
    : config_(config), webhooks_(webhooks), decisions_(decisions) {}

std::chrono::milliseconds ToolPolicy::decision_wait() const {
  return (config_.webhook ? config_.webhook->timeout : std::chrono::milliseconds(0)) +
         kDecisionMargin;
}

asio::awaitable<PolicyVerdict> ToolPolicy::decide(Session& session, std::string_view name,
                                                  std::string_view cli_name,
                                                  const json::value& input) {
  auto verdict = rule_verdict(config_, name);
  if (!verdict.allow) co_return verdict;
  const json::object* schema = config_.schema ? listed_schema(session, cli_name) : nullptr;
  if (schema)
    if (auto denial = schema_denial(name, *schema, input)) co_return std::move(*denial);
  auto& ledger = session.policy_ledger();
  const auto limit = ledger.reserve(config_.max_calls_per_turn, config_.max_calls_per_conversation);
  if (auto denial = limit_denial(name, limit, config_)) co_return std::move(*denial);
  if (!config_.webhook) co_return verdict;

  // The call counted above is given back unless the webhook lets it run (also when Claude Code
  // gives up on approval_prompt while the webhook is asked).
  struct GiveBack {
    PolicyLedger& ledger;
    bool kept = false;
    ~GiveBack() {
      if (!kept) ledger.unreserve();
    }
  } give_back{ledger};
  const auto answer =
      co_await webhooks_.post(WebhookCall{.url = config_.webhook->url,
                                          .headers = config_.webhook->headers,
                                          .body = policy_webhook_body(session.id(), name, input),
                                          .timeout = config_.webhook->timeout});
  verdict = webhook_verdict(name, answer);
  if (verdict.allow && verdict.input && schema)
    if (auto denial = schema_denial(name, *schema, *verdict.input)) verdict = std::move(*denial);
  give_back.kept = verdict.allow;
  co_return verdict;
}

asio::awaitable<std::string> ToolPolicy::review(Session& session, std::string_view cli_name,
                                                const json::value& input, std::string tool_use_id) {
  const auto client_name = session.tools().names.client_for_cli_name(cli_name);
  const std::string name = client_name ? *client_name : std::string(cli_name);
  auto verdict = co_await decide(session, name, cli_name, input);
  if (client_name && !tool_use_id.empty()) {
    PolicyDecision decision{.allow = verdict.allow, .arguments = std::nullopt};
    if (verdict.input) decision.arguments = json::serialize(*verdict.input);
    if (!session.policy_ledger().record(tool_use_id, std::move(decision)) && verdict.allow) {
      session.policy_ledger().unreserve();
      verdict = deny("withdrawn", "withdrawn", name,
                     "the decision came after the reply to the client had to go on without it");
    }
  }
  count(verdict);
  if (verdict.allow)
    spdlog::debug("session {} tool policy allows {}: {}", session.id().substr(0, 8), name,
                  verdict.rule);
  else
    spdlog::info("session {} tool policy denies {}: {}", session.id().substr(0, 8), name,
                 verdict.rule);
  co_return approval_answer(verdict, input);
}

asio::awaitable<std::map<std::string, PolicyDecision>> ToolPolicy::decisions(
    Session& session, std::vector<std::string> cli_ids, std::chrono::milliseconds limit) {
  const auto wait = std::min(limit, decision_wait());
  auto decided = co_await session.policy_ledger().await_decisions(cli_ids, wait);
  for (const auto& id : cli_ids) {
    if (decided.contains(id)) continue;
    spdlog::warn(
        "session {}: no tool policy decision on call {} within {} ms; the call is withdrawn "
        "(denied)",
        session.id().substr(0, 8), id, wait.count());
  }
  std::erase_if(decided, [](const auto& entry) { return !entry.second.allow; });
  co_return decided;
}

asio::awaitable<std::optional<translate::TurnEnd>> ToolPolicy::release_held(
    Session& session, translate::CliStreamTranslator& translator, std::string& sse_out,
    std::chrono::milliseconds limit) {
  const auto decided = co_await decisions(session, translator.held_call_ids(), limit);
  std::map<std::string, std::optional<std::string>> allowed;
  for (const auto& [id, decision] : decided) allowed.emplace(id, decision.arguments);
  co_return translator.release_held(allowed, sse_out);
}

void ToolPolicy::count(const PolicyVerdict& verdict) const {
  if (decisions_) decisions_->with({verdict.allow ? "allow" : "deny", verdict.kind}).inc();
}

}  // namespace ccgate::gateway
