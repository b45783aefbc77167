#include "mock/routes.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <ctime>
#include <string>
#include <string_view>

#include "mock/abort.hpp"
#include "mock/anthropic_protocol.hpp"
#include "mock/directives.hpp"
#include "mock/openai_protocol.hpp"

namespace ccgate::bench {
namespace {

namespace asio = boost::asio;
using Verb = boost::beast::http::verb;
using Clock = asio::steady_timer::clock_type;
constexpr auto as_result = asio::as_tuple(asio::use_awaitable);

constexpr std::string_view kMockError = "mock error";
constexpr std::string_view kEventStream = "text/event-stream";
constexpr std::string_view kHtmlPage =
    "<!DOCTYPE html>\n<html><head><title>Sign in</title></head>"
    "<body><p>Please sign in to continue.</p></body></html>\n";

// An event (or body) cut in the middle of its JSON: what a provider that tears a line sends.
std::string torn(std::string_view text) {
  std::string cut(text.substr(0, text.size() / 2));
  cut += "\n\n";
  return cut;
}

struct OpenAi {
  static std::string error_body(std::string_view message) { return openai::error_body(message); }
  static std::string answer_body(const Answer& answer) { return openai::completion_body(answer); }
  using EventStream = openai::EventStream;
};

struct Anthropic {
  static std::string error_body(std::string_view message) { return anthropic::error_body(message); }
  static std::string answer_body(const Answer& answer) { return anthropic::message_body(answer); }
  using EventStream = anthropic::EventStream;
};

// Exchange does not tell the peer's port yet; until it does, peers are told apart by address.
template <class Exchange>
std::uint16_t remote_port_of(const Exchange& exchange) {
  if constexpr (requires { exchange.remote_port(); })
    return exchange.remote_port();
  else
    return 0;
}

// False when the wait was cancelled: the client left.
asio::awaitable<bool> wait_until(asio::steady_timer& timer, Clock::time_point deadline) {
  timer.expires_at(deadline);
  const auto [ec] = co_await timer.async_wait(as_result);
  co_return !ec;
}

}  // namespace

Routes::Routes(const http::Server& server, Stats& stats, std::size_t shard)
    : server_(&server),
      stats_(&stats),
      shard_(&stats.shard(shard)),
      next_id_(std::uint64_t{shard} << 40) {}

asio::awaitable<void> Routes::operator()(http::Exchange& exchange) {
  const std::string_view path = exchange.path();
  const Verb method = exchange.request().method();
  if (method == Verb::get && path == "/health") {
    co_await exchange.respond(http::Status::ok, R"({"status":"ok"})");
  } else if (method == Verb::get && path == "/stats") {
    std::string body = stats_->render(server_->open_connections());
    co_await exchange.respond(http::Status::ok, std::move(body));
  } else if (method == Verb::post && path == "/stats/reset") {
    stats_->reset();
    co_await exchange.respond(http::Status::ok, R"({"status":"ok"})");
  } else {
    count_request(exchange);
    if (method == Verb::post && path == "/v1/chat/completions") {
      co_await answer<OpenAi>(exchange);
    } else if (method == Verb::post && path == "/v1/messages") {
      co_await answer<Anthropic>(exchange);
    } else if (method == Verb::post && path == "/v1/messages/count_tokens") {
      std::string body = anthropic::count_tokens_body(exchange.request().body().size());
      co_await exchange.respond(http::Status::ok, std::move(body));
    } else {
      std::string body = openai::error_body("not found");
      co_await exchange.respond(http::Status::not_found, std::move(body));
    }
  }
}

void Routes::count_request(const http::Exchange& exchange) {
  shard_->count_request(exchange.remote_address(), remote_port_of(exchange));
}

template <class Protocol>
asio::awaitable<void> Routes::answer(http::Exchange& exchange) {
  const std::string& body = exchange.request().body();
  const auto read = read_directives(exchange.request());
  if (!read.error.empty()) {
    std::string error = Protocol::error_body(read.error);
    co_await exchange.respond(http::Status::bad_request, std::move(error));
    co_return;
  }
  const Directives& directives = read.directives;

  if (directives.delay.count() > 0) {
    const auto executor = co_await asio::this_coro::executor;
    asio::steady_timer timer(executor);
    const auto deadline = Clock::now() + directives.delay;
    if (!co_await wait_until(timer, deadline)) co_return;
  }
  if (directives.reset) {
    abort_connection(exchange);
    co_return;
  }
  if (directives.html) {
    co_await exchange.respond(http::Status::ok, std::string(kHtmlPage), "text/html; charset=utf-8");
    co_return;
  }
  if (directives.status != 200) {
    std::string error = Protocol::error_body(kMockError);
    co_await exchange.respond(static_cast<http::Status>(directives.status), std::move(error));
    co_return;
  }

  const bool streaming = body_requests_stream(body);
  const Answer answer{
      .id = next_id_++,
      .created = static_cast<std::int64_t>(std::time(nullptr)),
      .prompt_tokens = body.size() / 4,
      .completion_tokens = streaming ? directives.chunks : directives.response_bytes / 4,
      .text_bytes = streaming ? directives.chunk_bytes : directives.response_bytes,
      .include_usage = streaming && body_requests_usage(body),
  };
  if (streaming) {
    co_await stream<typename Protocol::EventStream>(exchange, directives, answer);
  } else {
    std::string answer_body = Protocol::answer_body(answer);
    if (directives.malformed_at) answer_body = torn(answer_body);
    co_await exchange.respond(http::Status::ok, std::move(answer_body));
  }
}

// Every event is its own write, so that each leaves as one HTTP chunk the moment it is due.
template <class EventStream>
asio::awaitable<void> Routes::stream(http::Exchange& exchange, const Directives& directives,
                                     const Answer& answer) {
  EventStream events(answer);
  const auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor);

  co_await exchange.begin_stream(http::Status::ok, kEventStream);
  const OpenStream open = shard_->open_stream();
  for (std::size_t i = 0; i < EventStream::opening_count(); ++i) {
    const std::string_view event = events.opening(i);
    co_await exchange.write(event);
  }

  // Deadlines are absolute (start + i × interval) so that the pace does not drift.
  const auto start = Clock::now();
  const bool paced = directives.interval.count() > 0;
  for (std::uint64_t i = 0; i < directives.chunks; ++i) {
    if (directives.reset_after == i) {
      abort_connection(exchange);
      co_return;
    }
    if (paced && i > 0) {
      const auto deadline = start + static_cast<std::int64_t>(i) * directives.interval;
      if (!co_await wait_until(timer, deadline)) co_return;
    }
    const std::string_view event = events.delta(i);
    if (directives.malformed_at == i)
      co_await exchange.write(torn(event));
    else
      co_await exchange.write(event);
    if (directives.hold) {
      // Idle until the client hangs up, which cancels this wait.
      const auto never = Clock::time_point::max();
      co_await wait_until(timer, never);
      co_return;
    }
  }

  for (std::size_t i = 0; i < events.closing_count(); ++i) {
    const std::string_view event = events.closing(i);
    co_await exchange.write(event);
  }
  co_await exchange.end_stream();
}

}  // namespace ccgate::bench
