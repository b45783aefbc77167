#pragma once
// The Claude Code CLI's stdout (stream-json with --include-partial-messages) → an OpenAI Chat
// Completions response, as a state machine fed one parsed line at a time. Pure.
//
// One translator serves one HTTP response. Its turn ends at:
// - a result line: finish_reason "stop" ("length" when the model hit max_tokens), or an error
//   when the CLI reports one (is_error, a non-success subtype, or an earlier "<synthetic>"
//   assistant message: the CLI's own error text, never shown as content);
// - the end of an assistant message that called client tools (message_delta stop_reason
//   "tool_use", then message_stop): finish_reason "tool_calls". The CLI keeps running, blocked in
//   the MCP calls, and the client's next request continues it with a new translator;
// - a stop string or the max_tokens budget in the content: finish_reason "stop" or "length".
//   The CLI has not finished: the process layer interrupts it and drains to its result line.
//
// With hold_tool_calls (a tool policy is configured), the client's tool calls are not shown as
// they stream: at the end of their message the translator waits (awaiting_decisions()) until the
// gateway hands it the policy's decisions (release_held()). The allowed calls are then shown
// whole, with their arguments as the policy may have rewritten them, and end the turn; when none
// is allowed the turn goes on (the model gets the denials and carries on in this response).
//
// With tool_choice "none" (client_tools = false) a client tool use is hidden like any other: the
// client gets no tool_calls whatever the model emits; ccgate's approval denies the call, the
// model gets the denial as the tool's result and goes on, and the turn ends at the result line.
//
// A user line written while the CLI runs its tools (messages the client added after its tool
// results) joins the running turn when the CLI reads it in time, else the CLI runs it as a turn
// of its own right after this one. The CLI (--replay-user-messages) echoes a user line with
// "isReplay" when it takes it into a turn, so the response ends at the first result line after
// the echo of every such line: the client gets one answer either way.
//
// Every tool call the client sees gets an id of ccgate's own (call_…, unique across
// conversations): models may repeat theirs (call_0 in every conversation). GatewayToolCall keeps
// both; the gateway maps the client's answer back to the CLI's id.
//
// Content comes from the stream events; an assistant line only adds content for a message that
// had no stream events (synthetic ones). Text of consecutive messages in one turn (the model
// called a tool the client did not give, was refused, and went on) is joined by a blank line.
// Tool uses other than the client's own tools are never shown.
//
// Usage is summed from this response's stream events (message_start, then message_delta), so a
// turn continued after tool calls does not count the earlier messages again; the result line's
// usage (which covers the whole CLI turn) is the fallback when no stream event carried any.

#include <boost/json/object.hpp>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "openai/chunks.hpp"
#include "translate/ids.hpp"
#include "translate/tool_names.hpp"

