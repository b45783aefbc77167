#include "proxy/stream_relay.hpp"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "anthropic/errors.hpp"
#include "http/sse.hpp"
#include "openai/errors.hpp"

namespace ccgate::proxy {
namespace asio = boost::asio;
namespace json = boost::json;
using namespace asio::experimental::awaitable_operators;

namespace {

using Pieces = asio::experimental::channel<void(boost::system::error_code, std::string)>;
using Clock = std::chrono::steady_clock;

struct UpstreamEnd {
  bool failed = false;
  std::string message;
};

// Reads the upstream body into the channel. Runs apart from the writer so that waiting for a
// ping deadline never cancels an upstream read (which would close the upstream connection).
asio::awaitable<void> pump(http::Response& upstream, Pieces& pieces, UpstreamEnd& end) {
  try {
    while (auto piece = co_await upstream.read_some())
      co_await pieces.async_send({}, std::string(*piece), asio::use_awaitable);
  } catch (const http::ClientError& error) {
    end = {true, error.what()};
  }
  co_await pieces.async_send(asio::error::eof, std::string(), asio::as_tuple(asio::use_awaitable));
  // Stay until the writer has drained the channel and ended the client's stream: its
  // completion cancels this wait (see relay_stream).
  asio::steady_timer until_cancelled(co_await asio::this_coro::executor,
                                     asio::steady_timer::time_point::max());
  co_await until_cancelled.async_wait(asio::as_tuple(asio::use_awaitable));
}

// An upstream "data:" line that is an error object rather than a chunk.
std::optional<std::pair<std::string, std::string>> in_stream_error(const json::object& chunk) {
  const json::value* error = chunk.if_contains("error");
  if (!error || error->is_null()) return std::nullopt;
  std::string message = openai::error_message_from_body(json::serialize(chunk));
  int status = 500;
  if (error->is_object()) {
    if (const auto* code = error->as_object().if_contains("code"); code && code->is_int64())
      status = static_cast<int>(code->as_int64());
  }
  return std::pair{std::string(anthropic::error_type_for_status(status)),
                   fmt::format("upstream provider failed mid-stream: {}", message)};
}

class Relay {
 public:
  Relay(http::Exchange& exchange, translate::StreamTranslator& translator,
        std::chrono::milliseconds ping_interval, http::RequestLog& log)
      : exchange_(exchange), translator_(translator), ping_interval_(ping_interval), log_(log) {}

  asio::awaitable<void> run(Pieces& pieces, const UpstreamEnd& end) {
    translator_.start(out_);
    co_await flush();
    asio::steady_timer ping_timer(co_await asio::this_coro::executor);
    while (!done_) {
      ping_timer.expires_at(last_write_ + ping_interval_);
      auto next = co_await (pieces.async_receive(asio::as_tuple(asio::use_awaitable)) ||
                            ping_timer.async_wait(asio::use_awaitable));
      if (next.index() == 1) {
        translator_.ping(out_);
        co_await flush();
        continue;
      }
      auto [ec, piece] = std::get<0>(std::move(next));
      if (ec) break;
      reader_.feed(piece);
      while (!done_ && (event_ = reader_.next())) on_event(*event_);
      co_await flush();
    }
    if (!done_) finish(end);
    co_await flush();
    co_await exchange_.end_stream();
  }

 private:
  void on_event(const http::SseEvent& event) {
    if (event.data == "[DONE]") {
      translator_.finish(out_);
      done_ = true;
      return;
    }
    boost::system::error_code ec;
    json::value chunk = json::parse(event.data, ec);
    if (ec || !chunk.is_object()) return;  // keep-alive noise some providers send
    if (auto error = in_stream_error(chunk.as_object())) {
      translator_.fail(error->first, error->second, out_);
      done_ = true;
      return;
    }
    translator_.on_chunk(chunk.as_object(), out_);
  }

  void finish(const UpstreamEnd& end) {
    if (end.failed) {
      translator_.fail("api_error",
                       fmt::format("upstream provider failed mid-stream: {}", end.message), out_);
      return;
    }
    if (auto last = reader_.finish()) on_event(*last);
    if (done_) return;
    // A body that ends with neither [DONE] nor a finish_reason was cut off: saying
    // message_stop would pass a truncated answer off as complete.
    if (translator_.saw_finish_reason())
      translator_.finish(out_);
    else
      translator_.fail("api_error",
                       "upstream provider ended the stream before it finished (no finish_reason)",
                       out_);
  }

  asio::awaitable<void> flush() {
    if (out_.empty()) co_return;
    log_.mark_first_byte();
    std::string bytes;
    bytes.swap(out_);
    co_await exchange_.write(bytes);
    last_write_ = Clock::now();
  }

  http::Exchange& exchange_;
  translate::StreamTranslator& translator_;
  std::chrono::milliseconds ping_interval_;
  http::RequestLog& log_;
  http::SseReader reader_;
  std::optional<http::SseEvent> event_;
  std::string out_;
  Clock::time_point last_write_ = Clock::now();
  bool done_ = false;
};

}  // namespace

asio::awaitable<void> relay_stream(http::Exchange& exchange, http::Response upstream,
                                   translate::StreamTranslator& translator,
                                   std::chrono::milliseconds ping_interval, http::RequestLog& log) {
  Pieces pieces(co_await asio::this_coro::executor, 16);
  UpstreamEnd end;
  Relay relay(exchange, translator, ping_interval, log);
  // The writer decides when the exchange is over; its completion cancels the pump, and an
  // upstream body that is not read to its end closes that upstream connection.
  co_await (relay.run(pieces, end) || pump(upstream, pieces, end));
}

}  // namespace ccgate::proxy
