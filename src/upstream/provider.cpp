#include "upstream/provider.hpp"

#include <fmt/format.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <ctime>

#include "openai/errors.hpp"

namespace ccgate::upstream {
namespace {

using std::chrono::milliseconds;

// How long a key that got 429 is skipped: Retry-After, else a minute; never more than 15 minutes
// (a provider's "come back tomorrow" must not take a key out of the pool for a day).
constexpr milliseconds kDefaultCooldown{60'000};
constexpr milliseconds kLongestCooldown{15 * 60'000};

std::optional<long long> parse_number(std::string_view text) {
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

// Retry-After is either delta-seconds or an HTTP-date.
std::optional<milliseconds> parse_retry_after(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (auto seconds = parse_number(text)) return milliseconds(*seconds * 1000);
  std::tm tm{};
  const std::string copy(text);
  if (strptime(copy.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) == nullptr) return std::nullopt;
  const auto when = std::chrono::system_clock::from_time_t(timegm(&tm));
  const auto wait =
      std::chrono::duration_cast<milliseconds>(when - std::chrono::system_clock::now());
  return std::max(wait, milliseconds(0));
}

double jitter_factor() {
  std::uint16_t random = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&random), sizeof random);
  return 0.75 + 0.5 * (random / 65535.0);
}

bool retryable(const http::ClientError& error) {
  return error.kind() != http::ClientError::Kind::tls &&
         error.kind() != http::ClientError::Kind::protocol;
}

asio::awaitable<void> sleep_for(milliseconds delay) {
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  co_await timer.async_wait(asio::use_awaitable);
}

}  // namespace

Failure failure_from(const http::ClientError& error) {
  using Kind = http::ClientError::Kind;
  switch (error.kind()) {
    case Kind::timeout:
      return Failure(Failure::Kind::timeout, 0, error.what());
    case Kind::connect:
    case Kind::tls:
      return Failure(Failure::Kind::connect, 0, error.what());
    case Kind::protocol:
    case Kind::closed:
      break;
  }
  return Failure(Failure::Kind::protocol, 0, error.what());
}

asio::awaitable<std::string> read_answer(http::Response& response, std::size_t limit) {
  const auto too_large = [&] {
    response.abort();
    return Failure(Failure::Kind::protocol, response.status(),
                   fmt::format("the answer is larger than MAX_RESPONSE_SIZE ({} bytes)", limit));
  };
  std::string body;
  if (const auto length = response.header("content-length"); !length.empty()) {
    const auto declared = parse_number(length);
    if (declared && static_cast<unsigned long long>(*declared) > limit) throw too_large();
    if (declared) body.reserve(static_cast<std::size_t>(*declared));
  }
  try {
    while (const auto piece = co_await response.read_some()) {
      if (body.size() + piece->size() > limit) throw too_large();
      body.append(*piece);
    }
  } catch (const http::ClientError& error) {
    throw failure_from(error);
  }
  co_return body;
}

asio::awaitable<std::string> read_error_body(http::Response& response) {
  std::string body;
  try {
    while (const auto piece = co_await response.read_some()) {
      body.append(piece->substr(0, kErrorBodyLimit - body.size()));
      if (body.size() == kErrorBodyLimit) {
        response.abort();
        break;
      }
    }
  } catch (const http::ClientError&) {
    // The status already says what went wrong; a body cut short still says more than none.
  }
  co_return body;
}

std::string_view metric_reason(const Failure& failure) {
  switch (failure.kind()) {
    case Failure::Kind::status:
      return failure.context_too_long() ? "context_too_long"
                                        : metrics::status_outcome(failure.upstream_status());
    case Failure::Kind::timeout:
      return "timeout";
    case Failure::Kind::connect:
      return "unreachable";
    case Failure::Kind::protocol:
      return "bad_answer";
    case Failure::Kind::unavailable:
      return "at_capacity";
  }
  return "failed";
}

bool retryable_status(int status) {
  return status == 408 || status == 409 || status == 429 || status >= 500;
}

std::optional<milliseconds> retry_delay(int attempt, std::string_view retry_after,
                                        std::string_view retry_after_ms, milliseconds max_wait) {
  std::optional<milliseconds> asked;
  if (auto ms = parse_number(retry_after_ms)) asked = milliseconds(*ms);
  if (!asked) asked = parse_retry_after(retry_after);
  if (asked) {
    if (*asked > max_wait) return std::nullopt;
    return asked;
  }
  const double base = 500.0 * static_cast<double>(1 << std::min(attempt - 1, 4));
  return milliseconds(static_cast<long long>(std::min(base, 8000.0) * jitter_factor()));
}

std::optional<std::size_t> Provider::pick_key(bool can_fall_back) const {
  if (auto key = keys_.next()) return key;
  if (keys_.out() == keys_.size())
    throw Failure(Failure::Kind::status, 401,
                  fmt::format("the provider {} refused every one of its {} keys (HTTP 401/403); "
                              "fix them and reload the configuration",
                              name_, keys_.size()));
  if (!can_fall_back) return std::nullopt;  // the last target: cooling is no reason not to try
  const auto ready = keys_.next_ready().value_or(KeyPool::Clock::now());
  const auto wait = std::chrono::ceil<std::chrono::seconds>(ready - KeyPool::Clock::now());
  throw Failure(Failure::Kind::status, 429,
                fmt::format("every key of the provider {} is cooling down after HTTP 429", name_),
                std::to_string(std::max<long long>(wait.count(), 1)));
}

void Provider::note_refused_key(std::size_t key, int status) const {
  if (keys_.take_out(key))
    spdlog::warn(
        "provider {}: key {} of {} refused (HTTP {}); it is not used again until the "
        "configuration is reloaded",
        name_, key + 1, keys_.size(), status);
}

void Provider::count_attempt(std::string_view outcome) const {
  if (metrics_) metrics_->upstream_attempts.with({name_, outcome}).inc();
}

void Provider::count_retry(std::string_view reason) const {
  if (metrics_) metrics_->upstream_retries.with({name_, reason}).inc();
}

asio::awaitable<http::Response> Provider::chat(std::string body, std::string_view model,
                                               bool can_fall_back,
                                               std::string_view request_id) const {
  const http::SharedBody shared(std::move(body));
  const std::string url = chat_completions_url(settings_, model);
  const bool pool = settings_.api_keys.size() > 1;
  for (int attempt = 0;;) {
    // A key rotation after 429/401/403 is not a retry: each key is tried at most once that way.
    const auto picked = pick_key(can_fall_back);
    const std::size_t key = picked ? *picked : keys_.next_any();
    const std::string_view key_text =
        settings_.api_keys.empty() ? std::string_view() : settings_.api_keys[key];
    const bool last = can_fall_back || attempt >= settings_.max_retries;
    std::optional<milliseconds> delay;
    std::string_view outcome;
    try {
      const auto sent = std::chrono::steady_clock::now();
      http::Response response = co_await client_.send(
          {.url = url, .headers = request_headers(settings_, key_text, request_id), .body = shared},
          settings_.timeouts);
      const int status = response.status();
      outcome = metrics::status_outcome(status);
      count_attempt(outcome);
      if (metrics_)
        metrics_->upstream_time_to_first_byte.with({"proxy", name_})
            .observe(std::chrono::steady_clock::now() - sent);
      if (status >= 200 && status < 300) co_return response;

      std::string error_body = co_await read_error_body(response);
      std::string retry_after(response.header("retry-after"));
      if (status == 429) {
        const bool asked = !retry_after.empty() || !response.header("retry-after-ms").empty();
        const auto wait =
            retry_delay(1, retry_after, response.header("retry-after-ms"), kLongestCooldown);
        keys_.cool(key, asked ? wait.value_or(kLongestCooldown) : kDefaultCooldown);
      }
      if (pool && (status == 401 || status == 403)) note_refused_key(key, status);
      if (pool && (status == 429 || status == 401 || status == 403) && keys_.usable() > 0) continue;
      if (!last && retryable_status(status))
        delay = retry_delay(attempt + 1, retry_after, response.header("retry-after-ms"),
                            settings_.max_retry_wait);
      if (!delay) {
        std::string message = openai::error_message_from_body(error_body);
        if (message.empty()) message = fmt::format("upstream answered HTTP {}", status);
        Failure failure(Failure::Kind::status, status, message, std::move(retry_after));
        if ((status == 400 || status == 413 || status == 422) &&
            openai::says_context_too_long(error_body))
          failure.mark_context_too_long();
        throw failure;
      }
    } catch (const http::ClientError& error) {
      Failure failure = failure_from(error);
      outcome = metric_reason(failure);
      count_attempt(outcome);
      if (last || !retryable(error)) throw failure;
      delay = retry_delay(attempt + 1, {}, {}, settings_.max_retry_wait);
    }
    count_retry(outcome);
    ++attempt;
    co_await sleep_for(*delay);
  }
}

}  // namespace ccgate::upstream
