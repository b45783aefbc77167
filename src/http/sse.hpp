#pragma once
// Server-Sent Events: an incremental reader that accepts bytes split anywhere, and the writers.

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ccgate::http {

struct SseEvent {
  std::string event;  // empty when the event had no "event:" field
  std::string data;   // "data:" lines joined with '\n'
};

// A line, or one event's joined data, longer than the reader's max_line_size.
class SseTooLong : public std::length_error {
 public:
  using std::length_error::length_error;
};

// Feed bytes as they arrive; take complete events with next(). Lines end with "\n" or "\r\n".
// Every byte is scanned for a line end once, however the input is split. A line (or an event's
// data) longer than max_line_size makes next() and finish() throw SseTooLong: the reader holds
// at most about max_line_size bytes plus the last piece fed.
class SseReader {
 public:
  static constexpr std::size_t kDefaultMaxLineSize = 16 * 1024 * 1024;

  explicit SseReader(std::size_t max_line_size = kDefaultMaxLineSize)
      : max_line_size_(max_line_size) {}

  void feed(std::string_view bytes);
  std::optional<SseEvent> next();
  // At end of input: the last event if the stream ended without its blank line.
  std::optional<SseEvent> finish();
  std::size_t buffered() const { return buffer_.size() - consumed_; }

 private:
  bool take_line(std::string_view& line);
  bool apply_line(std::string_view line);  // true when the line dispatches an event
  std::optional<SseEvent> dispatch();

  std::size_t max_line_size_;
  std::string buffer_;
  std::size_t consumed_ = 0;  // buffer_ before this offset is already read
  std::size_t scanned_ = 0;   // buffer_[consumed_, scanned_) holds no line end
  std::string event_;
  std::string data_;
  bool has_data_ = false;
};

void append_sse_event(std::string& out, std::string_view event, std::string_view data);
void append_sse_data(std::string& out, std::string_view data);
void append_sse_comment(std::string& out, std::string_view text);

}  // namespace ccgate::http
