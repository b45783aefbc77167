#include "fake_claude/transcript.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <ctime>
#include <iterator>

#include "common/clock.hpp"

namespace ccgate::bench {
namespace json = boost::json;

namespace {

std::string quoted(std::string_view text) {
  return json::serialize(json::string(text));
}

std::string quoted_list(const std::vector<std::string>& items) {
  std::string list = "[";
  for (const auto& item : items) list += (list.size() > 1 ? "," : "") + quoted(item);
  return list + "]";
}

// The wall-clock time as the CLI prints it: 2026-11-22T01:25:29.561Z.
std::string iso_timestamp() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  std::tm utc{};
  ::gmtime_r(&now.tv_sec, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                     now.tv_nsec / 1'000'000);
}

}  // namespace

Transcript::Transcript(SessionFacts facts) : facts_(std::move(facts)) {
  quoted_model_ = quoted(facts_.model);
  std::string servers = "[";
  for (const auto& [name, status] : facts_.mcp_servers)
    servers += fmt::format(R"({}{{"name":{},"status":{},"source":"dynamic"}})",
                           servers.size() > 1 ? "," : "", quoted(name), quoted(status));
  servers += "]";
  init_head_ = fmt::format(
      R"({{"type":"system","subtype":"init","cwd":{},"session_id":"{}","tools":{},)"
      R"("mcp_servers":{},"model":{},"permissionMode":"default","slash_commands":[],)"
      R"("terminal_slash_commands":[],"apiKeySource":"ANTHROPIC_API_KEY",)"
      R"("claude_code_version":"2.1.330","output_style":"default","agents":[],"skills":[],)"
      R"("plugins":[],"capabilities":[],"analytics_disabled":true,)"
      R"("product_feedback_disabled":true,"served_by_anthropic":false,"uuid":")",
      quoted(facts_.cwd), facts_.session_id, quoted_list(facts_.tools), servers, quoted_model_);
  stream_event_tail_ =
      fmt::format(R"(,"parent_tool_use_id":null,"session_id":"{}","uuid":")", facts_.session_id);
}

void Transcript::init() {
  line_.clear();
  line_.append(init_head_);
  append_uuid();
  fmt::format_to(std::back_inserter(line_),
                 R"(","original_cwd":{},"additional_directories":[],"fast_mode_state":"off",)"
                 R"("per_turn_effort_active":true,"view_mode":"default"}})",
                 quoted(facts_.cwd));
  emit();
}

void Transcript::message_start(std::string_view message_id, std::size_t input_tokens) {
  begin_stream_event();
  fmt::format_to(std::back_inserter(line_),
                 R"({{"type":"message_start","message":{{"id":"{}","type":"message",)"
                 R"("role":"assistant","model":{},"content":[],"stop_reason":null,)"
                 R"("stop_sequence":null,"usage":{{"input_tokens":{},"output_tokens":1,)"
                 R"("cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}}}})",
                 message_id, quoted_model_, input_tokens);
  end_stream_event();
}

void Transcript::text_block_start() {
  begin_stream_event();
  line_.append(std::string_view(R"({"type":"content_block_start","index":0,)"
                                R"("content_block":{"type":"text","text":""}})"));
  end_stream_event();
}

void Transcript::text_delta(std::string_view key, std::uint64_t value, std::size_t min_bytes,
                            std::string& text) {
  begin_stream_event();
  line_.append(std::string_view(
      R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":")"));
  const std::size_t text_begin = line_.size();
  fmt::format_to(std::back_inserter(line_), "{}={};", key, value);
  const std::size_t written = line_.size() - text_begin;
  if (written < min_bytes) line_.resize(line_.size() + (min_bytes - written));
  std::fill(line_.begin() + static_cast<std::ptrdiff_t>(text_begin + written), line_.end(), 'x');
  text.append(line_.data() + text_begin, line_.size() - text_begin);
  line_.append(std::string_view(R"("}})"));
  end_stream_event();
}

void Transcript::stamped_text_delta(std::size_t min_bytes, std::string& text) {
  text_delta("ts", now_ns(), min_bytes, text);
}