namespace ccgate::translate {

struct CliStreamOptions {
  std::string id;  // "chatcmpl-…"
  std::string model;
  std::int64_t created = 0;
  bool stream = true;  // false: nothing is written, the reply is kept for completion()
  bool include_reasoning = true;
  bool include_usage = false;
  ToolNames tools;           // the client's tools; tool uses not among them are hidden
  bool client_tools = true;  // false (tool_choice "none"): the client's tool uses are hidden too
  // The ids the client sees for its tool calls ("call_…"). Unguessable: an id routes a result
  // into its conversation, so another client must not be able to predict it.
  MakeId make_call_id = random_id;
  std::size_t user_lines_in_flight = 0;  // user lines written mid-turn, not yet taken by the CLI
  std::vector<std::string> stop;
  std::optional<std::int64_t> max_tokens;  // applied as ≈4 characters per token of content
  bool hold_tool_calls = false;            // see above
  // Streaming: each server-side tool call's name and outcome as reasoning_content text.
  bool tool_activity = false;
  // Server-side tool calls of earlier responses whose result has not come yet (tool_use id →
  // the CLI's tool name).
  std::map<std::string, std::string> server_tools_in_flight{};
};

// A tool use that is no client tool (an operator MCP server's, ccgate's own, a built-in): the
// CLI runs it, the client never sees it as a tool call. Its outcome comes with the user line
// that carries its tool_result: denied when approval refused it, error when it failed.
struct ServerToolResult {
  enum class Outcome { ok, error, denied };
  std::string cli_id;
  std::string cli_name;
  Outcome outcome = Outcome::ok;
};
std::string_view outcome_name(ServerToolResult::Outcome outcome);
// The name a tool is shown by: the server's own name of an MCP tool (mcp__<server>__<tool>).
std::string_view shown_tool_name(std::string_view cli_name);

struct TurnEnd {
  enum class Kind { stop, length, tool_calls, error };
  Kind kind = Kind::stop;
  int status = 0;         // error: the HTTP status for the client
  std::string message{};  // error: what the CLI reported
};

std::string_view finish_reason_for(TurnEnd::Kind kind);

struct GatewayToolCall {
  std::string id;      // what the client sees and answers with: ccgate's own, unique
  std::string cli_id;  // the CLI's tool_use id, also the MCP call's claudecode/toolUseId
  std::string client_name;
  std::string arguments;
};

// Nesting the CLI adds around what the model writes (a tool's input sits at
// message.content[i].input of an assistant line): CLI lines are read MAX_JSON_DEPTH + this deep.
inline constexpr std::size_t kCliEnvelopeDepth = 16;

// One line of the CLI's stdout. A protocol message is a JSON object; the CLI may also print
// lines of its own that are not JSON at all (other), which say nothing to the client. A line that
// begins as an object but cannot be read (malformed, or nested deeper than max_depth) is
// unreadable: whatever it carried is lost, so the turn must end with an error, never go on
// without it.
struct CliLine {
  enum class Kind { message, other, unreadable };
  Kind kind = Kind::other;
  boost::json::object message;  // message
  std::string problem;          // unreadable: what went wrong, for the client
};
CliLine parse_cli_line(std::string_view line, std::size_t max_depth);

// A result line: the CLI's turn is over (the process accepts the next user turn).
bool is_result_line(const boost::json::object& line);

// The HTTP status for the CLI's api_error_status: 400, 401, 403, 404 and 429 pass through;
// anything else (5xx, none) is 502, the upstream of the gateway failed.
int status_for_api_error(std::optional<std::int64_t> api_error_status);

// Cuts content at the first stop string or after a character budget, whichever comes first.
// Text that could be the beginning of a stop string is held back until it cannot be.
class OutputLimiter {
 public:
  enum class Cut { none, stop_sequence, length };

  OutputLimiter(std::vector<std::string> stop, std::optional<std::int64_t> max_chars);

  std::string feed(std::string_view text);  // what may be shown now
  std::string flush();                      // at the end of the turn: what was held back
  Cut cut() const { return cut_; }

 private:
  std::string within_budget(std::string_view text);

  std::vector<std::string> stop_;
  std::optional<std::int64_t> remaining_chars_;
  std::string held_;
  Cut cut_ = Cut::none;
};

class CliStreamTranslator {
 public:
  explicit CliStreamTranslator(CliStreamOptions options);

  // One parsed stdout line. SSE bytes (streaming) are appended to sse_out. Returns the turn's end
  // once; after that, lines are ignored.
  std::optional<TurnEnd> on_line(const boost::json::object& line, std::string& sse_out);

  // Streaming: the finish_reason chunk, the usage chunk when asked, "data: [DONE]". For an error,
  // an OpenAI error event then "data: [DONE]" (if nothing was sent yet, prefer an HTTP error
  // response: see response_started()). Writes nothing when not streaming; idempotent.
  void finish(const TurnEnd& end, std::string& sse_out);

  // Not streaming: the "chat.completion" object; for an error end, the OpenAI error body to send
  // with end.status.
  boost::json::object completion(const TurnEnd& end) const;

  // The CLI exited (or its stdout closed) before the turn ended: the error the CLI reported in a
  // synthetic message, if any, else a 502 saying what happened.
  TurnEnd end_without_result(std::string_view what_happened) const;

  // hold_tool_calls: the message that called client tools has ended; its calls (held_call_ids(),
  // the CLI's ids) wait for release_held().
  bool awaiting_decisions() const { return awaiting_decisions_; }
  std::vector<std::string> held_call_ids() const;
  // The decisions on the held calls: the allowed ones by CLI id, each with its arguments as
  // rewritten (JSON text; nullopt: as the model wrote them); a call not in `allowed` was denied.
  // Shows the allowed calls and returns the tool_calls end, or nullopt (none allowed: the turn
  // goes on).
  std::optional<TurnEnd> release_held(
      const std::map<std::string, std::optional<std::string>>& allowed, std::string& sse_out);

  const std::vector<GatewayToolCall>& tool_calls() const { return tool_calls_; }
  // Server-side tool calls finished since the last call (for the log and the metrics).
  std::vector<ServerToolResult> take_server_tool_results() { return std::move(server_results_); }
  // Server-side tool calls still running: the next response of the conversation gets them.
  const std::map<std::string, std::string>& server_tools_in_flight() const {
    return options_.server_tools_in_flight;
  }
  // The content shown to the client so far (both modes).
  const std::string& content() const { return content_; }
  openai::ChatUsage usage() const;

