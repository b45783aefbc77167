#pragma once
// One conversation's side of the tool policy: how many tool calls it made (this turn, in all),
// and the policy's decisions on its client tool calls, which the door waits for before it shows
// the calls to the client. Thread-safe: approval_prompt decides on an HTTP loop, the door waits
// on another.
//
// A decision and the door's wait may come in either order (the CLI asks approval_prompt right
// after the message that called the tools has ended, about when the door has read it). A call the
// door stopped waiting for is withdrawn: its decision, whenever it comes, is refused, so that a
// call the client never saw is never run.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ccgate::gateway {

struct PolicyDecision {
  bool allow = false;
  std::optional<std::string> arguments;  // allow: the arguments as rewritten (JSON text), if so
};

class PolicyLedger {
 public:
  enum class Limit { none, per_turn, per_conversation };

  PolicyLedger();
  ~PolicyLedger();
  PolicyLedger(const PolicyLedger&) = delete;
  PolicyLedger& operator=(const PolicyLedger&) = delete;

  // A new turn (a request with new user messages): the per-turn count starts again, and
  // decisions no response waited for are dropped.
  void begin_turn();
  // Counts one more call when neither limit is reached; else names the limit reached.
  Limit reserve(std::optional<std::size_t> per_turn, std::optional<std::size_t> per_conversation);
  // A call counted by reserve() was denied after all (the webhook said no).
  void unreserve();

  // approval_prompt's decision on the client tool call `cli_id`. False when the door has already
  // stopped waiting for it (withdrawn): the call must be denied.
  bool record(const std::string& cli_id, PolicyDecision decision);
  // The decisions on these calls, waiting at most `timeout` for the ones not made yet. A call
  // missing from the answer got none in time and is withdrawn. Honours asio cancellation.
  boost::asio::awaitable<std::map<std::string, PolicyDecision>> await_decisions(
      std::vector<std::string> cli_ids, std::chrono::milliseconds timeout);

  struct Waiter;

 private:
  // The decided ones among cli_ids, taken out; true when every one is decided. mutex_ held.
  bool take_decided(const std::vector<std::string>& cli_ids,
                    std::map<std::string, PolicyDecision>& taken);

  mutable std::mutex mutex_;
  std::size_t turn_calls_ = 0;
  std::size_t conversation_calls_ = 0;
  std::map<std::string, PolicyDecision> decided_;
  std::set<std::string> withdrawn_;
  std::shared_ptr<Waiter> waiter_;  // the door's await_decisions, when it waits
};

}  // namespace ccgate::gateway
