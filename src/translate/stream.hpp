#pragma once
// OpenAI Chat Completions stream → Anthropic Messages stream, as a state machine over parsed
// chunks. Pure. Blocks are strictly sequential (start, deltas, stop, next block), exactly as
// Anthropic sends them; text, thinking and tool-argument fragments are forwarded as they come.

#include <boost/json/object.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
  // The type of the error event fail() sent ("" when the stream did not fail).
  const std::string& error_type() const { return error_type_; }
  // The upstream said why it stopped (a finish_reason arrived).
  bool saw_finish_reason() const { return !finish_reason_.empty(); }
  const Usage& usage() const { return usage_; }

 private:
  enum class BlockKind { none, thinking, text, tool_use };

  struct ToolCall {
    std::optional<std::int64_t> index;  // the upstream's index, when it sends one
    std::string id;
    std::string name;
    std::string early_arguments;              // fragments that came before the name
    std::optional<std::int64_t> block_index;  // set once its tool_use block is open
  };

  void on_choice(const boost::json::object& choice, std::string& out);
  void on_reasoning(std::string_view text, std::string& out);
  void on_text(std::string_view text, std::string& out);
  void on_tool_call_fragment(const boost::json::object& fragment, std::string& out);
  std::size_t tool_call_for(const boost::json::object& fragment);
  void start_tool_block(std::size_t call, std::string& out);

  void open_block(BlockKind kind, std::string& out);
  void close_open_block(std::string& out);
  // delta_type, then the one field that carries the payload ("text", "partial_json", …).
  void append_block_delta(std::string_view delta_type, std::string_view field,
                          std::string_view value, std::string& out);

  ResponseContext context_;
  Usage usage_;
  std::string finish_reason_;
  std::optional<std::string> stop_sequence_;
  std::vector<ToolCall> tool_calls_;
  std::optional<std::size_t> latest_tool_call_;
  BlockKind open_kind_ = BlockKind::none;
  std::size_t open_tool_call_ = 0;  // meaningful while open_kind_ is tool_use
  std::int64_t open_index_ = 0;
  std::int64_t next_index_ = 0;
  bool any_tool_use_ = false;
  bool started_ = false;
  std::string error_type_;
  bool finished_ = false;
};

}  // namespace ccgate::translate
