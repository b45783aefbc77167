#include "mcp/inflight.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

namespace ccgate::mcp {

namespace asio = boost::asio;

// A timer that never expires until cancelled: expiring it "in the past" wakes the current wait
// and every later one, so a cancellation that comes before the wait starts is not lost.
struct InFlightCalls::CancelSignal {
  explicit CancelSignal(asio::any_io_executor executor)
      : timer(std::move(executor), asio::steady_timer::time_point::max()) {}
  asio::steady_timer timer;
};

namespace {

std::string session_prefix(std::string_view session_id) {
  std::string prefix(session_id);
  prefix += '\n';  // cannot occur in a session id taken from a URL path
  return prefix;
}

std::string key_of(std::string_view session_id, const boost::json::value& request_id) {
  // Serialised, so that the id 7 and the id "7" stay different, as JSON-RPC wants.
  return session_prefix(session_id) + boost::json::serialize(request_id);
}

}  // namespace

InFlightCalls::Registration::Registration(InFlightCalls& owner, Map::iterator entry,
                                          std::shared_ptr<CancelSignal> signal)
    : owner_(owner), entry_(entry), signal_(std::move(signal)) {}

InFlightCalls::Registration::~Registration() {
  std::lock_guard lock(owner_.mutex_);
  owner_.calls_.erase(entry_);
}

asio::awaitable<void> InFlightCalls::Registration::cancelled() const {
  const auto signal = signal_;
  co_await signal->timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

InFlightCalls::Registration InFlightCalls::add(std::string_view session_id,
                                               const boost::json::value& request_id,
                                               asio::any_io_executor executor) {
  auto signal = std::make_shared<CancelSignal>(std::move(executor));
  std::lock_guard lock(mutex_);
  const auto entry = calls_.emplace(key_of(session_id, request_id), signal);
  return Registration(*this, entry, std::move(signal));
}

void InFlightCalls::deliver(const std::shared_ptr<CancelSignal>& signal) {
  // A timer is not thread-safe: touch it only on the executor of the call that waits on it.
  asio::post(signal->timer.get_executor(),
             [signal] { signal->timer.expires_at(asio::steady_timer::time_point::min()); });
}

bool InFlightCalls::cancel(std::string_view session_id, const boost::json::value& request_id) {
  std::lock_guard lock(mutex_);
  const auto [first, last] = calls_.equal_range(key_of(session_id, request_id));
  for (auto entry = first; entry != last; ++entry) deliver(entry->second);
  return first != last;
}

std::size_t InFlightCalls::cancel_session(std::string_view session_id) {
  const std::string prefix = session_prefix(session_id);
  std::lock_guard lock(mutex_);
  std::size_t cancelled = 0;
  for (auto entry = calls_.lower_bound(prefix);
       entry != calls_.end() && entry->first.starts_with(prefix); ++entry) {
    deliver(entry->second);
    ++cancelled;
  }
  return cancelled;
}

std::size_t InFlightCalls::size() const {
  std::lock_guard lock(mutex_);
  return calls_.size();
}

}  // namespace ccgate::mcp
