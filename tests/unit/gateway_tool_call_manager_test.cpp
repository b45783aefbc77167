// ToolCallManager: MCP tool calls parked until the HTTP client's result arrives.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <optional>
#include <thread>

#include "gateway/tool_call_manager.hpp"
#include "gateway_test_support.hpp"

namespace ccgate::gateway {
namespace {

using namespace test_support;  // NOLINT: the room's test helpers
using ::testing::IsEmpty;
using ::testing::Not;
using Awaited = ToolCallManager::Awaited;
using Clock = std::chrono::steady_clock;

class GatewayToolCallManager : public ::testing::Test {
 protected:
  Awaited run(asio::awaitable<Awaited> task) {
    return claude::test_support::run(io_, std::move(task), 5000ms);
  }

  // Starts waiting for a call's result without blocking the test; the outcome lands in the slot.
  std::shared_ptr<std::optional<Awaited>> park(std::string session_id, std::string tool_use_id,
                                               std::chrono::milliseconds timeout = 5000ms) {
    auto outcome = std::make_shared<std::optional<Awaited>>();
    asio::co_spawn(io_, calls_.await_result(std::move(session_id), std::move(tool_use_id), timeout),
                   [outcome](std::exception_ptr error, Awaited awaited) {
                     if (error) std::rethrow_exception(error);
                     outcome->emplace(std::move(awaited));
                   });
    return outcome;
  }

  // Runs what is ready to run now (a coroutine just spawned, up to where it waits).
  void run_ready() {
    if (io_.stopped()) io_.restart();
    io_.poll();
  }

  // Runs the loop until `condition()` holds; false if it does not within `limit`.
  template <class Condition>
  bool pump_until(Condition condition, std::chrono::milliseconds limit = 3000ms) {
    const auto deadline = Clock::now() + limit;
    while (!condition()) {
      if (Clock::now() > deadline) return false;
      if (io_.stopped()) io_.restart();
      io_.run_one_for(5ms);
    }
    return true;
  }

