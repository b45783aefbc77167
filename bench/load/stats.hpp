#pragma once
// What a run measured: latency of successful requests, errors by kind, and stream metrics.

#include <array>
#include <cstdint>
#include <map>

#include "common/histogram.hpp"
#include "load/sse_meter.hpp"

namespace ccgate::bench {

enum class Failure { connect, reset, protocol, timeout };
inline constexpr std::size_t kFailureKinds = 4;

struct ErrorCounts {
  std::array<std::uint64_t, kFailureKinds> failures{};
  std::map<int, std::uint64_t> statuses{};  // responses with status >= 400

  std::uint64_t total() const;
};

struct SseTotals {
  Histogram ttfb_ns{};
  Histogram ttft_ns{};
  Histogram gap_ns{};
  std::uint64_t streams = 0;
  std::uint64_t content_events = 0;
  std::uint64_t lost_streams = 0;
  std::uint64_t order_violations = 0;
  std::uint64_t missing_terminator = 0;
  std::uint64_t keepalives = 0;
  std::uint64_t reads_with_content = 0;
  std::uint64_t content_in_those_reads = 0;
  std::uint64_t reads_with_several = 0;
};

// Timestamps of one exchange, CLOCK_MONOTONIC ns.
struct ExchangeTimes {
  std::uint64_t write_ns = 0;    // just before the request was written
  std::uint64_t headers_ns = 0;  // the read that completed the response head returned
};

struct Stats {
  Histogram latency_ns{};
  std::uint64_t ok = 0;
  ErrorCounts errors{};
  SseTotals sse{};

  void record_failure(Failure failure) { ++errors.failures[static_cast<std::size_t>(failure)]; }
  void record_status(int status) { ++errors.statuses[status]; }
  // A stream that ran to its end.
  void record_stream(const StreamRecord& stream, const ExchangeTimes& times,
                     std::uint64_t expect_events);
  // A stream held open after its first content delta: only its start is known.
  void record_held_stream(const StreamRecord& stream, const ExchangeTimes& times);
};

}  // namespace ccgate::bench
