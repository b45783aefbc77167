// SessionManager: which live conversation a request continues, and the sessions' lifecycle.
// The sessions run a /bin/sh stand-in for Claude Code, so no real CLI is needed.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <latch>
#include <thread>
#include <vector>

#include "gateway/session_manager.hpp"
#include "gateway_test_support.hpp"

namespace ccgate::gateway {
namespace {

using namespace test_support;  // NOLINT: the room's test helpers
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr std::string_view kFirstTurn = R"([
  {"role":"system","content":"Be brief."},
  {"role":"user","content":"What is the weather in Paris?"},
  {"role":"assistant","content":null,
   "tool_calls":[{"id":"call_1","type":"function",
                  "function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
  {"role":"tool","tool_call_id":"call_1","content":"sunny"},
  {"role":"assistant","content":"It is sunny in Paris."}
])";

constexpr std::string_view kFollowUp = R"([
  {"role":"system","content":"Be brief."},
  {"role":"user","content":"What is the weather in Paris?"},
  {"role":"assistant","content":null,
   "tool_calls":[{"id":"call_1","type":"function",
                  "function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
  {"role":"tool","tool_call_id":"call_1","content":"sunny"},
  {"role":"assistant","content":"It is sunny in Paris."},
  {"role":"user","content":"And in Rome?"}
])";

std::string digest_of(std::string_view messages) {
  const auto request = chat(messages);
  return conversation_digest(request.messages, request.messages.size());
}

// --- conversation_digest ---------------------------------------------------------------------

TEST(GatewayConversationDigest, TheSameMessagesGiveTheSameDigest) {
  EXPECT_EQ(digest_of(kFirstTurn), digest_of(kFirstTurn));
  const auto follow_up = chat(kFollowUp);
  EXPECT_EQ(conversation_digest(follow_up.messages, 5), digest_of(kFirstTurn))
      << "the first five messages of the follow-up are the first turn";
  EXPECT_NE(conversation_digest(follow_up.messages, 6), digest_of(kFirstTurn));
}

TEST(GatewayConversationDigest, SurroundingWhitespaceDoesNotCount) {
  EXPECT_EQ(digest_of(R"([{"role":"user","content":"  hello there \n"}])"),
            digest_of(R"([{"role":"user","content":"hello there"}])"));
  EXPECT_EQ(digest_of(R"([{"role":"user","content":[{"type":"text","text":"hello there\n"}]}])"),
            digest_of(R"([{"role":"user","content":"hello there"}])"))
      << "a string and one text part are the same message";
}

TEST(GatewayConversationDigest, ChangedTextRoleOrToolIdsGiveAnotherDigest) {
  const auto base = digest_of(R"([{"role":"user","content":"hello"}])");
  EXPECT_NE(digest_of(R"([{"role":"user","content":"hello!"}])"), base);
  EXPECT_NE(digest_of(R"([{"role":"user","content":"hel lo"}])"), base);
  EXPECT_NE(digest_of(R"([{"role":"system","content":"hello"}])"), base);
  EXPECT_NE(digest_of(R"([{"role":"assistant","content":"hello"}])"), base);

  auto other_call_id = chat(kFirstTurn).messages;
  other_call_id[2].tool_calls[0].id = "call_9";
  EXPECT_NE(conversation_digest(other_call_id, other_call_id.size()), digest_of(kFirstTurn));

  auto other_result_id = chat(kFirstTurn).messages;
  other_result_id[3].tool_call_id = "call_9";
  EXPECT_NE(conversation_digest(other_result_id, other_result_id.size()), digest_of(kFirstTurn));

  std::string other_tool(kFirstTurn);
  other_tool.replace(other_tool.find("\"get_weather\""), 13, "\"get_climate\"");
  EXPECT_NE(digest_of(other_tool), digest_of(kFirstTurn));
}

TEST(GatewayConversationDigest, MessagesDoNotRunIntoEachOther) {
  EXPECT_NE(digest_of(R"([{"role":"user","content":"ab"},{"role":"user","content":"c"}])"),
            digest_of(R"([{"role":"user","content":"a"},{"role":"user","content":"bc"}])"));
  // Laid end to end, both read "userxuserb".
  EXPECT_NE(digest_of(R"([{"role":"user","content":"xuserb"}])"),
            digest_of(R"([{"role":"user","content":"x"},{"role":"user","content":"b"}])"));
}

// --- lookups -----------------------------------------------------------------------------------

using GatewaySessionManager = FakeCliSessions;

TEST_F(GatewaySessionManager, AnEndedSessionNoLongerOwnsTheToolCallsItHandedOut) {
  const auto a = start();
  const auto b = start();
  tool_calls_.hand_out(a.session->id(), "call_a1", "toolu_1");
  tool_calls_.hand_out(b.session->id(), "call_b1", "toolu_1");
  EXPECT_EQ(tool_calls_.session_of("call_a1"), a.session->id());
  EXPECT_EQ(sessions_.find(a.session->id()), a.session);

  sessions_.end(a.session);
  EXPECT_EQ(tool_calls_.session_of("call_a1"), std::nullopt) << "an ended session owns nothing";
  EXPECT_EQ(sessions_.find(a.session->id()), nullptr);
  EXPECT_EQ(tool_calls_.session_of("call_b1"), b.session->id());
}

class GatewaySessionConversation : public FakeCliSessions {
 protected:
  // A live session that has served kFirstTurn with these settings.
  std::shared_ptr<Session> served(std::string model = "sonnet",
                                  std::string system_prompt = "Be brief.") {
    const auto first = chat(kFirstTurn, model);
    auto session = start(identity(std::move(model), std::move(system_prompt))).session;
    session->remember_conversation(first.messages.size(),
                                   conversation_digest(first.messages, first.messages.size()));
    return session;
  }

  std::shared_ptr<Session> lookup(
      const openai::ChatRequest& request,
      const std::vector<openai::Tool>& client_tools = {tool("get_weather")},
      std::string_view system_prompt = "Be brief.") {
    const auto set = tool_sets_.tool_set(client_tools);
    return sessions_.find_by_conversation(request, *set, system_prompt);
  }
};

TEST_F(GatewaySessionConversation, AFollowUpContinuesTheSessionWhoseConversationItExtends) {
  const auto session = served();
  EXPECT_EQ(lookup(chat(kFollowUp)), session);
}

TEST_F(GatewaySessionConversation, OnlyTheSessionWithTheMatchingConversationIsFound) {
  const auto unrelated = start().session;
  const auto other_history = chat(R"([{"role":"user","content":"Hi"},
                                      {"role":"assistant","content":"Hello!"}])");
  unrelated->remember_conversation(2, conversation_digest(other_history.messages, 2));
  const auto session = served();
  EXPECT_EQ(lookup(chat(kFollowUp)), session);
}

TEST_F(GatewaySessionConversation, NothingNewToAnswerIsNotAContinuation) {
  served();
  EXPECT_EQ(lookup(chat(kFirstTurn)), nullptr);
}

TEST_F(GatewaySessionConversation, AConversationThatDiffersIsNotContinued) {
  served();
  std::string edited(kFollowUp);
  edited.replace(edited.find("It is sunny in Paris."), 21, "It is rainy in Paris.");
  EXPECT_EQ(lookup(chat(edited)), nullptr);
  std::string shifted(kFollowUp);
  shifted.insert(shifted.find('{'), R"({"role":"user","content":"Hello."},)");
  EXPECT_EQ(lookup(chat(shifted)), nullptr) << "the same messages, but not at the start";
}

TEST_F(GatewaySessionConversation, AnotherModelToolSetOrSystemPromptIsNotContinued) {
  served();
  EXPECT_EQ(lookup(chat(kFollowUp, "opus")), nullptr);
  EXPECT_EQ(lookup(chat(kFollowUp), {tool("get_weather"), tool("get_time")}), nullptr);
  EXPECT_EQ(lookup(chat(kFollowUp), {tool("get_weather", "Another description.")}), nullptr);
  EXPECT_EQ(lookup(chat(kFollowUp), {tool("get_weather")}, "Be verbose."), nullptr);
}

TEST_F(GatewaySessionConversation, ABusySessionIsNotContinued) {
  const auto session = served();
  ASSERT_TRUE(session->try_begin_turn());
  EXPECT_EQ(lookup(chat(kFollowUp)), nullptr);
  session->end_turn();
  EXPECT_EQ(lookup(chat(kFollowUp)), session);
}

TEST_F(GatewaySessionConversation, AnExpiredOrEndedSessionIsNotContinued) {
  const auto expired = served();
  expired->mark_expired();
  EXPECT_EQ(lookup(chat(kFollowUp)), nullptr);

  const auto ended = served();
  sessions_.end(ended);
  EXPECT_EQ(lookup(chat(kFollowUp)), nullptr);
}

TEST_F(GatewaySessionConversation, ASessionThatHasServedNothingIsNotContinued) {
  start();
  EXPECT_EQ(lookup(chat(R"([{"role":"user","content":"Hi"}])")), nullptr);
}

// --- lifecycle ---------------------------------------------------------------------------------

TEST_F(GatewaySessionManager, PastMaxSessionsStartingIsRefusedUntilOneEnds) {
  settings_.max_sessions = 2;
  const auto first = start();
  start();
  EXPECT_EQ(sessions_.size(), 2u);
  try {
    start();
    FAIL() << "a third session started";
  } catch (const TooManySessions& error) {
    EXPECT_THAT(error.what(), HasSubstr("MAX_SESSIONS"));
  }
  EXPECT_EQ(sessions_.size(), 2u);

  sessions_.end(first.session);
  EXPECT_NO_THROW(start());
  EXPECT_EQ(sessions_.size(), 2u);
}

TEST_F(GatewaySessionManager, ConcurrentStartsNeverExceedMaxSessions) {
  settings_.max_sessions = 2;
  constexpr int kRequests = 6;
  std::latch ready(kRequests);
  std::atomic<int> started{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> requests;
  for (int i = 0; i < kRequests; ++i) {
    auto identity_for_request = identity();
    requests.emplace_back([&, identity_for_request]() mutable {
      claude::LaunchSettings launch;
      launch.cli_path = cli_;
      ready.arrive_and_wait();  // the HTTP worker threads all ask at once
      try {
        sessions_.start(std::move(identity_for_request), std::move(launch));
        ++started;
      } catch (const TooManySessions&) {
        ++refused;
      }
    });
  }
  for (auto& request : requests) request.join();
  EXPECT_EQ(started, 2);
  EXPECT_EQ(refused, kRequests - 2);
  EXPECT_EQ(sessions_.size(), 2u);
}

TEST_F(GatewaySessionManager, EndingASessionEndsItsProcessRemovesItsDirAndCancelsItsCalls) {
  const auto started = start();
  const auto kept = start();
  ASSERT_TRUE(fs::is_directory(started.dir));
  ASSERT_FALSE(process_gone(started.pid));

  auto pending =
      asio::co_spawn(io_, tool_calls_.await_result(started.session->id(), "call_pending", 5000ms),
                     asio::use_future);
  ASSERT_TRUE(eventually([this] { return tool_calls_.waiting() == 1; }));

  sessions_.end(started.session);

  EXPECT_EQ(sessions_.find(started.session->id()), nullptr);
  EXPECT_EQ(sessions_.size(), 1u);
  EXPECT_TRUE(started.session->closed());
  ASSERT_EQ(pending.wait_for(3s), std::future_status::ready);
  const auto cancelled = pending.get();
  EXPECT_TRUE(cancelled.result.is_error);
  EXPECT_FALSE(cancelled.timed_out);
  EXPECT_TRUE(eventually([&] { return process_gone(started.pid); })) << "pid " << started.pid;
  EXPECT_TRUE(eventually([&] { return !fs::exists(started.dir); })) << started.dir;

  EXPECT_FALSE(process_gone(kept.pid)) << "the other session is untouched";
  EXPECT_TRUE(fs::is_directory(kept.dir));
  EXPECT_NO_THROW(sessions_.end(started.session)) << "ending twice is harmless";
}

TEST_F(GatewaySessionManager, EndAllLeavesNoProcessAndNoDir) {
  const auto first = start();
  const auto second = start();
  sessions_.end_all();
  EXPECT_EQ(sessions_.size(), 0u);
  for (const auto& started : {first, second}) {
    EXPECT_TRUE(eventually([&] { return process_gone(started.pid); })) << "pid " << started.pid;
    EXPECT_TRUE(eventually([&] { return !fs::exists(started.dir); })) << started.dir;
  }
}

TEST_F(GatewaySessionManager, SweepIdleEndsOnlySessionsIdlePastTheTimeout) {
  const auto idle = start();
  const auto busy = start();
  ASSERT_TRUE(busy.session->try_begin_turn());
  const auto now = Session::Clock::now();

  EXPECT_EQ(sessions_.sweep_idle(now + settings_.session_idle_timeout / 2), 0u)
      << "recently active sessions stay";
  EXPECT_EQ(sessions_.size(), 2u);

  EXPECT_EQ(sessions_.sweep_idle(now + settings_.session_idle_timeout * 2), 1u);
  EXPECT_EQ(sessions_.find(idle.session->id()), nullptr);
  EXPECT_EQ(sessions_.find(busy.session->id()), busy.session) << "a session mid-turn stays";
  EXPECT_TRUE(eventually([&] { return process_gone(idle.pid); }));
  EXPECT_FALSE(process_gone(busy.pid));
}

TEST_F(GatewaySessionManager, ACliThatCannotStartIsReportedAndNotCounted) {
  settings_.max_sessions = 1;
  claude::LaunchSettings launch;
  launch.cli_path = scripts_.path() / "no-such-claude";
  try {
    sessions_.start(identity(), launch);
    FAIL() << "a session started without a CLI";
  } catch (const std::runtime_error& error) {
    EXPECT_THAT(error.what(), HasSubstr("no-such-claude"));
  }
  EXPECT_EQ(sessions_.size(), 0u);
  EXPECT_NO_THROW(start()) << "the failed start does not hold a place";
}

}  // namespace
}  // namespace ccgate::gateway
