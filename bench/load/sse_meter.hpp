#pragma once
// Splits a streamed response body into server-sent events and measures the stream: content
// deltas (OpenAI chat chunks with text, Anthropic text_delta events), their timing, order and
// coalescing, keep-alives and the terminator. Events are recognised by byte search; no JSON is
// parsed.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/histogram.hpp"

namespace ccgate::bench {

struct StreamRecord {
  std::uint64_t content_events = 0;
  std::uint64_t first_content_ns = 0;  // valid when content_events > 0
  std::uint64_t last_content_ns = 0;
  std::uint64_t order_violations = 0;
  std::uint64_t keepalives = 0;  // ": comment" lines and "event: ping" events
  bool terminator_seen = false;  // "data: [DONE]" or "event: message_stop"
  // Coalescing: reads that completed at least one content delta, the deltas they completed,
  // and how many of them completed more than one.
  std::uint64_t reads_with_content = 0;
  std::uint64_t content_in_those_reads = 0;
  std::uint64_t reads_with_several = 0;
};

class SseMeter {
 public:
  // Begins a new stream.
  void start();

  // Takes the next piece of decoded body. Events it completes are stamped with read_ns, the
  // time the read that delivered them returned; gaps between content deltas go into gaps.
  void feed(std::string_view body, std::uint64_t read_ns, Histogram& gaps);

  // Marks the end of one read's bytes, for the coalescing count.
  void end_read();

  const StreamRecord& stream() const { return stream_; }

 private:
  std::size_t split_events(std::string_view text, std::uint64_t read_ns, Histogram& gaps);
  void on_event(std::string_view event, std::uint64_t read_ns, Histogram& gaps);
  void on_content(std::string_view text, std::uint64_t read_ns, Histogram& gaps);

  StreamRecord stream_{};
  std::string pending_{};  // the beginning of an event whose end has not arrived
  std::uint64_t content_in_read_ = 0;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace ccgate::bench
