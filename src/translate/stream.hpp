#pragma once
// OpenAI Chat Completions stream → Anthropic Messages stream, as a state machine over parsed
// chunks. Pure. Blocks are strictly sequential (start, deltas, stop, next block), exactly as
// Anthropic sends them; text, thinking and tool-argument fragments are forwarded as they come.

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "translate/response.hpp"

namespace ccgate::translate {

class StreamTranslator {
 public:
  explicit StreamTranslator(ResponseContext context);

  // message_start (usage unknown yet: zeros). Call once, before any chunk.
  void start(std::string& out);
  // One parsed upstream chunk (the JSON of one "data:" line).
  void on_chunk(const boost::json::object& chunk, std::string& out);
  // Upstream finished normally ([DONE] or end of body): close the open block, message_delta
  // with stop_reason and usage, message_stop.
  void finish(std::string& out);
  // Upstream failed after the response started: an Anthropic "error" event (the stream ends).
  void fail(std::string_view error_type, std::string_view message, std::string& out);
  void ping(std::string& out) const;

  bool finished() const { return finished_; }
  const Usage& usage() const { return usage_; }

 private:
  // (state of the machine: owned by stream.cpp)
};

}  // namespace ccgate::translate
