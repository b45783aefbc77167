#include "proxy/stream_relay.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/algorithm/string/predicate.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "anthropic/errors.hpp"
#include "http/sse.hpp"
#include "openai/errors.hpp"
#include "upstream/provider.hpp"

namespace ccgate::proxy {
namespace asio = boost::asio;
namespace json = boost::json;
using namespace asio::experimental::awaitable_operators;

namespace {

using Clock = std::chrono::steady_clock;

struct UpstreamEnd {
  bool failed = false;
  std::string message;
};

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

// The start of an untrusted text for an error message: printable ASCII only, at most 64 bytes.
std::string printable_start(std::string_view text) {
  constexpr std::size_t kShown = 64;
  std::size_t end = 0;
  while (end < text.size() && end < kShown && text[end] >= 0x20 && text[end] < 0x7f) ++end;
  std::string shown(text.substr(0, end));
  if (end < text.size()) shown.append("…");
  return shown;
}

bool is_keep_alive(std::string_view data) {
  return data.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

class Relay {
 public:
  Relay(const asio::any_io_executor& executor, http::Exchange& exchange,
        translate::StreamTranslator& translator, const RelayLimits& limits, http::RequestLog& log)
      : exchange_(exchange),
        translator_(translator),
        log_(log),
        limits_(limits),
        reader_(limits.max_line_size),
        write_done_(executor) {}

  // Whether the answer ended as the provider meant it to ([DONE] or a finish_reason). An
  // upstream connection whose stream was abandoned on an error is not trusted with another
  // request, even when its bytes happen to end where HTTP says they do.
  bool finished_cleanly() const { return finished_cleanly_; }

  // What ended the relay other than the upstream: the client (a write failed). Rethrown by
  // relay_stream once the pinger has stopped too.
  std::exception_ptr failure() const { return failure_; }

  // The writer reads the upstream itself: each piece is translated and written before the next
  // read, with no hand-over between coroutines. It never throws, so that its end, however it
  // comes, ends the pinger.
  asio::awaitable<void> run(std::string first_bytes, http::Response& upstream) {
    try {
      co_await relay(std::move(first_bytes), upstream);
    } catch (...) {
      if (!failure_) failure_ = std::current_exception();
    }
  }

  // Pings the client whenever it has heard nothing for a ping interval. The ping is written
  // beside the upstream read, which it must not cancel (that would close the upstream
  // connection), and never while an event is being written. One timer for the whole stream:
  // arming a timer per piece costs more than translating the piece. A client that cannot take
  // the ping ends the relay: the upstream read is aborted.
  asio::awaitable<void> pinger(http::Response& upstream, std::chrono::milliseconds interval) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    Clock::time_point checked{};
    for (;;) {
      timer.expires_at(std::max(last_write_, checked) + interval);
      auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      const auto now = Clock::now();
      if (now - last_write_ < interval) continue;
      if (writing_) {  // a write stuck on a slow client: look again an interval later
        checked = now;
        continue;
      }
      std::string ping;
      translator_.ping(ping);
      try {
        co_await write(ping);
      } catch (...) {
        failure_ = std::current_exception();
        upstream.abort();
        co_return;
      }
    }
  }

 private:
  asio::awaitable<void> relay(std::string first_bytes, http::Response& upstream) {
    translator_.start(out_);
    feed(first_bytes);
    co_await flush();
    UpstreamEnd end;
    while (!done_) {
      std::optional<std::string_view> piece;
      try {
        piece = co_await upstream.read_some();
      } catch (const http::ClientError& error) {
        if (failure_) co_return;  // the pinger's write failed and aborted the read
        end = {true, error.what()};
        break;
      }
      if (!piece) break;
      feed(*piece);
      co_await flush();
    }
    if (!done_) finish(end);
    co_await flush();
    co_await after_ping();
    writing_ = true;  // the last write: the pinger stays quiet from here on
    co_await exchange_.end_stream();
  }

  void feed(std::string_view bytes) {
    if (done_) return;
    reader_.feed(bytes);
    try {
      while (!done_ && (event_ = reader_.next())) on_event(*event_);
    } catch (const http::SseTooLong& too_long) {
      fail(fmt::format("{} (MAX_LINE_SIZE)", too_long.what()));
    }
  }

  void end_cleanly() {
    translator_.finish(out_);
    done_ = true;
    finished_cleanly_ = true;
  }

  void fail(std::string_view what) {
    translator_.fail("api_error", fmt::format("upstream provider broke the stream: {}", what),
                     out_);
    done_ = true;
  }

  void on_event(const http::SseEvent& event) {
    if (event.data == "[DONE]") return end_cleanly();
    if (is_keep_alive(event.data)) return;
    // Each chunk is parsed in stack buffers (the parser's working stack and the value's
    // arena): no heap allocation for the common small chunk, and nothing kept between chunks,
    // so an idle stream holds no parser memory.
    unsigned char work[1024];
    unsigned char buffer[4096];
    json::monotonic_resource arena(buffer, sizeof buffer);
    json::parse_options options;
    options.max_depth = limits_.max_json_depth;
    json::parser parser({}, options, work, sizeof work);
    parser.reset(&arena);
    boost::system::error_code ec;
    parser.write(event.data, ec);
    if (ec == json::error::too_deep)
      return fail(fmt::format("a chunk nests deeper than MAX_JSON_DEPTH ({} levels)",
                              limits_.max_json_depth));
    if (ec)
      return fail(fmt::format("a data line is not JSON ({}): {}", ec.message(),
                              printable_start(event.data)));
    const json::value chunk = parser.release();
    if (!chunk.is_object())
      return fail(
          fmt::format("a data line is not a chunk object: {}", printable_start(event.data)));
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
    try {
      if (auto last = reader_.finish()) on_event(*last);
    } catch (const http::SseTooLong& too_long) {
      fail(fmt::format("{} (MAX_LINE_SIZE)", too_long.what()));
    }
    if (done_) return;
    // A body that ends with neither [DONE] nor a finish_reason was cut off: saying
    // message_stop would pass a truncated answer off as complete.
    if (translator_.saw_finish_reason())
      end_cleanly();
    else
      translator_.fail("api_error",
                       "upstream provider ended the stream before it finished (no finish_reason)",
                       out_);
  }

  asio::awaitable<void> flush() {
    if (out_.empty()) co_return;
    log_.mark_first_byte();
    co_await after_ping();
    co_await write(out_);
    out_.clear();
  }

  asio::awaitable<void> write(std::string_view bytes) {
    writing_ = true;
    try {
      co_await exchange_.write(bytes);
    } catch (...) {
      end_write();
      throw;
    }
    end_write();
    last_write_ = Clock::now();
  }

  void end_write() {
    writing_ = false;
    write_done_.cancel();
  }

  // Waits while the pinger's write is on the socket.
  asio::awaitable<void> after_ping() {
    while (writing_) {
      write_done_.expires_at(Clock::time_point::max());
      co_await write_done_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }

  http::Exchange& exchange_;
  translate::StreamTranslator& translator_;
  http::RequestLog& log_;
  const RelayLimits& limits_;
  http::SseReader reader_;
  std::optional<http::SseEvent> event_;
  std::string out_;
  Clock::time_point last_write_ = Clock::now();
  bool done_ = false;
  bool finished_cleanly_ = false;
  bool writing_ = false;
  asio::steady_timer write_done_;  // cancelled whenever a write ends
  std::exception_ptr failure_;
};

bool is_event_stream(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  return boost::algorithm::iequals(media, "text/event-stream");
}

std::string described(std::string_view content_type) {
  if (content_type.empty()) return "no content type";
  return "content type " + printable_start(content_type);
}

// An SSE line: a comment, or one of the four fields.
bool looks_like_sse(std::string_view line) {
  if (line.starts_with(':')) return true;
  const std::string_view field = line.substr(0, line.find(':'));
  return field == "data" || field == "event" || field == "id" || field == "retry";
}

struct FirstLine {
  std::string bytes;          // all read, from the first byte that is not a line end
  std::size_t line_size = 0;  // the first line's, once whole (or the whole body's, if it ended)
  bool ended = false;         // the body ended
  bool too_long = false;      // the first line passed max_line_size before it ended

  std::string_view line() const {
    std::string_view line = std::string_view(bytes).substr(0, line_size);
    if (line.ends_with('\r')) line.remove_suffix(1);
    return line;
  }
};

// Reads until the body's first non-blank line is whole. Each byte is searched once; blank lines
// before it count towards max_line_size too.
asio::awaitable<FirstLine> read_first_line(http::Response& upstream, std::size_t max_line_size) {
  FirstLine first;
  std::size_t scanned = 0;
  std::size_t blank = 0;
  for (;;) {
    if (const auto end = first.bytes.find('\n', scanned); end != std::string::npos) {
      first.line_size = end;
      co_return first;
    }
    scanned = first.bytes.size();
    if (blank + scanned > max_line_size + 1) {
      first.too_long = true;
      co_return first;
    }
    const auto piece = co_await upstream.read_some();
    if (!piece) {
      first.ended = true;
      first.line_size = first.bytes.size();
      co_return first;
    }
    std::string_view more = *piece;
    if (first.bytes.empty()) {
      const auto skipped = std::min(more.find_first_not_of("\r\n"), more.size());
      blank += skipped;
      more.remove_prefix(skipped);
    }
    first.bytes.append(more);
  }
}

// What a body that is not an event stream holds, for the error message.
std::string what_it_is(std::string_view body) {
  if (body.empty()) return "an empty body";
  boost::system::error_code ec;
  const json::value parsed = json::parse(body, ec);
  if (!ec && parsed.is_object() && parsed.as_object().contains("choices"))
    return "a whole chat completion (the provider ignored stream: true)";
  std::string message = openai::error_message_from_body(body);
  const auto first = body.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && body[first] == '<')  // a web page, not an API
    message.append(
        " (a captive portal, or an OPENAI_BASE_URL that is not an OpenAI-compatible API?)");
  return message;
}

}  // namespace

asio::awaitable<void> relay_stream(http::Exchange& exchange, http::Response upstream,
                                   std::string first_bytes, translate::StreamTranslator& translator,
                                   const RelayLimits& limits, http::RequestLog& log) {
  Relay relay(co_await asio::this_coro::executor, exchange, translator, limits, log);
  // The writer decides when the exchange is over; its completion cancels the pinger, and an
  // upstream body that is not read to its end closes that upstream connection.
  co_await (relay.run(std::move(first_bytes), upstream) ||
            relay.pinger(upstream, limits.ping_interval));
  if (!relay.finished_cleanly()) upstream.abort();
  if (relay.failure()) std::rethrow_exception(relay.failure());
}

asio::awaitable<std::string> expect_event_stream(http::Response& upstream,
                                                 std::size_t max_line_size) {
  const std::string_view content_type = upstream.header("content-type");
  if (is_event_stream(content_type)) co_return std::string();
  // Anything else is looked at: a provider that labels its stream wrongly still works.
  FirstLine first;
  try {
    first = co_await read_first_line(upstream, max_line_size);
  } catch (const http::ClientError& error) {
    throw upstream::failure_from(error);
  }
  if (first.too_long)
    throw upstream::Failure(
        upstream::Failure::Kind::protocol, upstream.status(),
        fmt::format("the answer to a streaming request ({}) has a first line longer than "
                    "MAX_LINE_SIZE ({} bytes)",
                    described(content_type), max_line_size));
  if (looks_like_sse(first.line())) co_return std::move(first.bytes);
  if (!first.ended) first.bytes.append(co_await upstream::read_error_body(upstream));
  throw upstream::Failure(upstream::Failure::Kind::protocol, upstream.status(),
                          fmt::format("the answer to a streaming request is not an event stream "
                                      "({}): {}",
                                      described(content_type), what_it_is(first.bytes)));
}

}  // namespace ccgate::proxy
