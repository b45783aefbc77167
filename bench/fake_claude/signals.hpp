#pragma once
// How the stub answers signals, as ccgate uses them on the CLI: SIGTERM ends the process at
// once (status 0); SIGINT cuts the turn in progress short (its result line still follows, which
// is what ccgate waits for after interrupting).

namespace ccgate::bench {

void install_signal_handlers();

// True once SIGINT has arrived since the last clear_interrupt().
bool interrupted();
void clear_interrupt();

// Sleeps until now_ns() reaches deadline_ns, or until SIGINT.
void sleep_until(unsigned long long deadline_ns);

}  // namespace ccgate::bench
