#include "gateway/tool_call_manager.hpp"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>

namespace ccgate::gateway {
namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

using ResultChannel =
    asio::experimental::concurrent_channel<void(boost::system::error_code, mcp::CallResult)>;

struct ToolCallManager::Slot {
  std::string session_id;
  std::optional<mcp::CallResult> early;   // delivered before the call came
  std::shared_ptr<ResultChannel> waiter;  // the parked call
};

asio::awaitable<ToolCallManager::Awaited> ToolCallManager::await_result(
    std::string session_id, std::string tool_use_id, std::chrono::milliseconds timeout) {
  auto channel = std::make_shared<ResultChannel>(co_await asio::this_coro::executor, 1);
  {
    std::lock_guard lock(mutex_);
    auto& slot = slots_[tool_use_id];
    if (!slot) slot = std::make_shared<Slot>(Slot{session_id, {}, {}});
    if (slot->early) {
      Awaited awaited{std::move(*slot->early)};
      slots_.erase(tool_use_id);
      co_return awaited;
    }
    slot->waiter = channel;
  }
  // Whatever ends the wait (result, timeout, cancellation), the slot goes.
  class Release {
   public:
    Release(ToolCallManager& manager, const std::string& id,
            const std::shared_ptr<ResultChannel>& channel)
        : manager_(manager), id_(id), channel_(channel) {}
    ~Release() {
      std::lock_guard lock(manager_.mutex_);
      if (auto found = manager_.slots_.find(id_);
          found != manager_.slots_.end() && found->second->waiter == channel_)
        manager_.slots_.erase(found);
    }

   private:
    ToolCallManager& manager_;
    const std::string& id_;
    const std::shared_ptr<ResultChannel>& channel_;
  };
  const Release release(*this, tool_use_id, channel);

  asio::steady_timer timer(co_await asio::this_coro::executor, timeout);
  auto outcome = co_await (channel->async_receive(asio::as_tuple(asio::use_awaitable)) ||
                           timer.async_wait(asio::as_tuple(asio::use_awaitable)));
  Awaited awaited;
  if (outcome.index() == 1) {
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

void ToolCallManager::deliver(const std::string& session_id, const std::string& tool_use_id,
                              mcp::CallResult result) {
  std::lock_guard lock(mutex_);
  auto& slot = slots_[tool_use_id];
  if (!slot) slot = std::make_shared<Slot>(Slot{session_id, {}, {}});
  if (slot->waiter) {
    slot->waiter->try_send(boost::system::error_code{}, std::move(result));
    slots_.erase(tool_use_id);
    return;
  }
  slot->early = std::move(result);
}

void ToolCallManager::cancel_session(const std::string& session_id) {
  std::lock_guard lock(mutex_);
  std::erase_if(slots_, [&](auto& item) {
    if (item.second->session_id != session_id) return false;
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
