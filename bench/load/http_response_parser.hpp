#pragma once
// An incremental HTTP/1.1 response parser for a client that times every read: it is fed the
// bytes of each read as they come and hands back, one step at a time, the end of the head,
// pieces of the decoded body (Content-Length, chunked, or until close) and the end of the
// message. It copies nothing: body pieces point into the caller's buffer.

#include <cstdint>
#include <optional>
#include <string_view>

namespace ccgate::bench {

class HttpResponseParser {
 public:
  enum class Event {
    need_more,  // every complete unit of the input was consumed; read more
    head,       // the response head is complete: status() and keep_alive() are valid
    body,       // step.body holds the next piece of decoded body
    complete,   // the message ended
    error,      // the response cannot be parsed
  };
  struct Step {
    Event event = Event::need_more;
    std::string_view body{};
  };

  // Expects a new response.
  void start();

  // Consumes a prefix of input (advancing it) and reports what it completed. Bytes of an
  // incomplete line are left in input: present them again, with more after them, next time.
  Step next(std::string_view& input);

  // The connection reached end of file: the message is complete when its body runs until
  // close; otherwise the response was cut short.
  Event finish_at_eof();

  int status() const { return status_; }
  bool keep_alive() const { return keep_alive_; }
  // The longest head accepted: a caller's buffer must hold at least this much.
  static constexpr std::size_t kMaxHeadBytes = 16 * 1024;

 private:
  enum class State {
    head,
    sized_body,
    chunk_size,
    chunk_data,
    chunk_data_end,
    trailers,
    body_until_close,
    done,
    failed,
  };

  // These return a step to report, or nothing when they moved on to a state that may already
  // have input to work on.
  Step parse_head(std::string_view& input);
  std::optional<Step> parse_chunk_size(std::string_view& input);
  std::optional<Step> parse_chunk_data_end(std::string_view& input);
  Step parse_trailers(std::string_view& input);
  Step take_body(std::string_view& input);
  Step fail();
  Step complete();

  State state_ = State::head;
  int status_ = 0;
  bool keep_alive_ = true;
  std::uint64_t remaining_ = 0;  // bytes left of the sized body or the current chunk
};

}  // namespace ccgate::bench
