// The tool policy's pure steps (gateway/tool_policy.hpp) and a conversation's ledger of calls and
// decisions (gateway/policy_ledger.hpp).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <thread>

#include "gateway/tool_policy.hpp"

namespace ccgate::gateway {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

ToolPolicyConfig two_rules() {
  ToolPolicyConfig config;
  config.enabled = true;
  config.rules = {
      PolicyRule{.tools = {"mcp__search__*", "Bash"}, .allow = false, .reason = "not here"},
      PolicyRule{.tools = {"get_*"}, .allow = true, .reason = {}},
      PolicyRule{.tools = {"*"}, .allow = false, .reason = {}},
  };
  return config;
}

TEST(ToolPolicyRules, TheFirstMatchingRuleDecides) {
  const auto config = two_rules();
  const auto denied = rule_verdict(config, "mcp__search__web");
  EXPECT_FALSE(denied.allow);
  EXPECT_EQ(denied.kind, "rule");
  EXPECT_EQ(denied.rule, "rule 1 (deny mcp__search__*, Bash)");
  EXPECT_EQ(denied.message, "The tool policy denied this call to mcp__search__web: not here");

  const auto allowed = rule_verdict(config, "get_weather");
  EXPECT_TRUE(allowed.allow);
  EXPECT_EQ(allowed.rule, "rule 2 (allow get_*)");

  const auto last = rule_verdict(config, "delete_files");
  EXPECT_FALSE(last.allow);
  EXPECT_EQ(last.rule, "rule 3 (deny *)");
  EXPECT_THAT(last.message, HasSubstr("rule 3 of this server denies it"));
}

TEST(ToolPolicyRules, WithoutAMatchTheDefaultDecides) {
  ToolPolicyConfig config;
  config.enabled = true;
  EXPECT_TRUE(rule_verdict(config, "anything").allow);
  EXPECT_EQ(rule_verdict(config, "anything").kind, "default");
  config.default_allow = false;
  const auto denied = rule_verdict(config, "anything");
  EXPECT_FALSE(denied.allow);
  EXPECT_EQ(denied.kind, "default");
  EXPECT_THAT(denied.message, HasSubstr("no rule of this server allows it"));
}

TEST(ToolPolicySchema, AViolationDeniesNamingItsPath) {
  const auto schema =
      json::parse(R"({"type":"object","properties":{"city":{"type":"string"}}})").as_object();
  EXPECT_EQ(schema_denial("get_weather", schema, json::parse(R"({"city":"Oslo"})")), std::nullopt);
  const auto denied = schema_denial("get_weather", schema, json::parse(R"({"city":1})"));
  ASSERT_TRUE(denied.has_value());
  EXPECT_EQ(denied->kind, "schema");
  EXPECT_EQ(denied->rule, "schema (input.city: expected string)");
  EXPECT_THAT(denied->message, HasSubstr("input.city: expected string"));
  EXPECT_EQ(schema_denial("t", json::object{}, json::parse("1")), std::nullopt)
      << "an empty schema says nothing";
}

TEST(ToolPolicyLimits, TheCallAfterTheLimitIsDeniedAndANewTurnStartsAgain) {
  PolicyLedger ledger;
  ToolPolicyConfig config;
  config.max_calls_per_turn = 2;
  config.max_calls_per_conversation = 3;
  const auto reserve = [&] {
    return ledger.reserve(config.max_calls_per_turn, config.max_calls_per_conversation);
  };
  EXPECT_EQ(reserve(), PolicyLedger::Limit::none);
  EXPECT_EQ(reserve(), PolicyLedger::Limit::none);
  const auto third = reserve();
  EXPECT_EQ(third, PolicyLedger::Limit::per_turn);
  const auto denied = limit_denial("get_time", third, config);
  ASSERT_TRUE(denied.has_value());
  EXPECT_EQ(denied->kind, "max_calls_per_turn");
  EXPECT_THAT(denied->message, HasSubstr("this turn has made the 2 tool calls it may make"));

  ledger.begin_turn();
  EXPECT_EQ(reserve(), PolicyLedger::Limit::none);
  const auto fourth = reserve();
  EXPECT_EQ(fourth, PolicyLedger::Limit::per_conversation);
  EXPECT_EQ(limit_denial("get_time", fourth, config)->kind, "max_calls_per_conversation");
  ledger.unreserve();  // a counted call the webhook denied gives its place back
  EXPECT_EQ(reserve(), PolicyLedger::Limit::none);
  EXPECT_EQ(limit_denial("x", PolicyLedger::Limit::none, config), std::nullopt);
}

TEST(ToolPolicyWebhook, AnswersAreReadAndAnythingElseDenies) {
  const auto answer = [](int status, std::string body, std::string error = {}) {
    return WebhookAnswer{.status = status, .body = std::move(body), .error = std::move(error)};
  };
  EXPECT_TRUE(webhook_verdict("t", answer(200, R"({"allow":true})")).allow);
  const auto rewritten = webhook_verdict("t", answer(200, R"({"allow":true,"input":{"a":1}})"));
  EXPECT_TRUE(rewritten.allow);
  ASSERT_TRUE(rewritten.input.has_value());
  EXPECT_EQ(*rewritten.input, json::parse(R"({"a":1})"));

  const auto denied = webhook_verdict("t", answer(200, R"({"allow":false,"reason":"too risky"})"));
  EXPECT_FALSE(denied.allow);
  EXPECT_EQ(denied.kind, "webhook");
  EXPECT_EQ(denied.rule, "webhook: too risky");
  EXPECT_EQ(denied.message, "The tool policy denied this call to t: too risky");
  EXPECT_THAT(webhook_verdict("t", answer(200, R"({"allow":false})")).message,
              HasSubstr("gave no reason"));

  for (const auto& bad : {answer(0, "", "no answer within 2000 ms"), answer(500, "{}"),
                          answer(200, "not json"), answer(200, R"({"allow":"yes"})"),
                          answer(200, R"([true])"), answer(200, R"({"allow":true,"input":[1]})")}) {
    const auto verdict = webhook_verdict("t", bad);
    EXPECT_FALSE(verdict.allow) << bad.body;
    EXPECT_EQ(verdict.kind, "webhook_error") << bad.body;
  }
  EXPECT_EQ(webhook_verdict("t", answer(0, "", "no answer within 2000 ms")).rule,
            "webhook: no answer within 2000 ms");
  const std::string long_reason(5000, 'x');
  EXPECT_LE(webhook_verdict("t", answer(200, R"({"allow":false,"reason":")" + long_reason + "\"}"))
                .message.size(),
            1100u)
      << "a webhook's reason is cut";
}

