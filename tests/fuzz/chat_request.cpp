// The gateway door's request path: an OpenAI Chat Completions body (POST /v1/chat/completions)
// → openai::parse_chat_request → the client's tool names mapped for the CLI (ToolNames) → the
// stdin line written to the Claude Code CLI (cli_turn), for a new and for a live session.
//
// Properties, besides ASan/UBSan: the only exception is openai::InvalidRequest (a 400 naming
// the parameter); every tool name maps to a CLI-safe name and back; the stdin line is exactly
// one line of JSON, a user turn.

#include "openai/chat_request.hpp"

#include <set>

#include "fuzz_support.hpp"
#include "translate/cli_input.hpp"
#include "translate/json_access.hpp"
#include "translate/tool_names.hpp"

namespace {

namespace json = boost::json;
using ccgate::fuzz::require;
using ccgate::translate::ToolNames;

bool cli_safe(std::string_view name) {
  return !name.empty() && name.size() <= ToolNames::kMaxSafeLength &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
         });
}

ToolNames check_tool_names(const ccgate::openai::ChatRequest& request) {
  std::vector<std::string> names;
  for (const auto& tool : request.tools) names.push_back(tool.name);
  ToolNames tools(names);
  std::set<std::string> safe_names;
  for (const auto& name : names) {
    const auto safe = tools.safe_for(name);
    require(safe.has_value(), "every client tool has a CLI name", name);
    require(cli_safe(*safe), "CLI tool names are [A-Za-z0-9_-], 1 to 50 characters", *safe);
    require(tools.client_for(*safe) == name, "a CLI tool name maps back to its client name", name);
    const auto cli_name = tools.cli_name_for(name);
    require(cli_name && cli_name->size() <= ToolNames::kMaxCliNameLength,
            "the full CLI name fits in 64 characters", name);
    require(tools.client_for_cli_name(*cli_name) == name,
            "the full CLI name maps back to the client name", name);
    safe_names.insert(*safe);
  }
  require(safe_names.size() == tools.size(), "distinct client tools get distinct CLI names");
  return tools;
}

void check_turn_line(const std::string& line) {
  require(!line.empty() && line.back() == '\n' && line.find('\n') == line.size() - 1,
          "the CLI stdin turn is exactly one line", line);
  const auto parsed = ccgate::fuzz::parse_json(line, 100000);
  require(parsed && parsed->is_object(), "the CLI stdin turn is a JSON object", line);
  const auto& object = parsed->get_object();
  require(object.contains("type") && object.at("type") == "user", "the turn is a user line", line);
  const auto* message = object.if_contains("message");
  require(message != nullptr && message->is_object() && message->get_object().contains("role") &&
              message->get_object().at("role") == "user" &&
              message->get_object().contains("content"),
          "the turn carries a user message", line);
  const auto& content = message->get_object().at("content");
  require(content.is_string() || (content.is_array() && !content.get_array().empty()),
          "the turn's content is text or blocks", line);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The door parses the body with Boost.JSON's defaults.
  const auto body =
      ccgate::fuzz::parse_json(std::string_view(reinterpret_cast<const char*>(data), size), 32);
  if (!body) return 0;  // a 400 "We could not parse the JSON body"
  if (!ccgate::translate::numbers_are_finite(*body)) return 0;  // the door's 400 for 1e999

  ccgate::openai::ChatRequest request;
  try {
    request = ccgate::openai::parse_chat_request(*body);
  } catch (const ccgate::openai::InvalidRequest& invalid) {
    require(!invalid.message().empty(), "an InvalidRequest says why");
    return 0;
  }
  require(!request.messages.empty(), "an accepted request has messages");
  for (const auto& message : request.messages) {
    if (message.role == ccgate::openai::Role::tool) {
      require(!message.tool_call_id.empty(), "an accepted tool message has a tool_call_id");
    }
  }
  for (const auto& tool : request.tools) {
    require(!tool.name.empty(), "an accepted tool has a name");
  }

  const ToolNames tools = check_tool_names(request);
  check_turn_line(ccgate::translate::cli_turn(request, tools, 0).line);
  // A live session that already holds all but the last message, and one that holds them all.
  check_turn_line(ccgate::translate::cli_turn(request, tools, request.messages.size() - 1).line);
  check_turn_line(ccgate::translate::cli_turn(request, tools, request.messages.size()).line);

  const auto settings = ccgate::translate::run_settings(request);
  if (settings.effort) {
    require(*settings.effort == "low" || *settings.effort == "medium" || *settings.effort == "high",
            "--effort is low, medium or high", *settings.effort);
  }
  for (const auto& stop : settings.stop) require(!stop.empty(), "stop strings are not empty");
  return 0;
}
