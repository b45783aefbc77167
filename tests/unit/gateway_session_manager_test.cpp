// SessionManager: which live conversation a request continues, and the sessions' lifecycle.
// The sessions run a /bin/sh stand-in for Claude Code, so no real CLI is needed.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <fstream>
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

  sessions_.end(a.session, ExitCause::client_closed);
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
  sessions_.end(ended, ExitCause::client_closed);
  EXPECT_EQ(lookup(chat(kFollowUp)), nullptr);
}

TEST_F(GatewaySessionConversation, ASessionThatHasServedNothingIsNotContinued) {
  start();
  EXPECT_EQ(lookup(chat(R"([{"role":"user","content":"Hi"}])")), nullptr);
}

// --- lifecycle ---------------------------------------------------------------------------------

TEST_F(GatewaySessionManager, AtMaxSessionsTheLeastRecentlyUsedIdleSessionMakesRoom) {
  settings_.max_sessions = 2;
  const auto older = start();
  const auto newer = start();
  ASSERT_TRUE(older.session->try_begin_turn());  // used last: newer is now the least recent
  older.session->end_turn();

  const auto third = start();
  EXPECT_EQ(sessions_.size(), 2u);
  EXPECT_EQ(sessions_.find(newer.session->id()), nullptr) << "the least recently used went";
  EXPECT_TRUE(newer.session->closed());
  EXPECT_EQ(sessions_.find(older.session->id()), older.session);
  EXPECT_EQ(sessions_.find(third.session->id()), third.session);
  EXPECT_TRUE(eventually([&] { return process_gone(newer.pid); })) << "pid " << newer.pid;
  EXPECT_TRUE(eventually([&] { return !fs::exists(newer.dir); })) << newer.dir;
  EXPECT_FALSE(newer.session->try_begin_turn()) << "an evicted session takes no more turns";
}

