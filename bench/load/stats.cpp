#include "load/stats.hpp"

#include <numeric>

namespace ccgate::bench {

std::uint64_t ErrorCounts::total() const {
  auto sum = std::accumulate(failures.begin(), failures.end(), std::uint64_t{0});
  for (const auto& [status, count] : statuses) sum += count;
  return sum;
}

void Stats::record_held_stream(const StreamRecord& stream, const ExchangeTimes& times) {
  ++sse.streams;
  sse.ttfb_ns.record(times.headers_ns - times.write_ns);
  if (stream.content_events > 0) sse.ttft_ns.record(stream.first_content_ns - times.write_ns);
  sse.content_events += stream.content_events;
  sse.order_violations += stream.order_violations;
  sse.keepalives += stream.keepalives;
  sse.reads_with_content += stream.reads_with_content;
  sse.content_in_those_reads += stream.content_in_those_reads;
  sse.reads_with_several += stream.reads_with_several;
}

void Stats::record_stream(const StreamRecord& stream, const ExchangeTimes& times,
                          std::uint64_t expect_events) {
  record_held_stream(stream, times);
  if (stream.content_events < expect_events) ++sse.lost_streams;
  if (!stream.terminator_seen) ++sse.missing_terminator;
}

}  // namespace ccgate::bench
