#pragma once
// One client connection on a raw socket: writes the plan's pre-rendered request in one write and
// reads the response, stamping every read with the time it returned. It reconnects when the
// server has closed it, and is closed from outside (expire_if_due) when a request overruns its
// deadline.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <optional>

#include "load/http_response_parser.hpp"
#include "load/plan.hpp"
#include "load/sse_meter.hpp"
#include "load/stats.hpp"

namespace ccgate::bench {

namespace asio = boost::asio;

class Connection {
 public:
  Connection(asio::any_io_executor executor, const Plan& plan);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // One request and its whole response, recorded into stats. Latency runs from
  // latency_origin_ns (open loop: the intended send time) or, without it, from the write.
  asio::awaitable<void> exchange(Stats& stats, std::optional<std::uint64_t> latency_origin_ns);

  // Hold mode: sends the request and returns true once the first content delta has arrived, or
  // false when the stream failed (recorded). Latency is the time to that first delta.
  asio::awaitable<bool> open_stream(Stats& stats);

  // Hold mode: reads and discards until release() (true) or until the server ends the stream.
  asio::awaitable<bool> hold();
  void release();

  // Closes the socket if the request in progress has overrun its deadline.
  void expire_if_due(std::uint64_t now_ns);

  std::uint64_t connections_opened() const { return connections_opened_; }

 private:
  enum class StopAt { end_of_response, first_content };
  enum class Progress { need_more, done, failed };
  struct Outcome {
    std::optional<Failure> failure{};
    bool nothing_received = false;  // the failure came before any byte of the response
    int status = 0;
    ExchangeTimes times{};
    std::uint64_t end_ns = 0;  // the read that completed what was waited for returned
  };

  asio::awaitable<Outcome> transact(StopAt stop_at, Histogram& gaps);
  asio::awaitable<Outcome> send_and_receive(StopAt stop_at, Histogram& gaps);
  asio::awaitable<bool> connect();
  Progress parse_buffered(std::uint64_t read_ns, StopAt stop_at, Histogram& gaps, Outcome& outcome);
  bool make_room();
  // What a socket error means: the watchdog's close, or the peer's.
  Failure broken_failure() const;
  void close_socket();

  const Plan& plan_;
  asio::ip::tcp::socket socket_;
  std::unique_ptr<char[]> buffer_;
  std::size_t begin_ = 0;  // the bytes read but not parsed yet are buffer_[begin_, end_)
  std::size_t end_ = 0;
  HttpResponseParser parser_{};
  SseMeter meter_{};
  bool metering_ = false;
  std::uint64_t requests_on_socket_ = 0;
  std::uint64_t connections_opened_ = 0;
  std::uint64_t deadline_ns_ = 0;  // 0: no request in progress
  bool timed_out_ = false;
  bool released_ = false;
};

}  // namespace ccgate::bench
