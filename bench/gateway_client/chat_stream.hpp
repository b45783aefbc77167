#pragma once
// Reads a streamed chat completion (OpenAI SSE) as it arrives, with byte searches rather than a
// JSON parse per event: counts the content deltas, notes [DONE] and error events, and for each
// delta whose text starts with "ts=<ns>;" (the stub CLI's write time) how long the line took to
// reach this client.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ccgate::bench {

class ChatStreamScanner {
 public:
  // Body bytes that the read which returned at read_ns completed.
  void feed(std::string_view bytes, std::uint64_t read_ns);

  std::size_t content_deltas() const { return content_deltas_; }
  std::optional<std::uint64_t> first_content_ns() const { return first_content_ns_; }
  bool done_seen() const { return done_seen_; }
  bool error_seen() const { return error_seen_; }
  // now_ns() − ts for every stamped delta, in arrival order.
  const std::vector<std::uint64_t>& line_to_client_ns() const { return line_to_client_ns_; }

  void reset();

 private:
  void on_event(std::string_view event, std::uint64_t read_ns);

  std::string pending_;
  std::size_t content_deltas_ = 0;
  std::optional<std::uint64_t> first_content_ns_;
  bool done_seen_ = false;
  bool error_seen_ = false;
  std::vector<std::uint64_t> line_to_client_ns_;
};

// The number after "<key>=" in text, when the text has one.
std::optional<std::uint64_t> stamped_number(std::string_view text, std::string_view key);

}  // namespace ccgate::bench
