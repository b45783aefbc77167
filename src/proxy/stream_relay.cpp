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

using Clock = std::chrono::steady_clock;

// What the writer receives: a piece of the upstream body, or a reminder that the client has
// heard nothing for a ping interval.
struct Piece {
  std::string bytes;
  bool ping = false;
};
using Pieces = asio::experimental::channel<void(boost::system::error_code, Piece)>;

struct UpstreamEnd {
  bool failed = false;
  std::string message;
};

// Waits until cancelled (the writer finishing cancels it).
asio::awaitable<void> until_cancelled() {
  asio::steady_timer timer(co_await asio::this_coro::executor,
                           asio::steady_timer::time_point::max());
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

// Reads the upstream body into the channel. Runs apart from the writer so that waiting for a
// ping deadline never cancels an upstream read (which would close the upstream connection).
asio::awaitable<void> pump(http::Response& upstream, Pieces& pieces, UpstreamEnd& end) {
  try {
    while (auto piece = co_await upstream.read_some()) {
      Piece next{std::string(*piece)};
      co_await pieces.async_send({}, std::move(next), asio::use_awaitable);
    }
  } catch (const http::ClientError& error) {
    end = {true, error.what()};
  }
  Piece last{};
  co_await pieces.async_send(asio::error::eof, std::move(last),
                             asio::as_tuple(asio::use_awaitable));
  // Stay until the writer has drained the channel and ended the client's stream.
  co_await until_cancelled();
}

// Asks the writer for a ping whenever the client has heard nothing for a ping interval. One
// timer for the whole stream, beside the pump: arming a timer per piece, and cancelling it
// when the piece comes first, costs more than translating the piece.
asio::awaitable<void> pinger(Pieces& pieces, const Clock::time_point& last_write,
                             std::chrono::milliseconds interval) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  Clock::time_point pinged{};
  for (;;) {
    const auto quiet_since = std::max(last_write, pinged);
    timer.expires_at(quiet_since + interval);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    if (Clock::now() - std::max(last_write, pinged) < interval) continue;
    pinged = Clock::now();
    Piece ping{.bytes = {}, .ping = true};
    auto [send_ec] =
        co_await pieces.async_send({}, std::move(ping), asio::as_tuple(asio::use_awaitable));
    if (send_ec) co_return;
  }
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
  Relay(http::Exchange& exchange, translate::StreamTranslator& translator, http::RequestLog& log)
      : exchange_(exchange), translator_(translator), log_(log) {}

  const Clock::time_point& last_write() const { return last_write_; }

  asio::awaitable<void> run(Pieces& pieces, const UpstreamEnd& end) {
    translator_.start(out_);
    co_await flush();
    while (!done_) {
      auto [ec, piece] = co_await pieces.async_receive(asio::as_tuple(asio::use_awaitable));
      if (ec) break;
      if (piece.ping)
        translator_.ping(out_);
      else
        feed(piece.bytes);
      co_await flush();
    }
    if (!done_) finish(end);
    co_await flush();
    co_await exchange_.end_stream();
  }

 private:
  void feed(std::string_view bytes) {
    reader_.feed(bytes);
    while (!done_ && (event_ = reader_.next())) on_event(*event_);
  }

  void on_event(const http::SseEvent& event) {
    if (event.data == "[DONE]") {
      translator_.finish(out_);
      done_ = true;
      return;
    }
    // Each chunk is parsed in stack buffers (the parser's working stack and the value's
    // arena): no heap allocation for the common small chunk, and nothing kept between chunks,
    // so an idle stream holds no parser memory.
    unsigned char work[1024];
    unsigned char buffer[4096];
    json::monotonic_resource arena(buffer, sizeof buffer);
    json::parser parser({}, {}, work, sizeof work);
    parser.reset(&arena);
    boost::system::error_code ec;
    parser.write(event.data, ec);
    if (ec) return;  // keep-alive noise some providers send (a json::parser wants a whole text)
    const json::value chunk = parser.release();
    if (!chunk.is_object()) return;
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
  Relay relay(exchange, translator, log);
  // The writer decides when the exchange is over; its completion cancels the pump and the
  // pinger, and an upstream body that is not read to its end closes that upstream connection.
  co_await (relay.run(pieces, end) || pump(upstream, pieces, end) ||
            pinger(pieces, relay.last_write(), ping_interval));
}

}  // namespace ccgate::proxy
