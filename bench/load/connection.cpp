#include "load/connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstring>

#include "common/clock.hpp"

namespace ccgate::bench {

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Large enough for any head the parser accepts plus room to read after it.
constexpr std::size_t kBufferBytes = 2 * HttpResponseParser::kMaxHeadBytes;
// Below this much free space at the end of the buffer, unparsed bytes move to the front first.
constexpr std::size_t kMinReadSpace = 4 * 1024;

}  // namespace

Connection::Connection(asio::any_io_executor executor, const Plan& plan)
    : plan_(plan),
      socket_(std::move(executor)),
      buffer_(std::make_unique_for_overwrite<char[]>(kBufferBytes)) {}

asio::awaitable<void> Connection::exchange(Stats& stats,
                                           std::optional<std::uint64_t> latency_origin_ns) {
  const auto outcome = co_await transact(StopAt::end_of_response, stats.sse.gap_ns);
  if (outcome.failure) {
    stats.record_failure(*outcome.failure);
    co_return;
  }
  if (outcome.status >= 400) {
    stats.record_status(outcome.status);
    co_return;
  }
  ++stats.ok;
  stats.latency_ns.record(outcome.end_ns - latency_origin_ns.value_or(outcome.times.write_ns));
  if (plan_.options.sse)
    stats.record_stream(meter_.stream(), outcome.times, plan_.options.expect_events);
}

asio::awaitable<bool> Connection::open_stream(Stats& stats) {
  const auto outcome = co_await transact(StopAt::first_content, stats.sse.gap_ns);
  if (outcome.failure) {
    stats.record_failure(*outcome.failure);
    co_return false;
  }
  if (outcome.status >= 400) {
    stats.record_status(outcome.status);
    co_return false;
  }
  const auto& stream = meter_.stream();
  if (stream.content_events == 0) {  // the response ended without any content
    stats.record_failure(Failure::protocol);
    close_socket();
    co_return false;
  }
  stats.latency_ns.record(stream.first_content_ns - outcome.times.write_ns);
  if (plan_.options.sse) stats.record_held_stream(stream, outcome.times);
  co_return true;
}

asio::awaitable<bool> Connection::hold() {
  while (!released_) {
    const auto space = asio::buffer(buffer_.get(), kBufferBytes);
    const auto [error, size] = co_await socket_.async_read_some(space, use_tuple);
    if (error) break;
  }
  close_socket();
  co_return released_;
}

void Connection::release() {
  released_ = true;
  close_socket();
}

void Connection::expire_if_due(std::uint64_t now_ns) {
  if (deadline_ns_ == 0 || now_ns < deadline_ns_) return;
  deadline_ns_ = 0;
  timed_out_ = true;
  close_socket();
}

asio::awaitable<Connection::Outcome> Connection::transact(StopAt stop_at, Histogram& gaps) {
  timed_out_ = false;
  deadline_ns_ = now_ns() + plan_.timeout_ns;
  Outcome outcome;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = socket_.is_open() && requests_on_socket_ > 0;
    if (!socket_.is_open()) {
      // GCC 12 miscompiles some co_await inside conditions; results go through locals.
      const bool connected = co_await connect();
      if (!connected) {
        outcome.failure = timed_out_ ? Failure::timeout : Failure::connect;
        break;
      }
    }
    outcome = co_await send_and_receive(stop_at, gaps);
    // A kept-alive connection that the server closed while it was idle fails before any byte
    // of the answer; that is not a failed request, so it is sent again on a new connection.
    const bool stale = reused && outcome.failure == Failure::reset && outcome.nothing_received;
    if (!stale) break;
  }
  deadline_ns_ = 0;
  co_return outcome;
}

