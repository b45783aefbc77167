#include "openai/chat_request.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <set>
#include <utility>

#include "translate/json_access.hpp"

namespace ccgate::openai {

namespace json = boost::json;

namespace {

// The messages below are OpenAI's own wording for the same mistakes.

std::string_view type_name(const json::value& value) {
  switch (value.kind()) {
    case json::kind::string:
      return "a string";
    case json::kind::int64:
    case json::kind::uint64:
      return "an integer";
    case json::kind::double_:
      return "a decimal";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::null:
      return "null";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
  }
  return "a value";
}

[[noreturn]] void missing(const std::string& param) {
  throw InvalidRequest("Missing required parameter: '" + param + "'.", param,
                       "missing_required_parameter");
}

[[noreturn]] void wrong_type(const std::string& param, std::string_view expected,
                             const json::value& got) {
  throw InvalidRequest("Invalid type for '" + param + "': expected " + std::string(expected) +
                           ", but got " + std::string(type_name(got)) + " instead.",
                       param, "invalid_type");
}

[[noreturn]] void invalid_value(const std::string& param, std::string_view value,
                                std::string_view supported) {
  throw InvalidRequest("Invalid value: '" + std::string(value) +
                           "'. Supported values are: " + std::string(supported) + ".",
                       param, "invalid_value");
}

[[noreturn]] void empty_string(const std::string& param) {
  throw InvalidRequest("Invalid '" + param +
                           "': empty string. Expected a string with minimum length 1, but got an "
                           "empty string instead.",
                       param, "empty_string");
}

[[noreturn]] void array_too_long(const std::string& param, std::size_t maximum, std::size_t got) {
  throw InvalidRequest("Invalid '" + param +
                           "': array too long. Expected an array with maximum length " +
                           std::to_string(maximum) + ", but got an array with length " +
                           std::to_string(got) + " instead.",
                       param, "array_above_max_length");
}

[[noreturn]] void string_too_long(const std::string& param, std::size_t maximum, std::size_t got) {
  throw InvalidRequest("Invalid '" + param +
                           "': string too long. Expected a string with maximum length " +
                           std::to_string(maximum) + ", but got a string with length " +
                           std::to_string(got) + " instead.",
                       param, "string_above_max_length");
}

// Characters, not bytes: UTF-8 continuation bytes are not counted.
std::size_t length_in_characters(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

const json::value* field(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value == nullptr || value->is_null() ? nullptr : value;
}

std::string string_or_empty(const json::object& object, std::string_view key) {
  const auto* value = field(object, key);
  if (value == nullptr || !value->is_string()) return {};
  return std::string(value->get_string());
}

std::optional<std::int64_t> integer_field(const json::object& object, std::string_view key) {
  const auto* value = field(object, key);
  if (value == nullptr) return std::nullopt;
  if (const auto* number = value->if_int64()) return *number;
  if (const auto* number = value->if_uint64()) return static_cast<std::int64_t>(*number);
  if (const auto* number = value->if_double()) {
    if (std::isfinite(*number) && std::trunc(*number) == *number && std::abs(*number) < 9.2e18) {
      return static_cast<std::int64_t>(*number);
    }
  }
  return std::nullopt;
}

std::optional<bool> bool_field(const json::object& object, std::string_view key) {
  const auto* value = field(object, key);
  if (value == nullptr || !value->is_bool()) return std::nullopt;
  return value->get_bool();
}

std::string indexed(std::string_view base, std::size_t index) {
  return std::string(base) + "[" + std::to_string(index) + "]";
}

std::optional<Role> role_from(std::string_view name) {
  if (name == "system") return Role::system;
  if (name == "developer") return Role::developer;
  if (name == "user") return Role::user;
  if (name == "assistant") return Role::assistant;
  if (name == "tool") return Role::tool;
  if (name == "function") return Role::function;
  return std::nullopt;
}

std::optional<ContentPart> content_part(const json::value& part) {
  if (const auto* text = part.if_string()) return TextPart{std::string(*text)};
  const auto* object = part.if_object();
  if (object == nullptr) return std::nullopt;
  const std::string type = string_or_empty(*object, "type");
  if (type == "text") return TextPart{string_or_empty(*object, "text")};
  if (type == "refusal") return TextPart{string_or_empty(*object, "refusal")};
  if (type == "image_url") {
    const auto* image = field(*object, "image_url");
    if (image == nullptr) return std::nullopt;
    if (const auto* url = image->if_string()) return ImagePart{std::string(*url)};
    if (const auto* image_object = image->if_object()) {
      std::string url = string_or_empty(*image_object, "url");
      if (!url.empty()) return ImagePart{std::move(url)};
    }
  }
  // input_audio, file and future part types: the CLI has nothing to take them as.
  return std::nullopt;
}

std::vector<ContentPart> content_of(const json::object& message) {
  std::vector<ContentPart> parts;
  const auto* content = field(message, "content");
  if (content == nullptr) return parts;
  if (const auto* text = content->if_string()) {
    parts.push_back(TextPart{std::string(*text)});
  } else if (const auto* array = content->if_array()) {
    for (const auto& part : *array) {
      if (auto parsed = content_part(part)) parts.push_back(std::move(*parsed));
    }
  }
  return parts;
}

std::string arguments_text(const json::value* arguments) {
  if (arguments == nullptr) return {};
  if (const auto* text = arguments->if_string()) return std::string(*text);
  return json::serialize(*arguments);  // some clients send the object itself
}

std::optional<ToolCall> tool_call_from(const json::value& value) {
  const auto* call = value.if_object();
  if (call == nullptr) return std::nullopt;
  const auto* function = field(*call, "function");
  if (function == nullptr || !function->is_object()) return std::nullopt;
  return ToolCall{.id = string_or_empty(*call, "id"),
                  .name = string_or_empty(function->get_object(), "name"),
                  .arguments = arguments_text(field(function->get_object(), "arguments"))};
}

std::vector<ToolCall> tool_calls_of(const json::object& message) {
  std::vector<ToolCall> calls;
  if (const auto* list = field(message, "tool_calls"); list != nullptr && list->is_array()) {
    for (const auto& entry : list->get_array()) {
      if (auto call = tool_call_from(entry)) calls.push_back(std::move(*call));
    }
  }
  if (const auto* legacy = field(message, "function_call");
      legacy != nullptr && legacy->is_object()) {
    calls.push_back(
        ToolCall{.id = {},
                 .name = string_or_empty(legacy->get_object(), "name"),
                 .arguments = arguments_text(field(legacy->get_object(), "arguments"))});
  }
  return calls;
}

Message message_from(const json::value& value, std::size_t index) {
  const std::string param = indexed("messages", index);
  const auto* object = value.if_object();
  if (object == nullptr) wrong_type(param, "an object", value);

  const auto* role_value = field(*object, "role");
  if (role_value == nullptr) missing(param + ".role");
  if (!role_value->is_string()) wrong_type(param + ".role", "a string", *role_value);
  const auto role = role_from(role_value->get_string());
  if (!role) {
    invalid_value(param + ".role", role_value->get_string(),
                  "'system', 'assistant', 'user', 'function', 'tool', and 'developer'");
  }

  Message message{.role = *role,
                  .content = content_of(*object),
                  .name = string_or_empty(*object, "name"),
                  .tool_calls = {},
                  .tool_call_id = {}};
  if (message.role == Role::assistant) message.tool_calls = tool_calls_of(*object);
  if (message.role == Role::tool) {
    message.tool_call_id = string_or_empty(*object, "tool_call_id");
    if (message.tool_call_id.empty()) missing(param + ".tool_call_id");
  }
  if (message.role == Role::function && message.name.empty()) missing(param + ".name");
  return message;
}

std::vector<Message> messages_from(const json::object& body) {
  const auto* value = field(body, "messages");
  if (value == nullptr) missing("messages");
  const auto* array = value->if_array();
  if (array == nullptr) wrong_type("messages", "an array of objects", *value);
  if (array->empty()) {
    throw InvalidRequest(
        "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an "
        "empty array instead.",
        "messages", "empty_array");
  }
  std::vector<Message> messages;
  messages.reserve(array->size());
  for (std::size_t i = 0; i < array->size(); ++i) messages.push_back(message_from((*array)[i], i));
  return messages;
}

// OpenAI: "An assistant message with 'tool_calls' must be followed by tool messages responding
// to each 'tool_call_id'." A conversation that leaves a call unanswered would leave the gateway's
// CLI waiting on it.
void require_tool_responses(const std::vector<Message>& messages) {
  for (std::size_t i = 0; i < messages.size(); ++i) {
    std::vector<std::string> unanswered;
    for (const auto& call : messages[i].tool_calls)
      if (!call.id.empty()) unanswered.push_back(call.id);
    if (unanswered.empty()) continue;
    std::set<std::string_view> answered;
    for (std::size_t j = i + 1; j < messages.size() && messages[j].role == Role::tool; ++j)
      answered.insert(messages[j].tool_call_id);
    std::erase_if(unanswered, [&](const std::string& id) { return answered.contains(id); });
    if (unanswered.empty()) continue;
    std::string ids;
    for (const auto& id : unanswered) ids += (ids.empty() ? "" : ", ") + id;
    throw InvalidRequest(
        "An assistant message with 'tool_calls' must be followed by tool messages responding to "
        "each 'tool_call_id'. The following tool_call_ids did not have response messages: " +
            ids,
        "messages.[" + std::to_string(i) + "].role");
  }
}

json::object default_parameters() {
  return json::object{{"type", "object"}, {"properties", json::object{}}};
}

Tool tool_from(const json::value& value, std::size_t index) {
  const std::string param = indexed("tools", index);
  const auto* object = value.if_object();
  if (object == nullptr) wrong_type(param, "an object", value);
  const auto* type = field(*object, "type");
  if (type == nullptr) missing(param + ".type");
  if (!type->is_string()) wrong_type(param + ".type", "a string", *type);
  if (type->get_string() != "function")
    invalid_value(param + ".type", type->get_string(), "'function'");

  const auto* function = field(*object, "function");
  if (function == nullptr) missing(param + ".function");
  if (!function->is_object()) wrong_type(param + ".function", "an object", *function);
  const auto& definition = function->get_object();
  const auto* name = field(definition, "name");
  if (name == nullptr) missing(param + ".function.name");
  if (!name->is_string()) wrong_type(param + ".function.name", "a string", *name);
  if (name->get_string().empty()) empty_string(param + ".function.name");

  Tool tool{.name = std::string(name->get_string()),
            .description = string_or_empty(definition, "description"),
            .parameters = default_parameters()};
  if (const auto* parameters = field(definition, "parameters");
      parameters != nullptr && parameters->is_object()) {
    tool.parameters = parameters->get_object();
  }
  return tool;
}

std::vector<Tool> tools_from(const json::object& body) {
  std::vector<Tool> tools;
  const auto* value = field(body, "tools");
  if (value == nullptr) return tools;
  const auto* array = value->if_array();
  if (array == nullptr) wrong_type("tools", "an array of objects", *value);
  if (array->size() > kMaxTools) array_too_long("tools", kMaxTools, array->size());
  tools.reserve(array->size());
  for (std::size_t i = 0; i < array->size(); ++i) tools.push_back(tool_from((*array)[i], i));
  return tools;
}

// Unrecognised choices fall back to "auto": the CLI can always decide for itself.
ToolChoice tool_choice_from(const json::object& body) {
  const auto* value = field(body, "tool_choice");
  if (value == nullptr) return {};
  if (const auto* mode = value->if_string()) {
    if (*mode == "none") return {.mode = ToolChoice::Mode::none, .function_name = {}};
    if (*mode == "required") return {.mode = ToolChoice::Mode::required, .function_name = {}};
    return {};
  }
  if (const auto* object = value->if_object()) {
    const auto* function = field(*object, "function");
    if (function != nullptr && function->is_object()) {
      std::string name = string_or_empty(function->get_object(), "name");
      if (!name.empty())
        return {.mode = ToolChoice::Mode::function, .function_name = std::move(name)};
    }
  }
  return {};
}

std::vector<std::string> stop_from(const json::object& body) {
  std::vector<std::string> stop;
  const auto* value = field(body, "stop");
  if (value == nullptr) return stop;
  const auto take = [&](const json::string& text, const std::string& param) {
    if (const auto length = length_in_characters(text); length > kMaxStopSequenceLength)
      string_too_long(param, kMaxStopSequenceLength, length);
    if (!text.empty()) stop.emplace_back(text);
  };
  if (const auto* text = value->if_string()) {
    take(*text, "stop");
  } else if (const auto* array = value->if_array()) {
    if (array->size() > kMaxStopSequences) array_too_long("stop", kMaxStopSequences, array->size());
    for (std::size_t i = 0; i < array->size(); ++i) {
      if (const auto* text = (*array)[i].if_string()) take(*text, indexed("stop", i));
    }
  }
  return stop;
}

std::string model_from(const json::object& body) {
  const auto* value = field(body, "model");
  if (value == nullptr) throw InvalidRequest("you must provide a model parameter", "model");
  if (!value->is_string()) wrong_type("model", "a string", *value);
  return std::string(value->get_string());
}

}  // namespace

InvalidRequest::InvalidRequest(const std::string& message, std::string param, std::string code)
    : std::runtime_error(message), param_(std::move(param)), code_(std::move(code)) {}

std::string_view role_name(Role role) {
  switch (role) {
    case Role::system:
      return "system";
    case Role::developer:
      return "developer";
    case Role::user:
      return "user";
    case Role::assistant:
      return "assistant";
    case Role::tool:
      return "tool";
    case Role::function:
      return "function";
  }
  return "user";
}

std::string text_of(const Message& message) {
  std::string text;
  for (const auto& part : message.content) {
    const auto* text_part = std::get_if<TextPart>(&part);
    if (text_part == nullptr) continue;
    if (!text.empty()) text += '\n';
    text += text_part->text;
  }
  return text;
}

ChatRequest parse_chat_request(const json::value& body) {
  const auto* object = body.if_object();
  if (object == nullptr) {
    throw InvalidRequest(
        "The request body must be a JSON object, but got " + std::string(type_name(body)) + ".",
        "");
  }
  ChatRequest request;
  request.model = model_from(*object);
  request.messages = messages_from(*object);
  require_tool_responses(request.messages);
  request.tools = tools_from(*object);
  request.tool_choice = tool_choice_from(*object);
  request.parallel_tool_calls = bool_field(*object, "parallel_tool_calls").value_or(true);
  request.max_tokens = integer_field(*object, "max_completion_tokens");
  if (!request.max_tokens) request.max_tokens = integer_field(*object, "max_tokens");
  request.stop = stop_from(*object);
  request.user = string_or_empty(*object, "user");
  if (auto effort = string_or_empty(*object, "reasoning_effort"); !effort.empty()) {
    request.reasoning_effort = std::move(effort);
  }
  request.stream = bool_field(*object, "stream").value_or(false);
  if (const auto* options = field(*object, "stream_options");
      options != nullptr && options->is_object()) {
    request.include_usage = bool_field(options->get_object(), "include_usage").value_or(false);
  }
  return request;
}

ChatRequest parse_chat_request_body(std::string_view body, std::size_t max_depth) {
  json::parse_options options;
  options.max_depth = max_depth;
  boost::system::error_code ec;
  const json::value parsed = json::parse(body, ec, {}, options);
  if (ec == json::error::too_deep) {
    throw InvalidRequest(
        "The JSON body of your request is nested too deeply: this server accepts "
        "at most " +
            std::to_string(max_depth) + " levels of arrays and objects (MAX_JSON_DEPTH).",
        "", "json_too_deep");
  }
  if (ec) {
    throw InvalidRequest("We could not parse the JSON body of your request (" + ec.message() + ").",
                         "");
  }
  if (!translate::numbers_are_finite(parsed)) {  // would reach the CLI as `Infinity`
    throw InvalidRequest(
        "We could not parse the JSON body of your request (a number is too large for a double).",
        "");
  }
  return parse_chat_request(parsed);
}

}  // namespace ccgate::openai