void Transcript::tool_use_block_start(std::string_view tool_use_id, std::string_view name) {
  begin_stream_event();
  fmt::format_to(std::back_inserter(line_),
                 R"({{"type":"content_block_start","index":0,"content_block":{{"type":"tool_use",)"
                 R"("id":{},"name":{},"input":{{}}}}}})",
                 quoted(tool_use_id), quoted(name));
  end_stream_event();
}

void Transcript::input_json_delta(std::string_view partial_json) {
  begin_stream_event();
  fmt::format_to(std::back_inserter(line_),
                 R"({{"type":"content_block_delta","index":0,"delta":{{"type":"input_json_delta",)"
                 R"("partial_json":{}}}}})",
                 quoted(partial_json));
  end_stream_event();
}

void Transcript::assistant_text(std::string_view message_id, std::size_t input_tokens,
                                std::string_view text) {
  line_.clear();
  fmt::format_to(
      std::back_inserter(line_),
      R"({{"type":"assistant","message":{{"id":"{}","type":"message","role":"assistant",)"
      R"("model":{},"content":[{{"type":"text","text":{}}}],"stop_reason":null,)"
      R"("stop_sequence":null,"usage":{{"input_tokens":{},"output_tokens":1,)"
      R"("cache_creation_input_tokens":0,"cache_read_input_tokens":0}},)"
      R"("context_management":null}},"parent_tool_use_id":null,"session_id":"{}",)"
      R"("uuid":")",
      message_id, quoted_model_, quoted(text), input_tokens, facts_.session_id);
  append_uuid();
  fmt::format_to(std::back_inserter(line_), R"(","timestamp":"{}","request_id":"req_{}"}})",
                 iso_timestamp(), message_id);
  emit();
}

