#pragma once
// An OpenAI Chat Completions request, parsed into values. Tolerant like the real API: unknown
// fields are ignored, and only what OpenAI itself answers with a 400 is an InvalidRequest.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ccgate::openai {

// A 400 in OpenAI's own words: message, and the offending parameter ("messages[2].role").
class InvalidRequest : public std::runtime_error {
 public:
  InvalidRequest(const std::string& message, std::string param, std::string code = {});

  std::string_view message() const { return what(); }
  const std::string& param() const { return param_; }  // empty: OpenAI sends null
  const std::string& code() const { return code_; }    // empty: OpenAI sends null

 private:
  std::string param_;
  std::string code_;
};

enum class Role { system, developer, user, assistant, tool, function };

std::string_view role_name(Role role);

struct TextPart {
  std::string text;
};

// An http(s) URL or a data URL ("data:image/png;base64,…"), exactly as the client sent it.
struct ImagePart {
  std::string url;
};

using ContentPart = std::variant<TextPart, ImagePart>;

struct ToolCall {
  std::string id;  // empty only for the legacy "function_call"
  std::string name;
  std::string arguments;  // JSON text, as the client sent it
};

struct Message {
  Role role = Role::user;
  std::vector<ContentPart> content;  // a string content is one TextPart; audio/files are dropped
  std::string name;                  // the optional participant name; the function's for "function"
  std::vector<ToolCall> tool_calls;  // assistant
  std::string tool_call_id;          // tool
};

// The text parts of a message, joined with newlines (images left out).
std::string text_of(const Message& message);

struct Tool {
  std::string name;
  std::string description;
  boost::json::object parameters;  // {"type":"object","properties":{}} when the client sent none
};

struct ToolChoice {
  enum class Mode { automatic, none, required, function };
  Mode mode = Mode::automatic;
  std::string function_name;  // for Mode::function
};

struct ChatRequest {
  std::string model;
  std::vector<Message> messages;
  std::vector<Tool> tools;
  ToolChoice tool_choice;
  bool parallel_tool_calls = true;
  std::optional<std::int64_t> max_tokens;  // max_completion_tokens, else max_tokens
  std::vector<std::string> stop;           // empty strings dropped
  std::string user;
  std::optional<std::string> reasoning_effort;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
};

// OpenAI's own bounds, fixed: a request ccgate accepts is one OpenAI would accept too.
inline constexpr std::size_t kMaxStopSequences = 4;
inline constexpr std::size_t kMaxTools = 128;
// OpenAI documents no length for a stop string; ccgate bounds it because the gateway holds back
// output that could be the start of one (the cost of that check grows with its square).
inline constexpr std::size_t kMaxStopSequenceLength = 256;  // characters

// Also enforces the rule OpenAI applies to the conversation: an assistant message's tool calls
// are answered by the role:"tool" messages right after it, every one of them.
ChatRequest parse_chat_request(const boost::json::value& body);

// The body text: JSON no deeper than max_depth (arrays and objects), then parse_chat_request. A
// deeper body is a 400 that names MAX_JSON_DEPTH.
ChatRequest parse_chat_request_body(std::string_view body, std::size_t max_depth);

}  // namespace ccgate::openai
