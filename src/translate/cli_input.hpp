#pragma once
// What ccgate writes to the Claude Code CLI's stdin for an OpenAI Chat Completions request, and
// the request's settings the process layer turns into flags. Pure.
//
// The CLI keeps the conversation itself, so a request gives it only what it does not have yet:
// - a new session gets ONE user turn: the earlier conversation as a delimited transcript
//   (<conversation_history>, each message labelled by role; tool calls and tool results as
//   text), then the latest user message(s) as they are (images stay images);
// - a live session gets the messages after the ones it already holds, the same way.
// System and developer messages of a new session are the system prompt (--append-system-prompt),
// not part of the turn.
//
// Limits the CLI has no flag for are applied to its output by CliStreamTranslator:
// - stop: the content is cut at the first stop string and the turn ends with "stop";
// - max_tokens: the content is cut after ≈4 characters per token and the turn ends with
//   "length". CLAUDE_CODE_MAX_OUTPUT_TOKENS is not used: it is fixed per process while one
//   session serves many requests, and a tiny value breaks the CLI's thinking budget.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "openai/chat_request.hpp"
#include "translate/tool_names.hpp"

namespace ccgate::translate {

// {"type":"user","message":{"role":"user","content":<content>}} and a newline.
std::string user_turn_line(const boost::json::value& content);

// Client content → the CLI's content: a string for text alone, else Anthropic blocks (text,
// image with a base64 source for data URLs or a url source for http(s) URLs).
boost::json::value cli_content(const std::vector<openai::ContentPart>& parts);

// The Anthropic image block for an image_url; nullopt for a URL the CLI cannot take (a data URL
// that is not base64, or another scheme).
std::optional<boost::json::object> image_block(std::string_view url);

struct CliTurn {
  std::string line;         // the stdin line, newline-terminated
  bool offer_tools = true;  // false for tool_choice "none": the gateway offers no tools this turn
};

// The turn for request when the CLI session already holds its first messages_known messages
// (0: a new session). tool_choice "required" or a named function and parallel_tool_calls=false
// become instructions at the end of the turn; tools are named as the model sees them.
CliTurn cli_turn(const openai::ChatRequest& request, const ToolNames& tools,
                 std::size_t messages_known = 0);

// What a request brings to the tool calls of the conversation's last assistant message: the
// role:"tool" messages right after it, and where the messages the client added after them begin
// (a new user message, say), messages.size() when there are none. No results: the request does
// not answer tool calls.
//
// The added messages go to the CLI as cli_turn(request, tools, first_added) before the results:
// written while the CLI waits on the tool calls, a user line joins the running turn (the CLI
// shows it to the model next to the tool results, as "The user sent a new message while you were
// working"), so the model sees both and the client gets one answer.
struct ToolResults {
  std::vector<const openai::Message*> results;
  std::size_t first_added = 0;
};
ToolResults tool_results_of(const openai::ChatRequest& request);

// The system and developer messages' text, in order, joined by blank lines ("" when none).
std::string system_prompt(const openai::ChatRequest& request);

// reasoning_effort → the CLI's --effort (low|medium|high); nullopt for a value it has no match
// for, so the CLI keeps its default.
std::optional<std::string> effort_for(std::string_view reasoning_effort);

struct CliRunSettings {
  std::string system_prompt;               // --append-system-prompt, after GATEWAY_SYSTEM_PROMPT
  std::optional<std::string> effort;       // --effort
  std::vector<std::string> stop;           // for CliStreamOptions::stop
  std::optional<std::int64_t> max_tokens;  // for CliStreamOptions::max_tokens
  std::string user;                        // for logs; the CLI has no use for it
};

CliRunSettings run_settings(const openai::ChatRequest& request);

}  // namespace ccgate::translate
