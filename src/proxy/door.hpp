#pragma once
// The proxy door: Anthropic Messages API in, any OpenAI-compatible provider behind.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>

#include "http/request_log.hpp"
#include "http/server.hpp"
#include "translate/request.hpp"
#include "upstream/provider.hpp"

namespace ccgate::proxy {

namespace asio = boost::asio;

struct Settings {
  translate::RequestOptions translation;
  std::string api_key;  // ANTHROPIC_API_KEY: when set, clients must present it (app admission)
  std::chrono::milliseconds ping_interval{15'000};
  std::size_t max_response_size = 64 * 1024 * 1024;  // MAX_RESPONSE_SIZE: non-streaming answers
  std::size_t max_json_depth = 128;  // MAX_JSON_DEPTH: request bodies, upstream answers and chunks
  std::size_t max_line_size = 16 * 1024 * 1024;  // MAX_LINE_SIZE: one upstream SSE line
};

class Door {
 public:
  Door(const Settings& settings, const upstream::Provider& provider)
      : settings_(settings), provider_(provider) {}

  // POST /v1/messages
  asio::awaitable<void> messages(http::Exchange& exchange, http::RequestLog& log) const;
  // POST /v1/messages/count_tokens
  asio::awaitable<void> count_tokens(http::Exchange& exchange, http::RequestLog& log) const;

 private:
  asio::awaitable<void> reply(http::Exchange& exchange, const translate::TranslatedRequest& request,
                              http::Response upstream, http::RequestLog& log) const;
  asio::awaitable<void> stream(http::Exchange& exchange,
                               const translate::TranslatedRequest& request, http::Response upstream,
                               http::RequestLog& log) const;

  const Settings& settings_;
  const upstream::Provider& provider_;
};

}  // namespace ccgate::proxy