TEST(ToolPolicyWebhook, TheRequestBodyAndApprovalAnswers) {
  const auto input = json::parse(R"({"city":"Oslo"})");
  EXPECT_EQ(
      json::parse(policy_webhook_body("conv1", "get_weather", input)),
      json::parse(R"({"conversation":"conv1","tool":"get_weather","input":{"city":"Oslo"}})"));
  EXPECT_EQ(json::parse(approval_answer(PolicyVerdict{.allow = true}, input)),
            json::parse(R"({"behavior":"allow","updatedInput":{"city":"Oslo"}})"));
  EXPECT_EQ(json::parse(approval_answer(
                PolicyVerdict{.allow = true, .input = json::parse(R"({"city":"Bergen"})")}, input)),
            json::parse(R"({"behavior":"allow","updatedInput":{"city":"Bergen"}})"));
  EXPECT_EQ(json::parse(approval_answer(PolicyVerdict{.allow = false, .message = "no"}, input)),
            json::parse(R"({"behavior":"deny","message":"no"})"));
}

// --- the ledger's decisions, with a real event loop ----------------------------------------------

class LedgerDecisions : public ::testing::Test {
 protected:
  ~LedgerDecisions() override {
    work_.reset();
    thread_.join();
  }
  std::map<std::string, PolicyDecision> await(std::vector<std::string> ids,
                                              std::chrono::milliseconds timeout) {
    auto result =
        asio::co_spawn(io_, ledger_.await_decisions(std::move(ids), timeout), asio::use_future);
    return result.get();
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::thread thread_{[this] { io_.run(); }};
  PolicyLedger ledger_;
};

TEST_F(LedgerDecisions, DecisionsMadeBeforeTheWaitAreTaken) {
  EXPECT_TRUE(ledger_.record("a", {.allow = true, .arguments = R"({"x":1})"}));
  EXPECT_TRUE(ledger_.record("b", {.allow = false, .arguments = std::nullopt}));
  const auto decided = await({"a", "b"}, 5s);
  ASSERT_EQ(decided.size(), 2u);
  EXPECT_TRUE(decided.at("a").allow);
  EXPECT_EQ(decided.at("a").arguments, R"({"x":1})");
  EXPECT_FALSE(decided.at("b").allow);
}

TEST_F(LedgerDecisions, ADecisionArrivingDuringTheWaitEndsIt) {
  auto waiting = asio::co_spawn(io_, ledger_.await_decisions({"a"}, 10s), asio::use_future);
  std::this_thread::sleep_for(50ms);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(ledger_.record("a", {.allow = true, .arguments = std::nullopt}));
  ASSERT_EQ(waiting.wait_for(5s), std::future_status::ready);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_TRUE(waiting.get().at("a").allow);
}

TEST_F(LedgerDecisions, ACallNotDecidedInTimeIsWithdrawnAndItsLateDecisionRefused) {
  ledger_.record("a", {.allow = true, .arguments = std::nullopt});
  const auto decided = await({"a", "b"}, 100ms);
  EXPECT_EQ(decided.size(), 1u);
  EXPECT_FALSE(decided.contains("b"));
  EXPECT_FALSE(ledger_.record("b", {.allow = true, .arguments = std::nullopt}))
      << "the client never saw b: it must not run";
  EXPECT_TRUE(ledger_.record("c", {.allow = true, .arguments = std::nullopt}));
}

}  // namespace
}  // namespace ccgate::gateway
