#pragma once
// Relays an upstream OpenAI SSE body to the client as Anthropic SSE, translating chunk by chunk,
// with pings while the upstream is silent, and always ends the client's stream with
// message_stop or an error event.

#include <boost/asio/awaitable.hpp>
#include <chrono>

#include "http/client.hpp"
#include "http/request_log.hpp"
#include "http/server.hpp"
#include "translate/stream.hpp"

namespace ccgate::proxy {

boost::asio::awaitable<void> relay_stream(http::Exchange& exchange, http::Response upstream,
                                          translate::StreamTranslator& translator,
                                          std::chrono::milliseconds ping_interval,
                                          http::RequestLog& log);

}  // namespace ccgate::proxy
