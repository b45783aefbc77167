// Explicit conversations: names, ids, what the admin API and the webhooks say (never a message),
// and how SessionManager finds, reserves, replaces and forgets a named conversation. Sessions
// run a /bin/sh stand-in for Claude Code.

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>
#include <mutex>
#include <vector>

#include "gateway/conversation.hpp"
#include "gateway/conversation_api.hpp"
#include "gateway/conversation_events.hpp"
#include "gateway_test_support.hpp"

namespace ccgate::gateway {
namespace {

using namespace test_support;  // NOLINT: the room's test helpers
using ::testing::HasSubstr;
using Outcome = SessionManager::NamedTurn::Outcome;
using std::chrono::system_clock;

// --- names and ids ---------------------------------------------------------------------------

TEST(GatewayConversationName, LettersDigitsAndDashUnderscoreDotColonUpTo128Bytes) {
  EXPECT_EQ(conversation_name_problem("trip-1"), std::nullopt);
  EXPECT_EQ(conversation_name_problem("a.b:c_d-E9"), std::nullopt);
  EXPECT_EQ(conversation_name_problem(std::string(128, 'x')), std::nullopt);
  EXPECT_THAT(conversation_name_problem(std::string(129, 'x')).value_or(""),
              HasSubstr("longer than 128 bytes"));
  EXPECT_THAT(conversation_name_problem("").value_or(""), HasSubstr("is empty"));
  for (const std::string_view bad :
       {"a b", "a/b", "a\"b", "a,b", "a%41", "\xc3\xa9t\xc3\xa9", "a\tb"})
    EXPECT_THAT(conversation_name_problem(bad).value_or(""), HasSubstr("x-ccgate-conversation"))
        << bad;
}

TEST(GatewayConversationName, ScopesAreDigestsOfTheKeyNeverTheKey) {
  EXPECT_EQ(client_scope(""), "");
  EXPECT_EQ(client_scope("sk-alice"), client_scope("sk-alice"));
  EXPECT_NE(client_scope("sk-alice"), client_scope("sk-bob"));
  EXPECT_EQ(client_scope("sk-alice").find("sk-alice"), std::string::npos);
  EXPECT_EQ(client_scope("sk-alice").size(), 64u);
}

TEST(GatewayConversationId, PublicIdsRoundTripAndNothingElseIsOne) {
  const std::string id = public_conversation_id("Ab3dEf9hIj0lMn1pQr2tUv4x");
  EXPECT_EQ(id, "conv_Ab3dEf9hIj0lMn1pQr2tUv4x");
  EXPECT_EQ(session_id_of(id), "Ab3dEf9hIj0lMn1pQr2tUv4x");
  for (const std::string_view bad :
       {"", "conv_", "Ab3dEf9h", "conv_a/b", "conv_%2e%2e", "conv_a b", "chatcmpl-x"})
    EXPECT_EQ(session_id_of(bad), std::nullopt) << bad;
  EXPECT_EQ(session_id_of("conv_" + std::string(65, 'a')), std::nullopt);
}

// --- what the webhooks and the admin API say ---------------------------------------------------

ConversationRecord record() {
  return ConversationRecord{
      .id = "conv_x",
      .name = "trip-1",
      .model = "sonnet",
      .started = system_clock::time_point(std::chrono::seconds(1'700'000'000)),
      .stats = {.turns = 3, .prompt_tokens = 159, .completion_tokens = 27}};
}

TEST(GatewayConversationEvents, TheStartEventCarriesIdsNameAndModel) {
  const auto event = started_event(record(), "req_1");
  EXPECT_EQ(event, json::parse(R"({"event":"conversation.started","id":"conv_x","name":"trip-1",
                                   "model":"sonnet","created_at":1700000000,
                                   "request_id":"req_1"})"));
}

TEST(GatewayConversationEvents, TheEndEventCarriesDurationTokensAndCause) {
  const auto ended = record().started + std::chrono::milliseconds(61'500);
  const auto event = ended_event(record(), ExitCause::idle, ended);
  EXPECT_EQ(event, json::parse(R"({"event":"conversation.ended","id":"conv_x","name":"trip-1",
                                   "model":"sonnet","created_at":1700000000,"ended":1700000061,
                                   "duration_ms":61500,"turns":3,
                                   "usage":{"prompt_tokens":159,"completion_tokens":27,
                                            "total_tokens":186},
                                   "cause":"idle"})"));
  auto unnamed = record();
  unnamed.name.clear();
  EXPECT_TRUE(ended_event(unnamed, ExitCause::deleted, ended).at("name").is_null());
}

TEST(GatewayConversationApi, TheListLeavesSparesOutAndSaysNoMore) {
  const auto now = system_clock::time_point(std::chrono::seconds(1'700'000'100));
  SessionView named{.id = "Ab3dEf9h",
                    .session_id = "Ab3dEf9hIj0lMn1pQr2tUv4x",
                    .name = "trip-1",
                    .model = "sonnet",
                    .state = SessionView::State::waiting_for_tools,
                    .idle_for = std::chrono::seconds(7),
                    .pending_tool_calls = 2,
                    .started = now - std::chrono::seconds(100),
                    .stats = {.turns = 1, .prompt_tokens = 10, .completion_tokens = 5}};
  SessionView spare{.id = "spare", .session_id = "spare", .state = SessionView::State::spare};
  const auto list = conversation_list({named, spare}, now);
  EXPECT_EQ(list, json::parse(R"({"object":"list","has_more":false,"data":[
      {"id":"conv_Ab3dEf9hIj0lMn1pQr2tUv4x","object":"conversation","name":"trip-1",
       "model":"sonnet","created_at":1700000000,"age_seconds":100,"idle_seconds":7,
       "state":"waiting_for_tools","pending_tool_calls":2,"turns":1,
       "usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}]})"));
}

// --- SessionManager ----------------------------------------------------------------------------

constexpr std::string_view kFirst = R"([{"role":"user","content":"Plan a trip."},
                                        {"role":"assistant","content":"Where to?"}])";
constexpr std::string_view kNext = R"([{"role":"user","content":"Plan a trip."},
                                       {"role":"assistant","content":"Where to?"},
                                       {"role":"user","content":"Lyon."}])";
constexpr std::string_view kOther = R"([{"role":"user","content":"Plan a party."},
                                        {"role":"assistant","content":"Where to?"},
                                        {"role":"user","content":"Lyon."}])";

class GatewayNamedConversations : public FakeCliSessions {
 protected:
  GatewayNamedConversations() {
    sessions_.set_end_hook([this](const Session& session, ExitCause cause) {
      std::lock_guard lock(ended_mutex_);
      ended_.emplace_back(session.id(), cause);
    });
  }
  ~GatewayNamedConversations() override { stop_loop(); }

