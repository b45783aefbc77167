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

// An HTTP client error as a Failure: timeout → timeout, connect and TLS → connect, the rest
// (a broken or closed connection, bad HTTP) → protocol.
Failure failure_from(const http::ClientError& error);

// The whole body of an answer, at most limit bytes (MAX_RESPONSE_SIZE): a larger one (by its
// Content-Length, before reading, or as it arrives) closes the connection and throws
// Failure(protocol) naming the limit. Read errors come out as Failure too.
asio::awaitable<std::string> read_answer(http::Response& response, std::size_t limit);

// An error body (or any answer that is not what was asked) for its message: the first
// kErrorBodyLimit bytes, the rest not read (the connection is closed), or what arrived before a
// read error or timeout. Never throws an http::ClientError.
inline constexpr std::size_t kErrorBodyLimit = 1024 * 1024;
asio::awaitable<std::string> read_error_body(http::Response& response);

// Status classes the provider may retry: 408, 409, 429 and 5xx.
bool retryable_status(int status);

// How long to wait before attempt number `attempt` (1-based retry count): the Retry-After /
// retry-after-ms value when the provider sent one, else 0.5 s · 2^(attempt−1) with ±25% jitter,
// at most 8 s. std::nullopt when the provider asks for longer than max_wait.
std::optional<std::chrono::milliseconds> retry_delay(int attempt, std::string_view retry_after,
                                                     std::string_view retry_after_ms,
                                                     std::chrono::milliseconds max_wait);

}  // namespace ccgate::upstream
