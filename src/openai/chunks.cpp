#include "openai/chunks.hpp"

#include <boost/json.hpp>
#include <utility>

namespace ccgate::openai {

namespace json = boost::json;

namespace {

json::value finish_reason_value(std::string_view finish_reason) {
  if (finish_reason.empty()) return nullptr;
  return json::string(finish_reason);
}

json::object header_fields(const CompletionHeader& header, std::string_view object) {
  return json::object{{"id", header.id},
                      {"object", object},
                      {"created", header.created},
                      {"model", header.model},
                      {"system_fingerprint", nullptr}};
}

json::object tool_call_json(const ToolCall& call) {
  return json::object{
      {"id", call.id},
      {"type", "function"},
      {"function", json::object{{"name", call.name}, {"arguments", call.arguments}}}};
}

}  // namespace

json::object usage_json(const ChatUsage& usage) {
  return json::object{
      {"prompt_tokens", usage.prompt_tokens},
      {"completion_tokens", usage.completion_tokens},
      {"total_tokens", usage.prompt_tokens + usage.completion_tokens},
      {"prompt_tokens_details", json::object{{"cached_tokens", usage.cached_tokens}}},
      {"completion_tokens_details", json::object{{"reasoning_tokens", usage.reasoning_tokens}}}};
}

json::object chunk(const CompletionHeader& header, json::object delta,
                   std::string_view finish_reason) {
  json::object result = header_fields(header, "chat.completion.chunk");
  json::object choice{{"index", 0},
                      {"delta", std::move(delta)},
                      {"logprobs", nullptr},
                      {"finish_reason", finish_reason_value(finish_reason)}};
  result["choices"] = json::array{std::move(choice)};
  if (header.usage_on_chunks) result["usage"] = nullptr;
  return result;
}

json::object usage_chunk(const CompletionHeader& header, const ChatUsage& usage) {
  json::object result = header_fields(header, "chat.completion.chunk");
  result["choices"] = json::array{};
  result["usage"] = usage_json(usage);
  return result;
}

void append_data(std::string& out, const json::value& value) {
  out += "data: ";
  out += json::serialize(value);
  out += "\n\n";
}

json::object completion(const CompletionHeader& header, const AssistantReply& reply,
                        std::string_view finish_reason, const ChatUsage& usage) {
  json::object message{{"role", "assistant"}};
  if (reply.content.empty() && !reply.tool_calls.empty()) {
    message["content"] = nullptr;
  } else {
    message["content"] = reply.content;
  }
  if (!reply.reasoning.empty()) message["reasoning_content"] = reply.reasoning;
  if (!reply.tool_calls.empty()) {
    json::array calls;
    for (const auto& call : reply.tool_calls) calls.push_back(tool_call_json(call));
    message["tool_calls"] = std::move(calls);
  }
  message["refusal"] = nullptr;

  json::object result = header_fields(header, "chat.completion");
  json::object choice{{"index", 0},
                      {"message", std::move(message)},
                      {"logprobs", nullptr},
                      {"finish_reason", finish_reason_value(finish_reason)}};
  result["choices"] = json::array{std::move(choice)};
  result["usage"] = usage_json(usage);
  return result;
}

std::string_view error_type_for_status(int status) {
  switch (status) {
    case 400:
    case 404:
    case 413:
    case 422:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 429:
      return "rate_limit_error";
    default:
      return status >= 400 && status < 500 ? "invalid_request_error" : "api_error";
  }
}

json::object error_object(std::string_view message, int status) {
  json::object error{{"message", message},
                     {"type", error_type_for_status(status)},
                     {"param", nullptr},
                     {"code", nullptr}};
  return json::object{{"error", std::move(error)}};
}

}  // namespace ccgate::openai