  metrics::Registry registry_;
  metrics::Instruments instruments_{registry_};
  Meters meters_{instruments_};
  ToolCallManager calls_{meters_};
  asio::io_context io_;  // destroyed first: a call still parked when a test fails uses calls_
};

TEST_F(GatewayToolCallManager, AResultDeliveredBeforeItsCallIsReturnedAtOnce) {
  calls_.hand_out("session-a", "call_1", "toolu_1");
  EXPECT_TRUE(calls_.deliver("session-a", "call_1", mcp::CallResult{"sunny", false}));
  EXPECT_EQ(calls_.early(), 1u);
  EXPECT_EQ(calls_.waiting(), 0u);

  const auto began = Clock::now();
  const auto awaited = run(calls_.await_result("session-a", "toolu_1", 5000ms));

  EXPECT_LT(Clock::now() - began, 1000ms) << "no waiting for a result already there";
  EXPECT_EQ(awaited.result.text, "sunny");
  EXPECT_FALSE(awaited.result.is_error);
  EXPECT_FALSE(awaited.timed_out);
  EXPECT_EQ(calls_.early(), 0u) << "a result is handed out once";
}

TEST_F(GatewayToolCallManager, AParkedCallGetsTheResultDeliveredLaterFromAnotherThread) {
  calls_.hand_out("session-a", "call_2", "toolu_2");
  std::thread client([this] {
    if (eventually([this] { return calls_.waiting() == 1; }))
      calls_.deliver("session-a", "call_2", mcp::CallResult{"22 degrees", false});
  });
  const auto awaited = run(calls_.await_result("session-a", "toolu_2", 5000ms));
  client.join();

  EXPECT_EQ(awaited.result.text, "22 degrees");
  EXPECT_FALSE(awaited.result.is_error);
  EXPECT_FALSE(awaited.timed_out);
  EXPECT_EQ(calls_.waiting(), 0u);
  EXPECT_EQ(calls_.early(), 0u);
}

TEST_F(GatewayToolCallManager, AnErrorResultFromTheClientReachesTheModelAsAnError) {
  calls_.hand_out("session-a", "call_3", "toolu_3");
  calls_.deliver("session-a", "call_3", mcp::CallResult{"city not found", true});
  const auto awaited = run(calls_.await_result("session-a", "toolu_3", 5000ms));
  EXPECT_EQ(awaited.result.text, "city not found");
  EXPECT_TRUE(awaited.result.is_error);
  EXPECT_FALSE(awaited.timed_out);
}

TEST_F(GatewayToolCallManager, ACallWithoutAResultTimesOutWithAnErrorResult) {
  const auto began = Clock::now();
  const auto awaited = run(calls_.await_result("session-a", "toolu_4", 50ms));

  EXPECT_GE(Clock::now() - began, 50ms);
  EXPECT_LT(Clock::now() - began, 2000ms);
  EXPECT_TRUE(awaited.timed_out);
  EXPECT_TRUE(awaited.result.is_error);
  EXPECT_THAT(awaited.result.text, Not(IsEmpty()));
  EXPECT_EQ(calls_.waiting(), 0u) << "the timed-out call no longer waits";
}

TEST_F(GatewayToolCallManager, CancellingASessionEndsItsCallsButNotAnotherSessions) {
  calls_.hand_out("session-a", "call_a1", "toolu_a1");
  calls_.hand_out("session-b", "call_b1", "toolu_b1");
  auto first = park("session-a", "toolu_a1");
  auto second = park("session-a", "toolu_a2");
  auto other = park("session-b", "toolu_b1");
  ASSERT_TRUE(pump_until([this] { return calls_.waiting() == 3; }));

  calls_.cancel_session("session-a");
  ASSERT_TRUE(pump_until([&] { return first->has_value() && second->has_value(); }));
  for (const auto& ended : {first, second}) {
    EXPECT_TRUE((*ended)->result.is_error);
    EXPECT_FALSE((*ended)->timed_out);
    EXPECT_THAT((*ended)->result.text, Not(IsEmpty()));
  }
  EXPECT_FALSE(other->has_value());
  EXPECT_EQ(calls_.waiting(), 1u);
  EXPECT_EQ(calls_.session_of("call_a1"), std::nullopt) << "the ended session's ids are gone";
  EXPECT_EQ(calls_.unanswered("session-a"), 0u);

  EXPECT_TRUE(calls_.deliver("session-b", "call_b1", mcp::CallResult{"still served", false}));
  ASSERT_TRUE(pump_until([&] { return other->has_value(); }));
  EXPECT_EQ((*other)->result.text, "still served");
  EXPECT_FALSE((*other)->result.is_error);
}

TEST_F(GatewayToolCallManager, CancellingASessionDropsItsEarlyResults) {
  calls_.hand_out("session-a", "call_5", "toolu_5");
  calls_.hand_out("session-b", "call_6", "toolu_6");
  calls_.deliver("session-a", "call_5", mcp::CallResult{"too early", false});
  calls_.deliver("session-b", "call_6", mcp::CallResult{"kept", false});
  calls_.cancel_session("session-a");
  EXPECT_EQ(calls_.early(), 1u);

  const auto dropped = run(calls_.await_result("session-a", "toolu_5", 50ms));
  EXPECT_TRUE(dropped.timed_out) << "the dropped result must not be handed out";
  EXPECT_EQ(run(calls_.await_result("session-b", "toolu_6", 50ms)).result.text, "kept");
}

TEST_F(GatewayToolCallManager, AnAbandonedWaitFreesItsSlot) {
  using namespace asio::experimental::awaitable_operators;
  calls_.hand_out("session-a", "call_7", "toolu_7");
  auto race = [this]() -> asio::awaitable<std::size_t> {
    asio::steady_timer give_up(co_await asio::this_coro::executor, 20ms);
    auto wait = calls_.await_result("session-a", "toolu_7", 5000ms);
    auto tick = give_up.async_wait(asio::use_awaitable);
    auto either = std::move(wait) || std::move(tick);
    const auto outcome = co_await std::move(either);
    co_return outcome.index();
  };
  const auto began = Clock::now();
  EXPECT_EQ(claude::test_support::run(io_, race(), 5000ms), 1u) << "the timer won";
  EXPECT_LT(Clock::now() - began, 2000ms);
  EXPECT_EQ(calls_.waiting(), 0u);

  // The client's late answer finds no parked call; it is kept, not sent into the void.
  calls_.deliver("session-a", "call_7", mcp::CallResult{"late", false});
  EXPECT_EQ(calls_.early(), 1u);
}

TEST_F(GatewayToolCallManager, AClientIdLeadsToTheSessionThatHandedItOutUntilAnswered) {
  calls_.hand_out("session-a", "call_x", "toolu_1");
  calls_.hand_out("session-a", "call_y", "toolu_2");
  calls_.hand_out("session-b", "call_z", "toolu_1");
  EXPECT_EQ(calls_.session_of("call_x"), "session-a");
  EXPECT_EQ(calls_.session_of("call_z"), "session-b");
  EXPECT_EQ(calls_.session_of("toolu_1"), std::nullopt) << "the CLI's id is not the client's";
  EXPECT_EQ(calls_.session_of("call_unknown"), std::nullopt);
  EXPECT_EQ(calls_.unanswered("session-a"), 2u);
  EXPECT_EQ(calls_.unanswered("session-b"), 1u);

  EXPECT_FALSE(calls_.deliver("session-b", "call_x", mcp::CallResult{"wrong door", false}))
      << "another session's call";
  EXPECT_FALSE(calls_.deliver("session-a", "toolu_1", mcp::CallResult{"cli id", false}));
  EXPECT_EQ(calls_.early(), 0u) << "a refused result is not kept";

  EXPECT_TRUE(calls_.deliver("session-a", "call_x", mcp::CallResult{"first", false}));
  EXPECT_FALSE(calls_.deliver("session-a", "call_x", mcp::CallResult{"again", false}))
      << "answered once";
  EXPECT_EQ(calls_.session_of("call_x"), std::nullopt);
  EXPECT_EQ(calls_.unanswered("session-a"), 1u);
  EXPECT_EQ(run(calls_.await_result("session-a", "toolu_1", 5000ms)).result.text, "first");
}

TEST_F(GatewayToolCallManager, TheSameCliIdInTwoSessionsIsTwoCalls) {
  calls_.hand_out("session-a", "call_a", "call_0");
  calls_.hand_out("session-b", "call_b", "call_0");
  auto in_a = park("session-a", "call_0");
  auto in_b = park("session-b", "call_0");
  ASSERT_TRUE(pump_until([this] { return calls_.waiting() == 2; }));

  EXPECT_TRUE(calls_.deliver("session-b", "call_b", mcp::CallResult{"for b", false}));
  ASSERT_TRUE(pump_until([&] { return in_b->has_value(); }));
  EXPECT_EQ((*in_b)->result.text, "for b");
  EXPECT_FALSE(in_a->has_value());

  EXPECT_TRUE(calls_.deliver("session-a", "call_a", mcp::CallResult{"for a", false}));
  ASSERT_TRUE(pump_until([&] { return in_a->has_value(); }));
  EXPECT_EQ((*in_a)->result.text, "for a");
}

TEST_F(GatewayToolCallManager, AwaitParkedTellsWhenTheSessionsCliWaitsOnACall) {
  const auto parked_within = [this](std::string session, std::chrono::milliseconds limit) {
    return claude::test_support::run(io_, calls_.await_parked(std::move(session), limit), 5000ms);
  };
  const auto began = Clock::now();
  EXPECT_FALSE(parked_within("session-a", 50ms)) << "no call yet";
  EXPECT_GE(Clock::now() - began, 50ms);

  auto in_b = park("session-b", "toolu_b");
  ASSERT_TRUE(pump_until([this] { return calls_.waiting() == 1; }));
  EXPECT_FALSE(parked_within("session-a", 50ms)) << "another session's call does not count";
  EXPECT_TRUE(parked_within("session-b", 50ms)) << "already parked: at once";

  // Parked while waited for: told at once, not at the timeout.
  auto parked = std::make_shared<std::optional<bool>>();
  asio::co_spawn(io_, calls_.await_parked("session-a", 5000ms),
                 [parked](std::exception_ptr, bool value) { *parked = value; });
  run_ready();  // the wait has begun
  EXPECT_FALSE(parked->has_value());
  const auto parking = Clock::now();
  auto in_a = park("session-a", "toolu_a");
  ASSERT_TRUE(pump_until([&] { return parked->has_value(); }));
  EXPECT_TRUE(**parked);
  EXPECT_LT(Clock::now() - parking, 2000ms);

  // A session that ends stops the wait.
  auto ended = std::make_shared<std::optional<bool>>();
  asio::co_spawn(io_, calls_.await_parked("session-c", 5000ms),
                 [ended](std::exception_ptr, bool value) { *ended = value; });
  run_ready();
  calls_.cancel_session("session-c");
  ASSERT_TRUE(pump_until([&] { return ended->has_value(); }));
  EXPECT_FALSE(**ended);

  calls_.cancel_session("session-a");
  calls_.cancel_session("session-b");
  ASSERT_TRUE(pump_until([&] { return in_a->has_value() && in_b->has_value(); }));
}

TEST_F(GatewayToolCallManager, EachCallHandedOutIsCountedOnceByHowItEnded) {
  // Completed: the client's result delivered (before its call parks, or after).
  calls_.hand_out("session-a", "call_1", "toolu_1");
  ASSERT_TRUE(calls_.deliver("session-a", "call_1", mcp::CallResult{"sunny", false}));
  EXPECT_FALSE(run(calls_.await_result("session-a", "toolu_1", 5000ms)).timed_out);
  EXPECT_FALSE(calls_.deliver("session-a", "call_1", mcp::CallResult{"again", false}));

  // Timed out: the CLI's wait ran out; a late result no longer finds the call, and ending the
  // session does not count it a second time.
  calls_.hand_out("session-a", "call_2", "toolu_2");
  EXPECT_TRUE(run(calls_.await_result("session-a", "toolu_2", 20ms)).timed_out);
  EXPECT_FALSE(calls_.deliver("session-a", "call_2", mcp::CallResult{"late", false}));
  EXPECT_EQ(calls_.unanswered("session-a"), 0u);

  // Cancelled: the session ended with two calls unanswered (one parked, one not yet).
  calls_.hand_out("session-a", "call_3", "toolu_3");
  calls_.hand_out("session-a", "call_4", "toolu_4");
  const auto parked = park("session-a", "toolu_3");
  run_ready();
  calls_.cancel_session("session-a");
  calls_.cancel_session("session-a");  // ended twice: counted once
  ASSERT_TRUE(pump_until([&] { return parked->has_value(); }));

  EXPECT_EQ(meters_.tool_calls_completed.value(), 1u);
  EXPECT_EQ(meters_.tool_calls_timed_out.value(), 1u);
  EXPECT_EQ(meters_.tool_calls_cancelled.value(), 2u);
  const std::string text = registry_.expose();
  EXPECT_THAT(text,
              ::testing::HasSubstr(R"(ccgate_gateway_tool_calls_total{outcome="completed"} 1)"));
  EXPECT_THAT(text,
              ::testing::HasSubstr(R"(ccgate_gateway_tool_calls_total{outcome="cancelled"} 2)"));
}

}  // namespace
}  // namespace ccgate::gateway
