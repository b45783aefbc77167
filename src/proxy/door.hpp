#pragma once
// The proxy door: Anthropic Messages API in, any OpenAI-compatible provider behind.

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "http/request_log.hpp"
#include "http/server.hpp"
#include "metrics/instruments.hpp"
#include "routing/live.hpp"
#include "routing/router.hpp"
#include "translate/request.hpp"
#include "translate/response.hpp"
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
  // catalogs: the providers and routes in force (swapped on reload); client: this event loop's
  // upstream connections; metrics: where requests, attempts, fallbacks and tokens are counted.
  Door(const Settings& settings, const routing::CatalogHolder& catalogs, http::Client& client,
       const metrics::Instruments& metrics)
      : settings_(settings),
        catalogs_(catalogs),
        client_(client),
        metrics_(metrics),
        open_streams_(metrics.open_streams.with({"proxy"})) {}

  // POST /v1/messages
  asio::awaitable<void> messages(http::Exchange& exchange, http::RequestLog& log) const;
  // POST /v1/messages/count_tokens
  asio::awaitable<void> count_tokens(http::Exchange& exchange, http::RequestLog& log) const;

 private:
  struct Answer;    // an upstream answer good so far, not yet sent
  struct Attempts;  // what was tried, for the log, the header and the error
  class Outcome;    // what the request tells the metrics when it ends
  // Tries the chain's targets in order until one answers well enough to commit to the client
  // (a 2xx event stream, or a whole translated message); nothing is sent to the client here.
  asio::awaitable<std::optional<Answer>> first_good_answer(const routing::LiveCatalog& live,
                                                           const routing::Decision& decision,
                                                           const boost::json::value& body,
                                                           std::size_t body_size,
                                                           Attempts& attempts) const;
  asio::awaitable<std::string> translated_reply(http::Response& upstream,
                                                const translate::TranslatedRequest& request,
                                                translate::Usage& usage) const;

  const Settings& settings_;
  const routing::CatalogHolder& catalogs_;
  http::Client& client_;
  const metrics::Instruments& metrics_;
  metrics::Gauge& open_streams_;
};

}  // namespace ccgate::proxy