  // A session under `key` that has served kFirst.
  std::shared_ptr<Session> named(const ConversationKey& key, std::string model = "sonnet") {
    EXPECT_EQ(begin(key, chat(kFirst, model)).outcome, Outcome::start);
    auto session = start(identity(std::move(model))).session;
    sessions_.bind_name(key, session);
    const auto first = chat(kFirst);
    session->remember_conversation(first.messages.size(),
                                   conversation_digest(first.messages, first.messages.size()));
    return session;
  }

  SessionManager::NamedTurn begin(const ConversationKey& key, const openai::ChatRequest& request,
                                  std::string_view system_prompt = "Be brief.") {
    return sessions_.begin_named_turn(key, request, *tool_sets_.tool_set({tool("get_weather")}),
                                      system_prompt);
  }

  std::vector<std::pair<std::string, ExitCause>> ended() {
    std::lock_guard lock(ended_mutex_);
    return ended_;
  }

  const ConversationKey trip_{client_scope("sk-a"), "trip"};
  std::mutex ended_mutex_;
  std::vector<std::pair<std::string, ExitCause>> ended_;
};

TEST_F(GatewayNamedConversations, ANewNameIsReservedForOneStartAndBusyMeanwhile) {
  EXPECT_EQ(begin(trip_, chat(kFirst)).outcome, Outcome::start);
  EXPECT_EQ(begin(trip_, chat(kFirst)).outcome, Outcome::busy) << "a second start waits its turn";
  sessions_.release_name(trip_);  // the start failed
  EXPECT_EQ(begin(trip_, chat(kFirst)).outcome, Outcome::start);
}

TEST_F(GatewayNamedConversations, AFollowUpThatExtendsTheHistoryContinuesWithItsTurnBegun) {
  const auto session = named(trip_);
  const auto turn = begin(trip_, chat(kNext));
  EXPECT_EQ(turn.outcome, Outcome::continued);
  EXPECT_EQ(turn.session, session);
  EXPECT_TRUE(session->busy());
  EXPECT_EQ(begin(trip_, chat(kNext)).outcome, Outcome::busy) << "its turn is running";
}

TEST_F(GatewayNamedConversations, AnotherHistoryIsAConflictAndLeavesTheConversationAsItWas) {
  const auto session = named(trip_);
  EXPECT_EQ(begin(trip_, chat(kOther)).outcome, Outcome::conflict);
  EXPECT_EQ(begin(trip_, chat(kFirst)).outcome, Outcome::conflict) << "nothing new";
  EXPECT_FALSE(session->busy());
  EXPECT_EQ(begin(trip_, chat(kNext)).session, session);
}

TEST_F(GatewayNamedConversations, NamesAreScopedPerClientKeyAndHiddenFromPrefixMatching) {
  const auto session = named(trip_);
  const ConversationKey other_client{client_scope("sk-b"), "trip"};
  EXPECT_EQ(begin(other_client, chat(kNext)).outcome, Outcome::start);
  EXPECT_EQ(sessions_.find_by_conversation(chat(kNext), *tool_sets_.tool_set({tool("get_weather")}),
                                           "Be brief."),
            nullptr)
      << "a named conversation is found by its name only";
}

TEST_F(GatewayNamedConversations, AnotherModelReplacesTheConversationUnderItsName) {
  const auto session = named(trip_);
  EXPECT_EQ(begin(trip_, chat(kNext, "opus")).outcome, Outcome::start);
  EXPECT_TRUE(session->closed());
  EXPECT_EQ(session->exit_cause(), ExitCause::replaced);
  EXPECT_EQ(begin(trip_, chat(kNext)).outcome, Outcome::busy) << "reserved for the new one";
}

TEST_F(GatewayNamedConversations, AnEndedConversationFreesItsNameAndReportsItsCauseOnce) {
  const auto session = named(trip_);
  sessions_.end(session, ExitCause::deleted);
  sessions_.end(session, ExitCause::turn_error);
  EXPECT_EQ(begin(trip_, chat(kNext)).outcome, Outcome::start);
  EXPECT_EQ(ended(),
            (std::vector<std::pair<std::string, ExitCause>>{{session->id(), ExitCause::deleted}}));
}

TEST_F(GatewayNamedConversations, AnExpiredConversationIsEndedAndItsNameStartsAnew) {
  const auto session = named(trip_);
  session->mark_expired();
  EXPECT_EQ(begin(trip_, chat(kNext)).outcome, Outcome::start);
  EXPECT_TRUE(session->closed());
  EXPECT_EQ(session->exit_cause(), ExitCause::tool_call_timeout);
}

TEST_F(GatewayNamedConversations, TheListShowsTheNameAndTheWholeId) {
  const auto session = named(trip_);
  session->count_turn(10, 5);
  const auto views = sessions_.list();
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].name, "trip");
  EXPECT_EQ(views[0].session_id, session->id());
  EXPECT_EQ(views[0].stats.turns, 1u);
  EXPECT_EQ(views[0].stats.completion_tokens, 5u);
}

