#include "http/operation_deadline.hpp"

#include <sys/socket.h>

#include <utility>

namespace ccgate::http {

struct OperationDeadline::Watch {
  Watch(const boost::asio::any_io_executor& executor, int socket)
      : timer(executor), socket(socket) {}

  boost::asio::steady_timer timer;
  int socket;  // -1 once stopped
  Clock::time_point deadline = Clock::time_point::max();
  bool running = false;   // an operation is armed
  bool sleeping = false;  // the timer has a wait pending
  bool expired = false;
};

OperationDeadline::OperationDeadline(const boost::asio::any_io_executor& executor, int socket)
    : watch_(std::make_shared<Watch>(executor, socket)) {}

OperationDeadline& OperationDeadline::operator=(OperationDeadline&& other) noexcept {
  if (this != &other) {
    stop();
    watch_ = std::move(other.watch_);
  }
  return *this;
}

OperationDeadline::~OperationDeadline() {
  stop();
}

void OperationDeadline::arm(Clock::time_point at) {
  if (!watch_) return;
  Watch& watch = *watch_;
  watch.deadline = at;
  watch.running = true;
  watch.expired = false;
  if (!watch.sleeping)
    sleep(watch_);
  else if (at < watch.timer.expiry())
    watch.timer.cancel();  // the wait ends now and sleeps again, to `at`
}

void OperationDeadline::disarm() {
  if (watch_) watch_->running = false;
}

void OperationDeadline::rest() {
  if (!watch_) return;
  watch_->running = false;
  if (watch_->sleeping) watch_->timer.cancel();
}

bool OperationDeadline::expired() const {
  return watch_ && watch_->expired;
}

void OperationDeadline::stop() {
  if (!watch_) return;
  watch_->socket = -1;
  rest();
}

void OperationDeadline::sleep(const std::shared_ptr<Watch>& watch) {
  watch->sleeping = true;
  watch->timer.expires_at(watch->deadline);
  // The wait holds the watch weakly: a connection that ends takes its timer along.
  watch->timer.async_wait([weak = std::weak_ptr<Watch>(watch)](const boost::system::error_code&) {
    const std::shared_ptr<Watch> watch = weak.lock();
    if (!watch) return;
    watch->sleeping = false;
    if (watch->socket < 0 || !watch->running) return;  // the next arm sleeps again
    if (Clock::now() < watch->deadline) return sleep(watch);
    watch->expired = true;
    ::shutdown(watch->socket, SHUT_RDWR);
  });
}

}  // namespace ccgate::http