  // Streaming: whether any chunk has been written (the HTTP status is then committed).
  bool response_started() const { return started_; }
  // User lines written mid-turn that the CLI has not taken yet (the turn ended with tool calls
  // first): the next response of the conversation waits for them.
  std::size_t user_lines_in_flight() const { return user_lines_in_flight_; }
  bool stopped_by_stop_sequence() const {
    return limiter_.cut() == OutputLimiter::Cut::stop_sequence;
  }
  // The translator ended the turn before the CLI did (stop string, max_tokens): interrupt it.
  bool ended_before_cli() const {
    return limiter_.cut() != OutputLimiter::Cut::none && !cli_turn_over_;
  }

 private:
  enum class BlockKind { text, thinking, client_tool, held_tool, hidden };

  struct Block {
    BlockKind kind = BlockKind::hidden;
    std::size_t tool_call = 0;  // index into tool_calls_ (client_tool) or held_ (held_tool)
    bool has_arguments = false;
  };

  struct TokenCounts {
    std::int64_t input = 0;
    std::int64_t output = 0;
    std::int64_t cache_read = 0;
    std::int64_t cache_creation = 0;
    bool present = false;

    void merge(const boost::json::object& usage);  // fields present in usage replace ours
    void add(const TokenCounts& other);
  };

  struct StreamedMessage {
    std::map<std::int64_t, Block> blocks;
    std::string stop_reason;
    bool called_client_tools = false;
    TokenCounts usage;
  };

  std::optional<TurnEnd> on_stream_event(const boost::json::object& event, std::string& out);
  void on_block_start(const boost::json::object& event, std::string& out);
  void on_block_delta(const boost::json::object& event, std::string& out);
  void on_block_stop(const boost::json::object& event, std::string& out);
  std::optional<TurnEnd> on_message_stop();
  std::optional<TurnEnd> on_assistant(const boost::json::object& line, std::string& out);
  std::optional<TurnEnd> on_result(const boost::json::object& line, std::string& out);
  void record_synthetic_error(const boost::json::object& line, const boost::json::object& message);
  void on_server_tool_use(std::string_view cli_id, std::string_view cli_name, std::string& out);
  void on_tool_results(const boost::json::object& line, std::string& out);
  void emit_tool_activity(std::string text, std::string& out);

  StreamedMessage& current_message();
  void begin_message_text();
  void emit_text(std::string_view text, std::string& out);
  void emit_content(std::string_view text, std::string& out);
  void emit_reasoning(std::string_view text, std::string& out);
  // The client's name for a tool use the client is shown; nullopt for one it is not.
  std::optional<std::string> client_tool_for(std::string_view cli_name) const;
  // Nullopt when the content was already cut (the turn ends before the call).
  std::optional<std::size_t> start_tool_call(std::string cli_id, std::string client_name,
                                             std::string& out);
  void emit_arguments(std::size_t call, std::string_view fragment, std::string& out);
  // hold_tool_calls: keeps the call for release_held(); nullopt as start_tool_call.
  std::optional<std::size_t> hold_tool_call(std::string cli_id, std::string client_name,
                                            std::string& out);
  void emit_delta(boost::json::object delta, std::string& out);
  void ensure_started(std::string& out);

  CliStreamOptions options_;
  openai::CompletionHeader header_;
  OutputLimiter limiter_;

  std::optional<StreamedMessage> message_;  // the message whose stream events are arriving
  std::set<std::string, std::less<>> streamed_message_ids_;
  bool message_has_text_ = false;
  bool turn_has_text_ = false;

  std::string content_;
  std::string reasoning_;  // not streaming only
  std::vector<GatewayToolCall> tool_calls_;
  std::vector<GatewayToolCall> held_;  // hold_tool_calls: id empty until released
  bool awaiting_decisions_ = false;
  std::vector<ServerToolResult> server_results_;

  TokenCounts stream_usage_;
  TokenCounts result_usage_;
  std::int64_t reasoning_tokens_ = 0;
  bool hit_max_tokens_ = false;

  std::optional<std::string> synthetic_error_;
  std::optional<std::int64_t> synthetic_status_;

  std::size_t user_lines_in_flight_ = 0;
  bool started_ = false;
  bool cli_turn_over_ = false;  // a result line came
  bool ended_ = false;
  bool finished_ = false;
};

}  // namespace ccgate::translate