TEST_F(GatewayNamedConversations, EndAllReportsShutdownForEachConversation) {
  const auto a = named(trip_);
  const auto b = start().session;
  sessions_.end_all();
  auto reported = ended();
  std::sort(reported.begin(), reported.end());
  auto expected = std::vector<std::pair<std::string, ExitCause>>{{a->id(), ExitCause::shutdown},
                                                                 {b->id(), ExitCause::shutdown}};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(reported, expected);
}

// --- the webhook queue -------------------------------------------------------------------------

class GatewayConversationWebhooks : public FakeCliSessions {
 protected:
  ~GatewayConversationWebhooks() override { stop_loop(); }
  WebhookClient client_{io_.get_executor()};
};

TEST_F(GatewayConversationWebhooks, ASilentWebhookTimesOutEventsAreCountedAndPastTheQueueDropped) {
  // Listens, never accepts: each POST connects (the kernel's backlog) and waits for its timeout.
  asio::ip::tcp::acceptor silent(io_, {asio::ip::make_address("127.0.0.1"), 0});
  const auto url = fmt::format("http://127.0.0.1:{}/start", silent.local_endpoint().port());
  ConversationWebhookSettings settings{
      .start_url = url, .timeout = std::chrono::milliseconds(300), .queue = 2};
  ConversationEvents events(settings, io_.get_executor(), client_);
  const auto session = start().session;
  // One is sent (and hangs), two wait, the others are dropped: queueing never waits.
  for (int i = 0; i < 5; ++i) events.started(*session, "req");
  EXPECT_GE(events.dropped(), 2u);
  EXPECT_TRUE(eventually([&] { return events.failed() + events.dropped() == 5; }, 5'000ms))
      << "failed " << events.failed() << ", dropped " << events.dropped();
  stop_loop();  // its deliveries end before it does
}

TEST_F(GatewayConversationWebhooks, AfterCloseNothingMoreIsQueued) {
  ConversationWebhookSettings settings{.end_url = "http://127.0.0.1:1/end"};
  ConversationEvents events(settings, io_.get_executor(), client_);
  const auto session = start().session;
  events.started(*session, "req");  // no start URL: nothing
  EXPECT_EQ(events.dropped(), 0u);
  events.close();
  events.ended(*session, ExitCause::shutdown);
  EXPECT_EQ(events.dropped(), 1u);
}

}  // namespace
}  // namespace ccgate::gateway