void Transcript::assistant_tool_use(std::string_view message_id, std::size_t input_tokens,
                                    std::string_view tool_use_id, std::string_view name,
                                    std::string_view input_json) {
  const std::string id = quoted(tool_use_id);
  std::string_view tool = name;
  if (const auto separator = tool.rfind("__"); separator != std::string_view::npos)
    tool.remove_prefix(separator + 2);
  line_.clear();
  fmt::format_to(
      std::back_inserter(line_),
      R"({{"type":"assistant","message":{{"id":"{}","type":"message","role":"assistant",)"
      R"("model":{},"content":[{{"type":"tool_use","id":{},"name":{},"input":{}}}],)"
      R"("stop_reason":null,"stop_sequence":null,"usage":{{"input_tokens":{},)"
      R"("output_tokens":1,"cache_creation_input_tokens":0,)"
      R"("cache_read_input_tokens":0}},"context_management":null}},)"
      R"("parent_tool_use_id":null,"session_id":"{}","uuid":")",
      message_id, quoted_model_, id, quoted(name), input_json, input_tokens, facts_.session_id);
  append_uuid();
  fmt::format_to(std::back_inserter(line_),
                 R"(","timestamp":"{}","request_id":"req_{}","tool_use_meta":[{{"id":{},)"
                 R"("display_name":{},"server_display_name":"gateway","tool_name":{}}}]}})",
                 iso_timestamp(), message_id, id, quoted(tool), quoted(tool));
  emit();
}

void Transcript::block_stop() {
  begin_stream_event();
  line_.append(std::string_view(R"({"type":"content_block_stop","index":0})"));
  end_stream_event();
}

void Transcript::message_delta(std::string_view stop_reason, std::size_t output_tokens) {
  begin_stream_event();
  fmt::format_to(std::back_inserter(line_),
                 R"({{"type":"message_delta","delta":{{"stop_reason":"{}","stop_sequence":null}},)"
                 R"("usage":{{"output_tokens":{}}}}})",
                 stop_reason, output_tokens);
  end_stream_event();
}

void Transcript::message_stop() {
  begin_stream_event();
  line_.append(std::string_view(R"({"type":"message_stop"})"));
  end_stream_event();
}

void Transcript::tool_result(std::string_view tool_use_id, std::string_view text, bool is_error) {
  const std::string id = quoted(tool_use_id);
  const std::string content = fmt::format(R"([{{"type":"text","text":{}}}])", quoted(text));
  line_.clear();
  fmt::format_to(std::back_inserter(line_),
                 R"({{"type":"user","message":{{"role":"user","content":[{{"tool_use_id":{},)"
                 R"("type":"tool_result","content":{}{}}}]}},"parent_tool_use_id":null,)"
                 R"("session_id":"{}","uuid":")",
                 id, content, is_error ? R"(,"is_error":true)" : "", facts_.session_id);
  append_uuid();
  fmt::format_to(std::back_inserter(line_),
                 R"(","timestamp":"{}","tool_use_result":{},"tool_result_meta":[{{"id":{},)"
                 R"("permission_decision":{{"decision":"accept","source":"user_temporary"}}}}]}})",
                 iso_timestamp(), content, id);
  emit();
}

void Transcript::tool_denied(std::string_view tool_use_id, std::string_view message) {
  const std::string id = quoted(tool_use_id);
  line_.clear();
  fmt::format_to(std::back_inserter(line_),
                 R"({{"type":"user","message":{{"role":"user","content":[{{"type":"tool_result",)"
                 R"("content":{},"is_error":true,"tool_use_id":{}}}]}},"parent_tool_use_id":null,)"
                 R"("session_id":"{}","uuid":")",
                 quoted(message), id, facts_.session_id);
  append_uuid();
  fmt::format_to(std::back_inserter(line_),
                 R"(","timestamp":"{}","tool_use_result":{},"tool_result_meta":[{{"id":{},)"
                 R"("non_execution_kind":"permission-rule","permission_decision":)"
                 R"({{"decision":"reject","source":"user_reject"}}}}]}})",
                 iso_timestamp(), quoted(fmt::format("Error: {}", message)), id);
  emit();
}

void Transcript::result(const TurnTotals& totals, std::uint64_t duration_ns) {
  const std::uint64_t duration_ms = duration_ns / 1'000'000;
  line_.clear();
  fmt::format_to(
      std::back_inserter(line_),
      R"({{"duration_api_ms":{},"stop_reason":"end_turn","session_id":"{}","total_cost_usd":0,)"
      R"("usage":{{"input_tokens":{},"output_tokens":{},"cache_creation_input_tokens":0,)"
      R"("cache_read_input_tokens":0,"output_tokens_details":{{"thinking_tokens":0}},)"
      R"("service_tier":"standard"}},"modelUsage":{{}},"permission_denials":{},)"
      R"("terminal_reason":"completed","is_error":false,"num_turns":{},"subtype":"success",)"
      R"("api_error_status":null,"result":{},"type":"result","duration_ms":{},"uuid":")",
      duration_ms, facts_.session_id, totals.input_tokens, totals.output_tokens,
      totals.permission_denials, totals.model_calls, quoted(totals.result_text), duration_ms);
  append_uuid();
  fmt::format_to(std::back_inserter(line_), R"(","queued_turn_count":0,"result_index":{}}})",
                 results_++);
  emit();
}

void Transcript::begin_stream_event() {
  line_.clear();
  line_.append(std::string_view(R"({"type":"stream_event","event":)"));
}

void Transcript::end_stream_event() {
  line_.append(stream_event_tail_);
  append_uuid();
  line_.append(std::string_view("\"}"));
  emit();
}

void Transcript::append_uuid() {
  fmt::format_to(std::back_inserter(line_), "00000000-0000-4000-8000-{:012}", ++lines_);
}

void Transcript::garbage(std::size_t index) {
  line_.clear();
  if (index % 2 == 0)
    fmt::format_to(std::back_inserter(line_), "fake-claude: garbage line {} \x01\xff not json",
                   index);
  else
    fmt::format_to(std::back_inserter(line_),
                   R"({{"type":"stream_event","event":{{"type":"content_block_delta","index":0,)"
                   R"("delta":{{"type":"text_delta","text":"garbage {})",
                   index);
  emit();
}

void Transcript::emit() {
  line_.push_back('\n');
  const char* data = line_.data();
  std::size_t left = line_.size();
  while (left > 0) {
    const ssize_t written = ::write(STDOUT_FILENO, data, left);
    if (written < 0) {
      if (errno == EINTR) continue;
      throw OutputClosed("stdout is closed");
    }
    data += written;
    left -= static_cast<std::size_t>(written);
  }
}

}  // namespace ccgate::bench
