#pragma once
// The OpenAI-compatible provider: sends one Chat Completions request, retrying (MAX_RETRIES,
// exponential backoff, Retry-After) only while nothing has reached the client, and returns the
// response once its status is a success. Errors come out as upstream::Failure.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "http/client.hpp"
#include "upstream/failure.hpp"
#include "upstream/settings.hpp"

namespace ccgate::upstream {

namespace asio = boost::asio;

class Provider {
 public:
  Provider(const Settings& settings, http::Client& client) : settings_(settings), client_(client) {}

  // POSTs body to the chat completions URL for model; the returned response has a 2xx status
  // and its body unread.
  asio::awaitable<http::Response> chat(std::string body, std::string_view model) const;

  const Settings& settings() const { return settings_; }

 private:
  const Settings& settings_;
  http::Client& client_;
};

// Status classes the provider may retry: 408, 409, 429 and 5xx.
bool retryable_status(int status);

// How long to wait before attempt number `attempt` (1-based retry count): the Retry-After /
// retry-after-ms value when the provider sent one, else 0.5 s · 2^(attempt−1) with ±25% jitter,
// at most 8 s. std::nullopt when the provider asks for longer than max_wait.
std::optional<std::chrono::milliseconds> retry_delay(int attempt, std::string_view retry_after,
                                                     std::string_view retry_after_ms,
                                                     std::chrono::milliseconds max_wait);

}  // namespace ccgate::upstream
