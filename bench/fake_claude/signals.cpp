#include "fake_claude/signals.hpp"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

namespace ccgate::bench {
namespace {

// A signal handler can only reach state through a global of this type.
volatile sig_atomic_t interrupt_received = 0;

extern "C" void on_terminate(int) {
  ::_exit(0);
}

extern "C" void on_interrupt(int) {
  interrupt_received = 1;
}

void handle(int signal, void (*handler)(int)) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // reads and writes resume; only the pacing sleep is cut short
  ::sigaction(signal, &action, nullptr);
}

}  // namespace

void install_signal_handlers() {
  handle(SIGTERM, on_terminate);
  handle(SIGINT, on_interrupt);
  handle(SIGPIPE, SIG_IGN);  // a closed stdout shows as EPIPE, and the stub exits
}

bool interrupted() {
  return interrupt_received != 0;
}

void clear_interrupt() {
  interrupt_received = 0;
}

void sleep_until(unsigned long long deadline_ns) {
  const timespec deadline{static_cast<time_t>(deadline_ns / 1'000'000'000ULL),
                          static_cast<long>(deadline_ns % 1'000'000'000ULL)};
  while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nullptr) == EINTR)
    if (interrupted()) return;
}

}  // namespace ccgate::bench
