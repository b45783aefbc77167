#pragma once
// The CLI's stdout in stream-json, line by line, in the shapes and order Claude Code 2.1.330
// prints with --verbose --include-partial-messages (see tests/unit/fixtures/cli). Each line
// goes out with one write(2) to fd 1, unbuffered.

#include <fmt/format.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ccgate::bench {

// stdout is gone (ccgate closed the pipe): nothing more can be said.
class OutputClosed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SessionFacts {
  std::string session_id;
  std::string model;
  std::string cwd;
  std::vector<std::string> tools;                                // as listed by the init line
  std::vector<std::pair<std::string, std::string>> mcp_servers;  // name, status
};

struct TurnTotals {
  std::string result_text;  // the last message's text
  std::size_t model_calls = 0;
  std::size_t input_tokens = 0;
  std::size_t output_tokens = 0;
  std::string permission_denials = "[]";  // JSON array
};

class Transcript {
 public:
  explicit Transcript(SessionFacts facts);

  void init();
  void message_start(std::string_view message_id, std::size_t input_tokens);
  void text_block_start();
  // A text delta whose text is "<key>=<value>;" padded with 'x' to min_bytes; appended to text.
  void text_delta(std::string_view key, std::uint64_t value, std::size_t min_bytes,
                  std::string& text);
  // The same with key "ts" and value now_ns(), read immediately before the write.
  void stamped_text_delta(std::size_t min_bytes, std::string& text);
  void tool_use_block_start(std::string_view tool_use_id, std::string_view name);
  void input_json_delta(std::string_view partial_json);
  void assistant_text(std::string_view message_id, std::size_t input_tokens, std::string_view text);
  void assistant_tool_use(std::string_view message_id, std::size_t input_tokens,
                          std::string_view tool_use_id, std::string_view name,
                          std::string_view input_json);
  void block_stop();
  void message_delta(std::string_view stop_reason, std::size_t output_tokens);
  void message_stop();
  void tool_result(std::string_view tool_use_id, std::string_view text, bool is_error);
  void tool_denied(std::string_view tool_use_id, std::string_view message);
  void result(const TurnTotals& totals, std::uint64_t duration_ns);
  // A line that is not stream-json (the soak's "garbage on stdout" fault): every other one is
  // plain text, the rest a JSON object torn in the middle.
  void garbage(std::size_t index);

 private:
  void begin_stream_event();
  void end_stream_event();
  void append_uuid();
  void emit();

  SessionFacts facts_;
  std::string init_head_;          // the init line up to its uuid
  std::string stream_event_tail_;  // what follows a stream event's object, up to its uuid
  std::string quoted_model_;
  std::uint64_t lines_ = 0;
  std::uint64_t results_ = 0;
  fmt::memory_buffer line_;
};

}  // namespace ccgate::bench
