#pragma once
// Aborting an exchange's TCP connection at once, as an upstream that crashes or is reset does.

#include "http/server.hpp"

namespace ccgate::bench {

// http::Exchange does not expose its socket, so the socket is found among this process's
// descriptors by the peer's address and port. SO_LINGER 0 turns the close that follows into a
// reset, and shutdown() stops every further byte at once (the server's own error reply
// included). False when no such socket was found.
bool abort_connection(const http::Exchange& exchange);

}  // namespace ccgate::bench
