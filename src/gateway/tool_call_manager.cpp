#include "gateway/tool_call_manager.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace ccgate::gateway {
namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

using ResultChannel =
    asio::experimental::concurrent_channel<void(boost::system::error_code, mcp::CallResult)>;

struct ToolCallManager::Slot {
  std::optional<mcp::CallResult> early;   // delivered before the call came
  std::shared_ptr<ResultChannel> waiter;  // the parked call
};

// One await_parked: told (true) when a call of its session parks, (false) when the session ends.
struct ToolCallManager::Watcher {
  asio::experimental::concurrent_channel<void(boost::system::error_code, bool)> signal;
};

bool ToolCallManager::parked_in(const std::string& session_id) const {
  for (auto it = slots_.lower_bound(CallKey{session_id, {}});
       it != slots_.end() && it->first.first == session_id; ++it)
    if (it->second->waiter) return true;
  return false;
}

void ToolCallManager::wake_watchers(const std::string& session_id, bool parked) {
  const auto [first, last] = watchers_.equal_range(session_id);
  for (auto it = first; it != last; ++it)
    it->second->signal.try_send(boost::system::error_code{}, parked);
  watchers_.erase(first, last);
}

asio::awaitable<bool> ToolCallManager::await_parked(std::string session_id,
                                                    std::chrono::milliseconds timeout) {
  const auto executor = co_await asio::this_coro::executor;
  auto watcher = std::make_shared<Watcher>(Watcher{{executor, 1}});
  {
    std::lock_guard lock(mutex_);
    if (parked_in(session_id)) co_return true;
    watchers_.emplace(session_id, watcher);
  }
  asio::steady_timer timer(executor, timeout);
  auto outcome = co_await (watcher->signal.async_receive(asio::as_tuple(asio::use_awaitable)) ||
                           timer.async_wait(asio::as_tuple(asio::use_awaitable)));
  {
    std::lock_guard lock(mutex_);
    std::erase_if(watchers_, [&](const auto& item) { return item.second == watcher; });
  }
  if (outcome.index() == 1) co_return false;
  const auto [ec, parked] = std::get<0>(outcome);
  co_return !ec && parked;
}

std::shared_ptr<ToolCallManager::Slot>& ToolCallManager::slot_for(const CallKey& key) {
  auto& slot = slots_[key];
  if (!slot) slot = std::make_shared<Slot>();
  return slot;
}

void ToolCallManager::hand_out(const std::string& session_id, std::string client_id,
                               std::string cli_id) {
  std::lock_guard lock(mutex_);
  handed_out_.insert_or_assign(std::move(client_id), CallKey{session_id, std::move(cli_id)});
}

std::optional<std::string> ToolCallManager::session_of(std::string_view client_id) const {
  std::lock_guard lock(mutex_);
  const auto found = handed_out_.find(client_id);
  if (found == handed_out_.end()) return std::nullopt;
  return found->second.first;
}

std::size_t ToolCallManager::unanswered(std::string_view session_id) const {
  std::lock_guard lock(mutex_);
  return std::count_if(handed_out_.begin(), handed_out_.end(),
                       [&](const auto& item) { return item.second.first == session_id; });
}

bool ToolCallManager::deliver(const std::string& session_id, std::string_view client_id,
                              mcp::CallResult result) {
  std::lock_guard lock(mutex_);
  const auto handed = handed_out_.find(client_id);
  if (handed == handed_out_.end() || handed->second.first != session_id) return false;
  const CallKey key = handed->second;
  handed_out_.erase(handed);  // answered once
  meters_.tool_calls_completed.inc();
  auto& slot = slot_for(key);
  if (slot->waiter) {
    slot->waiter->try_send(boost::system::error_code{}, std::move(result));
    slots_.erase(key);
  } else {
    slot->early = std::move(result);
  }
  return true;
}

asio::awaitable<ToolCallManager::Awaited> ToolCallManager::await_result(
    std::string session_id, std::string cli_id, std::chrono::milliseconds timeout) {
  auto channel = std::make_shared<ResultChannel>(co_await asio::this_coro::executor, 1);
  const CallKey key{std::move(session_id), std::move(cli_id)};
  {
    std::lock_guard lock(mutex_);
    auto& slot = slot_for(key);
    if (slot->early) {
      Awaited awaited{std::move(*slot->early)};
      slots_.erase(key);
      co_return awaited;
    }
    slot->waiter = channel;
    wake_watchers(key.first, true);
  }
  // Whatever ends the wait (result, timeout, cancellation), the slot goes.
  class Release {
   public:
    Release(ToolCallManager& manager, const CallKey& key,
            const std::shared_ptr<ResultChannel>& channel)
        : manager_(manager), key_(key), channel_(channel) {}
    ~Release() {
      std::lock_guard lock(manager_.mutex_);
      if (auto found = manager_.slots_.find(key_);
          found != manager_.slots_.end() && found->second->waiter == channel_)
        manager_.slots_.erase(found);
    }

   private:
    ToolCallManager& manager_;
    const CallKey& key_;
    const std::shared_ptr<ResultChannel>& channel_;
  };
  const Release release(*this, key, channel);

  asio::steady_timer timer(co_await asio::this_coro::executor, timeout);
  auto outcome = co_await (channel->async_receive(asio::as_tuple(asio::use_awaitable)) ||
                           timer.async_wait(asio::as_tuple(asio::use_awaitable)));
  Awaited awaited;
  if (outcome.index() == 1) {
    {
      std::lock_guard lock(mutex_);
      if (std::erase_if(handed_out_, [&](const auto& item) { return item.second == key; }) != 0)
        meters_.tool_calls_timed_out.inc();
    }
    awaited.result = {
        fmt::format("The client did not return a result for this tool call within {} s.",
                    std::chrono::duration_cast<std::chrono::seconds>(timeout).count()),
        true};
    awaited.timed_out = true;
    co_return awaited;
  }
  auto [ec, result] = std::get<0>(std::move(outcome));
  awaited.result = ec ? mcp::CallResult{"The conversation ended before the tool returned.", true}
                      : std::move(result);
  co_return awaited;
}

void ToolCallManager::cancel_session(const std::string& session_id) {
  std::lock_guard lock(mutex_);
  wake_watchers(session_id, false);
  meters_.tool_calls_cancelled.inc(std::erase_if(
      handed_out_, [&](const auto& item) { return item.second.first == session_id; }));
  std::erase_if(slots_, [&](auto& item) {
    if (item.first.first != session_id) return false;
    if (item.second->waiter)
      item.second->waiter->try_send(asio::error::operation_aborted, mcp::CallResult{});
    return true;
  });
}

std::size_t ToolCallManager::waiting() const {
  std::lock_guard lock(mutex_);
  return std::count_if(slots_.begin(), slots_.end(),
                       [](auto& item) { return item.second->waiter != nullptr; });
}

std::size_t ToolCallManager::early() const {
  std::lock_guard lock(mutex_);
  return std::count_if(slots_.begin(), slots_.end(),
                       [](auto& item) { return item.second->early.has_value(); });
}

}  // namespace ccgate::gateway
