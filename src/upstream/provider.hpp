#pragma once
// One OpenAI-compatible provider: sends one Chat Completions request with a key of its pool,
// retrying (MAX_RETRIES, exponential backoff, Retry-After) only while nothing has reached the
// client, and returns the response once its status is a success. Errors come out as
// upstream::Failure.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "http/client.hpp"
#include "metrics/instruments.hpp"
#include "upstream/failure.hpp"
#include "upstream/key_pool.hpp"
#include "upstream/settings.hpp"

namespace ccgate::upstream {

namespace asio = boost::asio;

class Provider {
 public:
  // name: how the log and the metrics name it (never with a key). metrics: where each attempt,
  // retry and upstream time to first byte is counted (none when null).
  Provider(std::string_view name, const Settings& settings, KeyPool& keys, http::Client& client,
           const metrics::Instruments* metrics = nullptr)
      : name_(name), settings_(settings), keys_(keys), client_(client), metrics_(metrics) {}

  // POSTs body to the chat completions URL for model with the pool's next usable key; the
  // returned response has a 2xx status and its body unread. A 429 cools its key and a 401/403
  // takes it out; either way the next usable key is tried at once. When none is left, or on any
  // other failure: with another target behind this one (can_fall_back) the Failure comes out at
  // once; without, retries follow MAX_RETRIES as they always did. Every attempt carries
  // request_id (when not empty) as x-request-id.
  asio::awaitable<http::Response> chat(std::string body, std::string_view model,
                                       bool can_fall_back = false,
                                       std::string_view request_id = {}) const;

  const Settings& settings() const { return settings_; }

 private:
  // The key to send with, or a Failure when every key cools (429) or is out (401/403).
  std::optional<std::size_t> pick_key(bool can_wait) const;
  void note_refused_key(std::size_t key, int status) const;
  void count_attempt(std::string_view outcome) const;
  void count_retry(std::string_view reason) const;

  std::string_view name_;
  const Settings& settings_;
  KeyPool& keys_;
  http::Client& client_;
  const metrics::Instruments* metrics_;
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
