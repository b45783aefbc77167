#include "gateway_client/gateway_bench.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <cerrno>
#include <cstdio>
#include <random>

#include "common/clock.hpp"

namespace ccgate::bench {
namespace asio = boost::asio;
namespace json = boost::json;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {

tcp::endpoint resolve(asio::io_context& io, const Options& options) {
  tcp::resolver resolver(io);
  return *resolver.resolve(options.host, options.port).begin();
}

void print_line(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

// Blocks until stdin has a line or ends: the orchestrator's signal to finish.
void wait_for_stdin() {
  char byte = 0;
  for (;;) {
    const ssize_t got = ::read(STDIN_FILENO, &byte, 1);
    if (got == 0 || (got < 0 && errno != EINTR) || byte == '\n') return;
  }
}

// The one tool call of a non-streamed answer that must end with finish_reason "tool_calls".
std::optional<ToolCall> single_tool_call(std::string_view body) {
  boost::system::error_code ec;
  const json::value answer = json::parse(body, ec);
  if (ec) return std::nullopt;
  const auto* choices = answer.as_object().if_contains("choices");
  if (choices == nullptr || !choices->is_array() || choices->get_array().empty())
    return std::nullopt;
  const auto& choice = choices->get_array().front().as_object();
  const auto* finish = choice.if_contains("finish_reason");
  if (finish == nullptr || !finish->is_string() || finish->get_string() != "tool_calls")
    return std::nullopt;
  const auto* calls = choice.at("message").as_object().if_contains("tool_calls");
  if (calls == nullptr || !calls->is_array() || calls->get_array().size() != 1) return std::nullopt;
  const auto& call = calls->get_array().front().as_object();
  const auto& function = call.at("function").as_object();
  return ToolCall{std::string(call.at("id").as_string()),
                  std::string(function.at("name").as_string()),
                  std::string(function.at("arguments").as_string())};
}

std::string random_salt() {
  std::random_device device;
  return fmt::format("{:08x}", device());
}

std::string status_error(int status) {
  return fmt::format("status_{}", status);
}

}  // namespace

GatewayBench::GatewayBench(Options options)
    : options_(std::move(options)),
      requests_(options_),
      timeout_(std::chrono::nanoseconds(static_cast<std::int64_t>(options_.timeout_s * 1e9))),
      salt_(random_salt()) {
  const tcp::endpoint endpoint = resolve(io_, options_);
  for (std::size_t i = 0; i < options_.sessions; ++i)
    conversations_.push_back(std::make_unique<Conversation>(io_.get_executor(), endpoint, i));
}

int GatewayBench::run() {
  if (options_.mode == Mode::idle) {
    auto metrics = std::make_unique<Metrics>();
    const auto start = now_ns();
    run_phase(1, *metrics);
    const double elapsed_s = static_cast<double>(now_ns() - start) / 1e9;
    // Only the sessions stay: ccgate then holds idle conversations, not idle connections.
    for (auto& conversation : conversations_) conversation->connection.close();
    print_line(
        fmt::format(R"({{"idle_sessions":{},"failed":{}}})", metrics->ok, metrics->failed()));
    wait_for_stdin();
    print_line(report_json(options_, *metrics, elapsed_s));
    return 0;
  }
  if (options_.warmup > 0) {
    auto warmup = std::make_unique<Metrics>();
    run_phase(options_.warmup, *warmup);
  }
  auto metrics = std::make_unique<Metrics>();
  const auto start = now_ns();
  run_phase(options_.turns, *metrics);
  const double elapsed_s = static_cast<double>(now_ns() - start) / 1e9;
  print_line(report_json(options_, *metrics, elapsed_s));
  return 0;
}

void GatewayBench::run_phase(std::size_t iterations, Metrics& metrics) {
  for (auto& conversation : conversations_) {
    auto task = converse(*conversation, iterations, metrics);
    asio::co_spawn(io_, std::move(task), asio::detached);
  }
  io_.restart();
  io_.run();
}

asio::awaitable<void> GatewayBench::converse(Conversation& conversation, std::size_t iterations,
                                             Metrics& metrics) {
  for (std::size_t i = 0; i < iterations; ++i) co_await iterate(conversation, metrics);
}

asio::awaitable<void> GatewayBench::iterate(Conversation& conversation, Metrics& metrics) {
  std::optional<std::string> failure;
  try {
    switch (options_.mode) {
      case Mode::turn:
        co_await turn_iteration(conversation, metrics);
        break;
      case Mode::tool:
        co_await tool_iteration(conversation, metrics);
        break;
      case Mode::idle:
        co_await plain_iteration(conversation, metrics);
        break;
    }
  } catch (const HttpError& failed) {
    failure = failed.kind();
  } catch (const std::exception&) {
    failure = "protocol";
  }
  if (failure) {
    metrics.error(*failure);
    conversation.connection.close();  // its state is unknown: the next iteration reconnects
  }
}

asio::awaitable<void> GatewayBench::turn_iteration(Conversation& conversation, Metrics& metrics) {
  const std::string request = requests_.streamed_turn(next_nonce(conversation));
  auto exchange = streamed(conversation, request);
  const Exchange turn = co_await bounded(std::move(exchange));
  const auto& stream = conversation.scanner;
  if (turn.status >= 400) {
    metrics.error(status_error(turn.status));
  } else if (stream.error_seen()) {
    metrics.error("stream_error");
  } else if (stream.content_deltas() != options_.lines) {
    ++metrics.lost;
  } else if (!stream.done_seen()) {
    metrics.error("no_done");
  } else {
    ++metrics.ok;
    if (const auto first = stream.first_content_ns()) metrics.ttft.record(*first - turn.sent_ns);
    metrics.turn.record(turn.end_ns - turn.sent_ns);
    for (const auto ns : stream.line_to_client_ns()) metrics.line_to_client.record(ns);
  }
}

asio::awaitable<void> GatewayBench::tool_iteration(Conversation& conversation, Metrics& metrics) {
  const std::string nonce = next_nonce(conversation);
  const std::string call_request = requests_.tool_call(nonce);
  auto call_exchange = whole(conversation, call_request);
  const Exchange call = co_await bounded(std::move(call_exchange));
  if (call.status >= 400) co_return metrics.error(status_error(call.status));
  const auto tool_call = single_tool_call(call.body);
  if (!tool_call) co_return metrics.error("no_tool_call");

  const std::string result_request = requests_.tool_result(nonce, *tool_call);
  auto result_exchange = whole(conversation, result_request);
  const Exchange result = co_await bounded(std::move(result_exchange));
  if (result.status >= 400) co_return metrics.error(status_error(result.status));
  const auto mcp_result_ns = stamped_number(result.body, "mcp_result_ns");
  if (!mcp_result_ns) co_return metrics.error("no_mcp_result");

  ++metrics.ok;
  // t0 is the write of request 2 (sent_ns); the stub took t when ccgate's MCP answer reached it.
  metrics.mcp_round_trip.record(*mcp_result_ns > result.sent_ns ? *mcp_result_ns - result.sent_ns
                                                                : 0);
  metrics.tool_call.record(call.end_ns - call.sent_ns);
  metrics.tool_result.record(result.end_ns - result.sent_ns);
}

asio::awaitable<void> GatewayBench::plain_iteration(Conversation& conversation, Metrics& metrics) {
  const std::string request = requests_.plain_turn(next_nonce(conversation));
  auto exchange = whole(conversation, request);
  const Exchange turn = co_await bounded(std::move(exchange));
  if (turn.status >= 400) co_return metrics.error(status_error(turn.status));
  ++metrics.ok;
  metrics.turn.record(turn.end_ns - turn.sent_ns);
}

asio::awaitable<GatewayBench::Exchange> GatewayBench::streamed(Conversation& conversation,
                                                               const std::string& request) {
  Exchange exchange;
  exchange.status = co_await conversation.connection.send(request);
  exchange.sent_ns = conversation.connection.sent_ns();
  conversation.scanner.reset();
  for (;;) {
    const auto piece = co_await conversation.connection.read_body();
    if (!piece) break;
    conversation.scanner.feed(piece->bytes, piece->read_ns);
  }
  exchange.end_ns = conversation.connection.last_read_ns();
  co_return exchange;
}

asio::awaitable<GatewayBench::Exchange> GatewayBench::whole(Conversation& conversation,
                                                            const std::string& request) {
  Exchange exchange;
  exchange.status = co_await conversation.connection.send(request);
  exchange.sent_ns = conversation.connection.sent_ns();
  exchange.body = co_await conversation.connection.read_all();
  exchange.end_ns = conversation.connection.last_read_ns();
  co_return exchange;
}

asio::awaitable<GatewayBench::Exchange> GatewayBench::bounded(asio::awaitable<Exchange> exchange) {
  const auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor, timeout_);
  auto expiry = timer.async_wait(asio::as_tuple(asio::use_awaitable));
  auto outcome = co_await (std::move(exchange) || std::move(expiry));
  if (outcome.index() == 1) throw HttpError("timeout", "no complete answer in time");
  co_return std::get<0>(std::move(outcome));
}

std::string GatewayBench::next_nonce(Conversation& conversation) {
  return fmt::format("{}-{}-{}", salt_, conversation.index, conversation.iterations++);
}

}  // namespace ccgate::bench
