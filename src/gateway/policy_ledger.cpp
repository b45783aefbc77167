#include "gateway/policy_ledger.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace ccgate::gateway {
namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

// Told when a decision arrives.
struct PolicyLedger::Waiter {
  explicit Waiter(const asio::any_io_executor& executor) : signal(executor, 1) {}
  asio::experimental::concurrent_channel<void(boost::system::error_code, bool)> signal;
};

PolicyLedger::PolicyLedger() = default;
PolicyLedger::~PolicyLedger() = default;

void PolicyLedger::begin_turn() {
  std::lock_guard lock(mutex_);
  turn_calls_ = 0;
  decided_.clear();
  withdrawn_.clear();
}

PolicyLedger::Limit PolicyLedger::reserve(std::optional<std::size_t> per_turn,
                                          std::optional<std::size_t> per_conversation) {
  std::lock_guard lock(mutex_);
  if (per_turn && turn_calls_ >= *per_turn) return Limit::per_turn;
  if (per_conversation && conversation_calls_ >= *per_conversation) return Limit::per_conversation;
  ++turn_calls_;
  ++conversation_calls_;
  return Limit::none;
}

void PolicyLedger::unreserve() {
  std::lock_guard lock(mutex_);
  if (turn_calls_ > 0) --turn_calls_;
  if (conversation_calls_ > 0) --conversation_calls_;
}

bool PolicyLedger::record(const std::string& cli_id, PolicyDecision decision) {
  std::lock_guard lock(mutex_);
  if (withdrawn_.erase(cli_id) > 0) return false;
  decided_.insert_or_assign(cli_id, std::move(decision));
  if (waiter_) waiter_->signal.try_send(boost::system::error_code{}, true);
  return true;
}

bool PolicyLedger::take_decided(const std::vector<std::string>& cli_ids,
                                std::map<std::string, PolicyDecision>& taken) {
  bool all = true;
  for (const auto& id : cli_ids) {
    if (taken.contains(id)) continue;
    if (auto found = decided_.find(id); found != decided_.end()) {
      taken.insert(decided_.extract(found));
    } else {
      all = false;
    }
  }
  return all;
}

asio::awaitable<std::map<std::string, PolicyDecision>> PolicyLedger::await_decisions(
    std::vector<std::string> cli_ids, std::chrono::milliseconds timeout) {
  const auto executor = co_await asio::this_coro::executor;
  auto waiter = std::make_shared<Waiter>(executor);
  std::map<std::string, PolicyDecision> taken;
  {
    std::lock_guard lock(mutex_);
    if (take_decided(cli_ids, taken)) co_return taken;
    waiter_ = waiter;
  }
  // Whatever ends the wait (all decided, the time is up, the client left), the calls not
  // decided are withdrawn and the waiter goes.
  struct Finish {
    PolicyLedger& ledger;
    const std::vector<std::string>& ids;
    std::map<std::string, PolicyDecision>& taken;
    ~Finish() {
      std::lock_guard lock(ledger.mutex_);
      ledger.take_decided(ids, taken);
      for (const auto& id : ids)
        if (!taken.contains(id)) ledger.withdrawn_.insert(id);
      ledger.waiter_.reset();
    }
  };
  {
    const Finish finish{*this, cli_ids, taken};
    asio::steady_timer timer(executor, timeout);
    for (;;) {
      const auto woken =
          co_await (waiter->signal.async_receive(asio::as_tuple(asio::use_awaitable)) ||
                    timer.async_wait(asio::as_tuple(asio::use_awaitable)));
      if (woken.index() == 1) break;
      std::lock_guard lock(mutex_);
      if (take_decided(cli_ids, taken)) break;
    }
  }
  co_return taken;
}

}  // namespace ccgate::gateway