TEST_F(GatewaySessionManager, WhenEverySessionIsBusyOrWaitsForAToolResultStartingIsRefused) {
  settings_.max_sessions = 2;
  const auto running = start();
  const auto waiting = start();
  ASSERT_TRUE(running.session->try_begin_turn());
  tool_calls_.hand_out(waiting.session->id(), "call_1", "toolu_1");
  try {
    start();
    FAIL() << "a third session started";
  } catch (const TooManySessions& error) {
    EXPECT_THAT(error.what(), HasSubstr("MAX_SESSIONS"));
  }
  EXPECT_EQ(sessions_.size(), 2u);
  EXPECT_FALSE(process_gone(running.pid));
  EXPECT_FALSE(process_gone(waiting.pid));

  tool_calls_.deliver(waiting.session->id(), "call_1",
                      mcp::CallResult{"done", false});  // now idle: it makes room
  EXPECT_NO_THROW(start());
  EXPECT_EQ(sessions_.find(waiting.session->id()), nullptr);
  EXPECT_EQ(sessions_.find(running.session->id()), running.session);
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
      ready.arrive_and_wait();  // the HTTP worker threads all ask at once
      try {
        start_session(std::move(identity_for_request), cli_);  // each keeps its first turn
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

  sessions_.end(started.session, ExitCause::client_closed);

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
  EXPECT_NO_THROW(sessions_.end(started.session, ExitCause::client_closed))
      << "ending twice is harmless";
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
  EXPECT_EQ(meters_.sessions_evicted.value(), 1u);
  EXPECT_TRUE(eventually([&] { return meters_.cli_exit(ExitCause::idle).value() == 1; }))
      << "its CLI's exit is counted, with its cause, once reaped";
}

TEST_F(GatewaySessionManager, ACliThatCannotStartIsReportedAndNotCounted) {
  settings_.max_sessions = 1;
  try {
    start_session(identity(), scripts_.path() / "no-such-claude");
    FAIL() << "a session started without a CLI";
  } catch (const std::runtime_error& error) {
    EXPECT_THAT(error.what(), HasSubstr("no-such-claude"));
  }
  EXPECT_EQ(sessions_.size(), 0u);
  EXPECT_NO_THROW(start()) << "the failed start does not hold a place";
}

TEST_F(GatewaySessionManager, ACliThatExitsBetweenTurnsEndsItsSession) {
  const auto started = start();
  ASSERT_EQ(::kill(started.pid, SIGKILL), 0);
  EXPECT_TRUE(eventually([&] { return sessions_.size() == 0; })) << "its place is free";
  EXPECT_TRUE(started.session->closed());
  EXPECT_TRUE(eventually([&] { return !fs::exists(started.dir); })) << started.dir;
  EXPECT_FALSE(started.session->try_begin_turn());
  EXPECT_EQ(meters_.cli_exit(ExitCause::crashed).value(), 1u);
  sessions_.end(started.session, ExitCause::shutdown);
  EXPECT_EQ(meters_.cli_exit(ExitCause::shutdown).value(), 0u) << "an exit is counted once";
}

TEST_F(GatewaySessionManager, ACliThatExitsDuringATurnIsLeftToTheTurnsReader) {
  const auto started = start();
  ASSERT_TRUE(started.session->try_begin_turn());
  ASSERT_EQ(::kill(started.pid, SIGKILL), 0);
  auto line = asio::co_spawn(io_, started.session->next_line(), asio::use_future);
  ASSERT_EQ(line.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(line.get(), std::nullopt) << "the reader sees the end";
  EXPECT_EQ(sessions_.find(started.session->id()), started.session) << "the turn decides";
  EXPECT_TRUE(started.session->end_turn()) << "ending the turn says: end the session";
}

TEST_F(GatewaySessionManager, BeginShutdownAnswersPendingToolCallsAtOnceAndStartsNothing) {
  const auto waiting = start();
  const auto running = start();
  tool_calls_.hand_out(waiting.session->id(), "call_pending", "call_pending");
  ASSERT_TRUE(running.session->try_begin_turn());
  auto pending = asio::co_spawn(
      io_, tool_calls_.await_result(waiting.session->id(), "call_pending", 600'000ms),
      asio::use_future);
  ASSERT_TRUE(eventually([this] { return tool_calls_.waiting() == 1; }));

  sessions_.begin_shutdown();
  EXPECT_TRUE(sessions_.shutting_down());
  ASSERT_EQ(pending.wait_for(3s), std::future_status::ready) << "not after TOOL_CALL_TIMEOUT";
  EXPECT_TRUE(pending.get().result.is_error);
  EXPECT_EQ(sessions_.find(waiting.session->id()), nullptr) << "no turn runs: ended now";
  EXPECT_TRUE(eventually([&] { return process_gone(waiting.pid); }));
  EXPECT_EQ(sessions_.find(running.session->id()), running.session) << "a running turn may finish";
  EXPECT_THROW(start(), ShuttingDown);
}

// --- spares (SPARE_SESSIONS) -------------------------------------------------------------------

class GatewaySpareSessions : public FakeCliSessions {
 protected:
  GatewaySpareSessions() { settings_.spare_sessions = 1; }

  static LaunchKey key(std::string model = "sonnet") {
    return LaunchKey{.cli_path = "claude", .model = std::move(model), .system_prompt = "Be brief."};
  }

  // What the door does after a conversation's first token: asks for a spare like it.
  void start_spare(const LaunchKey& key) {
    claude::LaunchSettings launch;
    launch.cli_path = cli_;
    sessions_.start_spare(key, identity(key.model), std::move(launch));
  }

  // An adopted spare's stand-in CLI: its pid and dir, from its first line.
  Started adopted(std::shared_ptr<Session> session) {
    Started started;
    started.session = std::move(session);
    auto first_line = asio::co_spawn(io_, started.session->next_line(), asio::use_future);
    if (first_line.wait_for(5s) != std::future_status::ready)
      throw std::runtime_error("the stand-in CLI printed nothing");
    std::istringstream fields(first_line.get().value_or(""));
    std::string home;
    fields >> started.pid >> home;
    started.dir = fs::path(home).parent_path();
    return started;
  }
};

TEST_F(GatewaySpareSessions, ASpareServesOnlyAConversationWithItsLaunchKey) {
  start_spare(key());
  ASSERT_TRUE(eventually([&] { return sessions_.spares() == 1; }));
  EXPECT_EQ(sessions_.size(), 1u) << "a spare is a live session (its MCP endpoints work)";
  EXPECT_EQ(sessions_.adopt_spare(key("opus")), nullptr) << "another model: not this spare";

  const auto spare = sessions_.adopt_spare(key());
  ASSERT_NE(spare, nullptr);
  EXPECT_FALSE(spare->spare());
  EXPECT_TRUE(spare->busy()) << "its first turn is the adopter's";
  EXPECT_EQ(sessions_.spares(), 0u);
  EXPECT_EQ(sessions_.adopt_spare(key()), nullptr) << "a spare is adopted once";
  const auto started = adopted(spare);
  EXPECT_GT(started.pid, 0);
  write_line(spare, "hello");
  auto echoed = asio::co_spawn(io_, spare->next_line(), asio::use_future);
  ASSERT_EQ(echoed.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(echoed.get(), "hello") << "the adopter talks to the spare's CLI";
}

TEST_F(GatewaySpareSessions, NoMoreSparesThanSpareSessionsAndNoneWhenOff) {
  start_spare(key());
  ASSERT_TRUE(eventually([&] { return sessions_.spares() == 1; }));
  start_spare(key("opus"));
  start_spare(key());
  EXPECT_FALSE(eventually([&] { return sessions_.size() > 1; }, 300ms)) << "SPARE_SESSIONS=1";
  EXPECT_EQ(sessions_.spares(), 1u);

  sessions_.end_all();
  settings_.spare_sessions = 0;
  start_spare(key());
  EXPECT_FALSE(eventually([&] { return sessions_.size() > 0; }, 300ms)) << "SPARE_SESSIONS=0";
}

TEST_F(GatewaySpareSessions, ASpareNeverTakesTheLastPlaceAndIsTheFirstToMakeRoom) {
  settings_.max_sessions = 2;
  settings_.spare_sessions = 2;
  const auto idle = start();
  start_spare(key());
  ASSERT_TRUE(eventually([&] { return sessions_.spares() == 1; }));
  start_spare(key());
  EXPECT_FALSE(eventually([&] { return sessions_.size() > 2; }, 300ms))
      << "no spare beyond MAX_SESSIONS";

  const auto newcomer = start();  // at MAX_SESSIONS: the spare goes, not the idle conversation
  EXPECT_EQ(sessions_.spares(), 0u);
  EXPECT_EQ(sessions_.size(), 2u);
  EXPECT_EQ(sessions_.find(idle.session->id()), idle.session);
  EXPECT_EQ(sessions_.find(newcomer.session->id()), newcomer.session);
}

TEST_F(GatewaySpareSessions, SweepEndsSparesUnusedPastSpareIdleTimeout) {
  settings_.spare_idle_timeout = 5000ms;
  start_spare(key());
  ASSERT_TRUE(eventually([&] { return sessions_.spares() == 1; }));
  const auto now = Session::Clock::now();
  sessions_.sweep_idle(now + 1000ms);
  EXPECT_EQ(sessions_.spares(), 1u) << "younger than SPARE_IDLE_TIMEOUT";
  sessions_.sweep_idle(now + 10'000ms);
  EXPECT_EQ(sessions_.spares(), 0u);
  EXPECT_EQ(sessions_.size(), 0u);
  EXPECT_EQ(sessions_.adopt_spare(key()), nullptr);
}

TEST_F(GatewaySpareSessions, ASpareWhoseCliExitsIsEnded) {
  start_spare(key());
  ASSERT_TRUE(eventually([&] { return sessions_.spares() == 1; }));
  // Its first line tells its pid, but reading it is the adopter's: find our only child instead.
  const auto spare = sessions_.find("session-1");
  ASSERT_NE(spare, nullptr);
  pid_t pid = -1;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), {});
    const auto close = text.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(text.substr(close + 2));
    std::string state;
    pid_t parent = 0;
    fields >> state >> parent;
    if (parent == ::getpid()) pid = std::stoi(name);
  }
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  EXPECT_TRUE(eventually([&] { return sessions_.size() == 0 && sessions_.spares() == 0; }));
  EXPECT_TRUE(spare->closed());
}

TEST_F(GatewaySpareSessions, ShutdownEndsSparesAndStartsNoMore) {
  start_spare(key());
  ASSERT_TRUE(eventually([&] { return sessions_.spares() == 1; }));
  const auto spare = sessions_.find("session-1");
  sessions_.begin_shutdown();
  EXPECT_EQ(sessions_.spares(), 0u);
  EXPECT_TRUE(spare->closed());
  EXPECT_EQ(sessions_.adopt_spare(key()), nullptr);
  start_spare(key());
  EXPECT_FALSE(eventually([&] { return sessions_.size() > 0; }, 300ms));
}

class GatewaySessionManagerAtScale : public FakeCliSessions {
 protected:
  // Ignores SIGTERM, so each session takes the whole terminate grace before its SIGKILL.
  fs::path stubborn_cli_ = scripts_.write("stubborn-claude", R"(trap '' TERM
echo "$$ $HOME"
exec cat)");
};

TEST_F(GatewaySessionManagerAtScale, EndAllEndsAHundredStubbornSessionsTogether) {
  settings_.max_sessions = 200;
  cli_ = stubborn_cli_;
  std::vector<Started> all;
  for (int i = 0; i < 100; ++i) all.push_back(start());
  const auto began = std::chrono::steady_clock::now();
  sessions_.end_all();
  for (const auto& started : all)
    ASSERT_TRUE(
        eventually([&] { return process_gone(started.pid) && !fs::exists(started.dir); }, 20'000ms))
        << "pid " << started.pid;
  // One grace for all, not one after another (100 × 2 s).
  EXPECT_LT(std::chrono::steady_clock::now() - began, 30s);
}

}  // namespace
}  // namespace ccgate::gateway
