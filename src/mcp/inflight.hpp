#pragma once
// The tools/call requests now waiting, so that a notifications/cancelled (which arrives on another
// HTTP exchange, possibly on another worker thread) can stop the one it names.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace ccgate::mcp {

class InFlightCalls {
  struct CancelSignal;
  using Map = std::multimap<std::string, std::shared_ptr<CancelSignal>, std::less<>>;

 public:
  // Present while a call waits; leaving the scope forgets it.
  class Registration {
   public:
    Registration(InFlightCalls& owner, Map::iterator entry, std::shared_ptr<CancelSignal> signal);
    ~Registration();
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;

    // Completes once cancel() has named this call (at once if it already has). Runs on the
    // executor given to add().
    boost::asio::awaitable<void> cancelled() const;

   private:
    InFlightCalls& owner_;
    Map::iterator entry_;
    std::shared_ptr<CancelSignal> signal_;
  };

  InFlightCalls() = default;
  InFlightCalls(const InFlightCalls&) = delete;
  InFlightCalls& operator=(const InFlightCalls&) = delete;

  // `executor` is the one the call runs on: the cancellation is delivered there.
  Registration add(std::string_view session_id, const boost::json::value& request_id,
                   boost::asio::any_io_executor executor);
  // Thread-safe. True when a waiting call had that id in that session.
  bool cancel(std::string_view session_id, const boost::json::value& request_id);
  std::size_t cancel_session(std::string_view session_id);
  std::size_t size() const;

 private:
  static void deliver(const std::shared_ptr<CancelSignal>& signal);

  mutable std::mutex mutex_;
  Map calls_;
};

}  // namespace ccgate::mcp
