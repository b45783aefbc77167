#pragma once
// The deadline of a connection's reads and writes, kept by one timer for the connection's life.
// Beast's stream starts a timer for every operation and cancels it after: a timer wait, a cancel
// and one more event-loop round per read. This timer sleeps on while deadlines move later, and
// is only moved when one comes earlier; so the reads of a stream cost no timer work, and an
// exchange costs one wait, cancelled when its connection goes back to the pool. When it wakes past
// the deadline of an operation still running, it shuts the socket down: the operation ends at once,
// and expired() says why.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>

namespace ccgate::http {

class OperationDeadline {
 public:
  using Clock = std::chrono::steady_clock;

  OperationDeadline() = default;  // watches nothing
  OperationDeadline(const boost::asio::any_io_executor& executor, int socket);
  OperationDeadline(OperationDeadline&&) noexcept = default;
  OperationDeadline& operator=(OperationDeadline&& other) noexcept;
  ~OperationDeadline();

  // An operation starts that must end by `at`.
  void arm(Clock::time_point at);
  // It ended (whatever its outcome).
  void disarm();
  // The connection goes idle: no wait stays pending either, so that an idle pool holds no work
  // on the event loop (which would keep a loop that ran out of work from ending).
  void rest();
  // Whether the last operation armed was ended by its deadline.
  bool expired() const;
  // The socket is closing: it is never touched again (its number may soon be another socket's).
  void stop();

 private:
  struct Watch;
  static void sleep(const std::shared_ptr<Watch>& watch);

  std::shared_ptr<Watch> watch_;  // the timer's pending wait holds it weakly
};

}  // namespace ccgate::http
