#pragma once
// Relays an upstream OpenAI SSE body to the client as Anthropic SSE, translating chunk by chunk,
// with pings while the upstream is silent, and always ends the client's stream with
// message_stop or an error event.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <string>

#include "http/client.hpp"
#include "http/request_log.hpp"
#include "http/server.hpp"
#include "translate/stream.hpp"

namespace ccgate::proxy {

struct RelayLimits {
  std::chrono::milliseconds ping_interval;
  std::size_t max_line_size;   // MAX_LINE_SIZE: one SSE line, or one event's data
  std::size_t max_json_depth;  // MAX_JSON_DEPTH: one chunk
};

// Before anything is sent to the client: checks that a 2xx answer to a streaming request is an
// event stream. text/event-stream passes at once; JSON or HTML, or a body whose first line is
// not SSE (looked at when the content type is missing or ambiguous), throws upstream::Failure
// (protocol) naming the content type and the upstream's own message, if it has one. Returns the
// body bytes read while looking, which the relay must be given first.
boost::asio::awaitable<std::string> expect_event_stream(http::Response& upstream,
                                                        std::size_t max_line_size);

// Policy on the upstream's SSE: comment lines, empty lines and events whose data is empty are
// keep-alive noise, skipped. A data line that is not a JSON object, a line longer than
// MAX_LINE_SIZE and a chunk nested deeper than MAX_JSON_DEPTH are protocol errors: the stream
// ends with an api_error event.
boost::asio::awaitable<void> relay_stream(http::Exchange& exchange, http::Response upstream,
                                          std::string first_bytes,
                                          translate::StreamTranslator& translator,
                                          const RelayLimits& limits, http::RequestLog& log);

}  // namespace ccgate::proxy
