#pragma once
// Server-Sent Events: an incremental reader that accepts bytes split anywhere, and the writers.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ccgate::http {

struct SseEvent {
  std::string event;  // empty when the event had no "event:" field
  std::string data;   // "data:" lines joined with '\n'
};

// Feed bytes as they arrive; take complete events with next(). Lines end with "\n" or "\r\n".
class SseReader {
 public:
  void feed(std::string_view bytes);
  std::optional<SseEvent> next();
  // At end of input: the last event if the stream ended without its blank line.
  std::optional<SseEvent> finish();
  std::size_t buffered() const { return buffer_.size() - consumed_; }

 private:
  bool take_line(std::string_view& line);
  bool apply_line(std::string_view line);  // true when the line dispatches an event
  std::optional<SseEvent> dispatch();

  std::string buffer_;
  std::size_t consumed_ = 0;
  std::string event_;
  std::string data_;
  bool has_data_ = false;
};

void append_sse_event(std::string& out, std::string_view event, std::string_view data);
void append_sse_data(std::string& out, std::string_view data);
void append_sse_comment(std::string& out, std::string_view text);

}  // namespace ccgate::http
