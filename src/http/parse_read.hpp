#pragma once
// Parses the bytes already read into a Beast parser, as far as they go, without reading more.
// Beast's reads complete through the scheduler (one more event-loop round) even when the buffer
// already holds what they need, and parse one body chunk per call; the server and the upstream
// client both parse what they have first and only read when the parser needs more.

#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>

namespace ccgate::http {

// Stops when `enough()` says the parser has what the caller wants (true), when the buffer runs
// out or the parser wants more bytes or room (false), or at an error (true, in `ec`).
template <class Parser, class Enough>
bool parse_read_bytes(Parser& parser, boost::beast::flat_buffer& buffer, Enough enough,
                      boost::beast::error_code& ec) {
  namespace bhttp = boost::beast::http;
  for (;;) {
    if (enough()) return true;
    if (buffer.size() == 0) return false;
    const std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec == bhttp::error::need_more || ec == bhttp::error::need_buffer) {
      ec = {};
      return false;
    }
    if (ec) return true;
    if (used == 0) return false;
  }
}

}  // namespace ccgate::http