asio::awaitable<bool> Connection::connect() {
  boost::system::error_code error;
  socket_.open(plan_.endpoint.protocol(), error);
  if (!error) socket_.set_option(asio::ip::tcp::no_delay(true), error);
  if (error) {
    close_socket();
    co_return false;
  }
  const auto [connect_error] = co_await socket_.async_connect(plan_.endpoint, use_tuple);
  if (connect_error) {
    close_socket();
    co_return false;
  }
  ++connections_opened_;
  requests_on_socket_ = 0;
  begin_ = end_ = 0;
  co_return true;
}

asio::awaitable<Connection::Outcome> Connection::send_and_receive(StopAt stop_at, Histogram& gaps) {
  Outcome outcome;
  parser_.start();
  metering_ = plan_.options.sse || stop_at == StopAt::first_content;
  if (metering_) meter_.start();

  const auto request = asio::buffer(plan_.request);
  outcome.times.write_ns = now_ns();
  const auto [write_error, written] = co_await asio::async_write(socket_, request, use_tuple);
  if (write_error) {
    outcome.failure = broken_failure();
    outcome.nothing_received = true;
    close_socket();
    co_return outcome;
  }
  ++requests_on_socket_;

  bool received_any = false;
  std::uint64_t read_ns = outcome.times.write_ns;
  while (true) {
    const auto progress = parse_buffered(read_ns, stop_at, gaps, outcome);
    if (progress == Progress::done) co_return outcome;
    if (progress == Progress::failed || !make_room()) {
      outcome.failure = Failure::protocol;
      close_socket();
      co_return outcome;
    }
    const auto space = asio::buffer(buffer_.get() + end_, kBufferBytes - end_);
    const auto [read_error, size] = co_await socket_.async_read_some(space, use_tuple);
    read_ns = now_ns();
    if (read_error == asio::error::eof && !timed_out_ &&
        parser_.finish_at_eof() == HttpResponseParser::Event::complete) {
      outcome.end_ns = read_ns;
      close_socket();
      co_return outcome;
    }
    if (read_error) {
      outcome.failure = broken_failure();
      outcome.nothing_received = !received_any;
      close_socket();
      co_return outcome;
    }
    received_any = true;
    end_ += size;
  }
}

// Parses what the last read added; called once per read.
Connection::Progress Connection::parse_buffered(std::uint64_t read_ns, StopAt stop_at,
                                                Histogram& gaps, Outcome& outcome) {
  using Event = HttpResponseParser::Event;
  std::string_view input(buffer_.get() + begin_, end_ - begin_);
  auto progress = Progress::need_more;
  bool message_ended = false;
  while (progress == Progress::need_more) {
    const auto step = parser_.next(input);
    if (step.event == Event::need_more) break;
    if (step.event == Event::head) {
      outcome.status = parser_.status();
      outcome.times.headers_ns = read_ns;
    } else if (step.event == Event::body) {
      if (!metering_) continue;
      meter_.feed(step.body, read_ns, gaps);
      if (stop_at == StopAt::first_content && meter_.stream().content_events > 0 &&
          outcome.status < 400) {
        outcome.end_ns = read_ns;
        progress = Progress::done;
      }
    } else if (step.event == Event::complete) {
      outcome.end_ns = read_ns;
      progress = Progress::done;
      message_ended = true;
    } else {
      progress = Progress::failed;
    }
  }
  begin_ = end_ - input.size();
  if (metering_) meter_.end_read();
  if (message_ended && !parser_.keep_alive()) close_socket();
  return progress;
}

bool Connection::make_room() {
  if (begin_ == end_) {
    begin_ = end_ = 0;
    return true;
  }
  if (kBufferBytes - end_ >= kMinReadSpace) return true;
  if (begin_ == 0) return end_ < kBufferBytes;
  std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
  end_ -= begin_;
  begin_ = 0;
  return true;
}

Failure Connection::broken_failure() const {
  return timed_out_ ? Failure::timeout : Failure::reset;
}

void Connection::close_socket() {
  boost::system::error_code ignored;
  socket_.close(ignored);
  begin_ = end_ = 0;
}

}  // namespace ccgate::bench
