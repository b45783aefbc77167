// The request translation as it was before the OpenAI body was written straight into a string
// (main 55f9d2b, src/translate/request.cpp, unchanged but for its name): it builds the body as
// a json::object. The oracle of translate_request_equivalence_test.cpp, nothing else.

#include "translate_request_dom_oracle.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <string>
#include <string_view>

#include "translate/json_access.hpp"
#include "translate/thinking_signature.hpp"

namespace ccgate::translate::dom_oracle {

namespace {

constexpr std::string_view kBillingHeaderPrefix = "x-anthropic-billing-header:";
constexpr std::string_view kNoToolOutput = "(no content)";
constexpr std::size_t kMaxUserIdLength = 64;
constexpr std::string_view kDeferredToolPlaceholder = "DeferredToolPlaceholder";

json::object text_part(std::string_view text) {
  return json::object{{"type", "text"}, {"text", text}};
}

bool is_prompt_text(std::string_view text) {
  return !text.empty() && !text.starts_with(kBillingHeaderPrefix);
}

// A system prompt: a string, or blocks whose text blocks are joined.
std::string system_text(const json::value& content) {
  if (const auto* text = content.if_string()) {
    return is_prompt_text(*text) ? std::string(*text) : std::string();
  }
  std::string joined;
  if (const auto* blocks = content.if_array()) {
    for (const auto& item : *blocks) {
      const auto* block = item.if_object();
      if (block == nullptr || string_or_empty(*block, "type") != "text") continue;
      const std::string_view text = string_or_empty(*block, "text");
      if (!is_prompt_text(text)) continue;
      if (!joined.empty()) joined.append("\n\n");
      joined.append(text);
    }
  }
  return joined;
}

void append_system_message(json::array& messages, const json::value& content) {
  std::string text = system_text(content);
  if (text.empty()) return;
  messages.push_back(json::object{{"role", "system"}, {"content", std::move(text)}});
}

void append_image_part(const json::object& block, json::array& parts) {
  const auto* source = object_at(block, "source");
  if (source == nullptr) return;
  const std::string_view kind = string_or_empty(*source, "type");
  json::string url;  // not std::string: a base64 image is large, and this avoids one copy
  if (kind == "base64") {
    url.append("data:").append(string_or_empty(*source, "media_type")).append(";base64,");
    url.append(string_or_empty(*source, "data"));
  } else if (kind == "url") {
    url = string_or_empty(*source, "url");
  }
  if (url.empty()) return;
  parts.push_back(
      json::object{{"type", "image_url"}, {"image_url", json::object{{"url", std::move(url)}}}});
}

std::string search_result_text(const json::object& block) {
  std::string text(string_or_empty(block, "title"));
  if (const std::string_view source = string_or_empty(block, "source"); !source.empty()) {
    if (!text.empty()) text.push_back('\n');
    text.append("Source: ").append(source);
  }
  if (const auto* content = array_at(block, "content")) {
    for (const auto& item : *content) {
      const auto* inner = item.if_object();
      if (inner == nullptr) continue;
      const std::string_view piece = string_or_empty(*inner, "text");
      if (piece.empty()) continue;
      if (!text.empty()) text.push_back('\n');
      text.append(piece);
    }
  }
  return text;
}

void append_part(const json::object& block, json::array& parts);

void append_document_parts(const json::object& block, json::array& parts) {
  const auto* source = object_at(block, "source");
  if (source == nullptr) return;
  const std::string_view kind = string_or_empty(*source, "type");
  const std::string_view title = string_or_empty(block, "title");
  if (kind == "text") {
    const std::string_view data = string_or_empty(*source, "data");
    std::string text(title);
    if (!text.empty() && !data.empty()) text.append("\n\n");
    text.append(data);
    if (!text.empty()) parts.push_back(text_part(text));
  } else if (kind == "base64") {
    std::string_view media_type = string_or_empty(*source, "media_type");
    if (media_type.empty()) media_type = "application/pdf";
    json::string file_data = "data:";
    file_data.append(media_type).append(";base64,").append(string_or_empty(*source, "data"));
    parts.push_back(
        json::object{{"type", "file"},
                     {"file", json::object{{"filename", title.empty() ? "document.pdf" : title},
                                           {"file_data", std::move(file_data)}}}});
  } else if (kind == "url") {
    const std::string_view url = string_or_empty(*source, "url");
    if (!url.empty()) parts.push_back(text_part("Document: " + std::string(url)));
  } else if (kind == "content") {
    if (!title.empty()) parts.push_back(text_part(title));
    if (const auto* inner = array_at(*source, "content")) {
      for (const auto& item : *inner) {
        if (const auto* inner_block = item.if_object()) append_part(*inner_block, parts);
      }
    }
  }
}

// One content block of a user message (or of a tool result) → OpenAI content parts.
void append_part(const json::object& block, json::array& parts) {
  const std::string_view type = string_or_empty(block, "type");
  if (type == "text") {
    const std::string_view text = string_or_empty(block, "text");
    if (!text.empty()) parts.push_back(text_part(text));
  } else if (type == "image") {
    append_image_part(block, parts);
  } else if (type == "document") {
    append_document_parts(block, parts);
  } else if (type == "search_result") {
    std::string text = search_result_text(block);
    if (!text.empty()) parts.push_back(text_part(text));
  } else if (type == "tool_reference") {
    const std::string_view tool_name = string_or_empty(block, "tool_name");
    if (!tool_name.empty()) parts.push_back(text_part("Tool available: " + std::string(tool_name)));
  }
}

bool is_text_part(const json::value& part) {
  return part.as_object().at("type").as_string() == "text";
}

// A tool_result → the tool message's text; its images and files go to media_parts, each behind a
// marker naming the call, because a tool message can carry only text.
std::string tool_result_text(const json::object& block, json::array& media_parts) {
  json::array parts;
  const json::value* content = block.if_contains("content");
  if (content != nullptr) {
    if (const auto* text = content->if_string()) {
      if (!text->empty()) parts.push_back(text_part(*text));
    } else if (const auto* single = content->if_object()) {
      append_part(*single, parts);
    } else if (const auto* blocks = content->if_array()) {
      for (const auto& item : *blocks) {
        if (const auto* inner = item.if_object()) append_part(*inner, parts);
      }
    }
  }
  const std::string_view tool_use_id = string_or_empty(block, "tool_use_id");
  std::string text;
  for (auto& part : parts) {
    if (is_text_part(part)) {
      if (!text.empty()) text.push_back('\n');
      text.append(part.as_object().at("text").as_string());
      continue;
    }
    const bool image = part.as_object().at("type").as_string() == "image_url";
    std::string marker = image ? "[image" : "[document";
    marker.append(" from tool result ").append(tool_use_id).append("]");
    media_parts.push_back(text_part(marker));
    media_parts.push_back(std::move(part));
  }
  if (text.empty()) text = kNoToolOutput;
  if (const auto* is_error = block.if_contains("is_error");
      is_error && is_error->is_bool() && is_error->get_bool()) {
    text.insert(0, "Error: ");
  }
  return text;
}

json::value user_content(json::array parts) {
  if (parts.size() == 1 && is_text_part(parts.front())) {
    return parts.front().as_object().at("text");
  }
  return parts;
}

// Tool results become tool messages placed first (they must follow the assistant's tool_calls);
// the rest of the message follows as one user message.
void append_user_messages(json::array& messages, const json::value& content) {
  if (const auto* text = content.if_string()) {
    if (!text->empty()) messages.push_back(json::object{{"role", "user"}, {"content", *text}});
    return;
  }
  const auto* blocks = content.if_array();
  if (blocks == nullptr) return;
  json::array parts;
  for (const auto& item : *blocks) {
    const auto* block = item.if_object();
    if (block == nullptr) continue;
    if (string_or_empty(*block, "type") == "tool_result") {
      std::string text = tool_result_text(*block, parts);
      messages.push_back(json::object{{"role", "tool"},
                                      {"tool_call_id", string_or_empty(*block, "tool_use_id")},
                                      {"content", std::move(text)}});
    } else {
      append_part(*block, parts);
    }
  }
  if (parts.empty()) return;
  messages.push_back(json::object{{"role", "user"}, {"content", user_content(std::move(parts))}});
}

json::object tool_call_from(const json::object& tool_use) {
  const auto* input = tool_use.if_contains("input");
  return json::object{
      {"id", string_or_empty(tool_use, "id")},
      {"type", "function"},
      {"function", json::object{{"name", string_or_empty(tool_use, "name")},
                                {"arguments", input ? json::serialize(*input) : "{}"}}}};
}

void append_assistant_message(json::array& messages, const json::value& content) {
  if (const auto* text = content.if_string()) {
    if (!text->empty()) {
      messages.push_back(json::object{{"role", "assistant"}, {"content", *text}});
    }
    return;
  }
  const auto* blocks = content.if_array();
  if (blocks == nullptr) return;
  std::string text;
  std::string reasoning;
  json::array tool_calls;
  for (const auto& item : *blocks) {
    const auto* block = item.if_object();
    if (block == nullptr) continue;
    const std::string_view type = string_or_empty(*block, "type");
    if (type == "text") {
      const std::string_view piece = string_or_empty(*block, "text");
      if (piece.empty()) continue;
      if (!text.empty()) text.append("\n\n");
      text.append(piece);
    } else if (type == "tool_use") {
      tool_calls.push_back(tool_call_from(*block));
    } else if (type == "thinking" &&
               is_own_thinking_signature(string_or_empty(*block, "signature"))) {
      reasoning.append(string_or_empty(*block, "thinking"));
    }
  }
  if (text.empty() && tool_calls.empty()) return;
  json::object message{{"role", "assistant"}};
  message["content"] = text.empty() ? json::value(nullptr) : json::value(text);
  if (!reasoning.empty()) message["reasoning_content"] = reasoning;
  if (!tool_calls.empty()) message["tool_calls"] = std::move(tool_calls);
  messages.push_back(std::move(message));
}

json::array translate_messages(const json::object& request, const json::array& input) {
  json::array messages;
  if (const auto* system = request.if_contains("system")) append_system_message(messages, *system);
  for (const auto& item : input) {
    const auto* message = item.if_object();
    if (message == nullptr) continue;
    const std::string_view role = string_or_empty(*message, "role");
    const json::value* content = message->if_contains("content");
    if (content == nullptr) continue;
    if (role == "user") {
      append_user_messages(messages, *content);
    } else if (role == "assistant") {
      append_assistant_message(messages, *content);
    } else if (role == "system") {
      append_system_message(messages, *content);
    }
  }
  return messages;
}

json::array translate_tools(const json::array& tools) {
  json::array functions;
  for (const auto& item : tools) {
    const auto* tool = item.if_object();
    if (tool == nullptr) continue;
    const auto* schema = tool->if_contains("input_schema");
    if (schema == nullptr || !schema->is_object()) continue;
    if (string_or_empty(*tool, "name") == kDeferredToolPlaceholder) continue;
    json::object function{{"name", string_or_empty(*tool, "name")}};
    if (const auto* description = string_at(*tool, "description")) {
      function["description"] = *description;
    }
    function["parameters"] = *schema;
    functions.push_back(json::object{{"type", "function"}, {"function", std::move(function)}});
  }
  return functions;
}

std::optional<json::value> translate_tool_choice(const json::object& choice) {
  const std::string_view type = string_or_empty(choice, "type");
  if (type == "auto") return json::value("auto");
  if (type == "any") return json::value("required");
  if (type == "none") return json::value("none");
  if (type == "tool") {
    return json::value(
        json::object{{"type", "function"},
                     {"function", json::object{{"name", string_or_empty(choice, "name")}}}});
  }
  return std::nullopt;
}

void add_tools(const json::object& request, json::object& body) {
  const auto* tools = array_at(request, "tools");
  if (tools == nullptr) return;
  json::array functions = translate_tools(*tools);
  if (functions.empty()) return;
  body["tools"] = std::move(functions);
  const auto* choice = object_at(request, "tool_choice");
  if (choice == nullptr) return;
  if (auto translated = translate_tool_choice(*choice))
    body["tool_choice"] = std::move(*translated);
  if (const auto* disable = choice->if_contains("disable_parallel_tool_use");
      disable && disable->is_bool() && disable->get_bool()) {
    body["parallel_tool_calls"] = false;
  }
}

std::optional<std::string> effort_for_budget(const json::object& thinking) {
  const auto budget = integer_at(thinking, "budget_tokens");
  if (!budget) return "medium";  // enabled without a budget: the providers' own default
  if (*budget < 4096) return "low";
  if (*budget < 16384) return "medium";
  return "high";
}

std::optional<std::string> adaptive_effort(const json::object& request) {
  const auto* output_config = object_at(request, "output_config");
  if (output_config == nullptr) return std::nullopt;
  const std::string_view effort = string_or_empty(*output_config, "effort");
  if (effort == "low" || effort == "medium" || effort == "high") return std::string(effort);
  if (effort == "max" || effort == "xhigh") return "high";
  return std::nullopt;
}

std::optional<std::string> reasoning_effort(const json::object& request) {
  const auto* thinking = object_at(request, "thinking");
  if (thinking == nullptr) return std::nullopt;
  const std::string_view type = string_or_empty(*thinking, "type");
  if (type == "enabled") return effort_for_budget(*thinking);
  if (type == "adaptive") return adaptive_effort(request);
  if (type.empty()) {  // the pre-2025 shape {"enabled": true, "budget_tokens": …}
    const auto* enabled = thinking->if_contains("enabled");
    if (enabled && enabled->is_bool() && enabled->get_bool()) return effort_for_budget(*thinking);
  }
  return std::nullopt;
}

// ---- validation: what the real API rejects is rejected here, before anything is translated ----

[[noreturn]] void reject(std::string message) {
  throw InvalidRequest(std::move(message));
}

// Where a value sits in the request ("messages.1.content.0.type"), spelled out only for an
// error message: checking a valid request allocates nothing.
class Path {
 public:
  explicit Path(std::string_view root = {}) : field_(root) {}  // empty: the request itself
  Path operator[](std::size_t index) const { return Path(this, {}, index); }
  Path operator/(std::string_view field) const { return Path(this, field, 0); }

  std::string str() const {
    if (parent_ == nullptr) return std::string(field_);
    std::string out = parent_->str();
    if (!out.empty()) out.push_back('.');
    if (field_.empty())
      out.append(std::to_string(index_));
    else
      out.append(field_);
    return out;
  }

 private:
  Path(const Path* parent, std::string_view field, std::size_t index)
      : parent_(parent), field_(field), index_(index) {}

  const Path* parent_ = nullptr;
  std::string_view field_;  // empty: an index
  std::size_t index_ = 0;
};

[[noreturn]] void reject(const Path& path, std::string_view problem) {
  reject(path.str() + ": " + std::string(problem));
}

const json::object& require_object(const json::value& value, const Path& path) {
  const auto* object = value.if_object();
  if (object == nullptr) reject(path, "Input should be a valid dictionary");
  return *object;
}

const json::array& require_list(const json::value& value, const Path& path) {
  const auto* list = value.if_array();
  if (list == nullptr) reject(path, "Input should be a valid list");
  return *list;
}

const json::value& require_field(const json::object& object, std::string_view key,
                                 const Path& parent) {
  const auto* value = object.if_contains(key);
  if (value == nullptr) reject(parent / key, "Field required");
  return *value;
}

const json::string& require_string(const json::object& object, std::string_view key,
                                   const Path& parent) {
  const auto* text = require_field(object, key, parent).if_string();
  if (text == nullptr) reject(parent / key, "Input should be a valid string");
  return *text;
}

const json::string& require_name(const json::object& object, std::string_view key,
                                 const Path& parent) {
  const json::string& name = require_string(object, key, parent);
  if (name.empty()) reject(parent / key, "String should have at least 1 character");
  return name;
}

void check_optional_type(const json::object& object, std::string_view key, const Path& parent,
                         bool (json::value::*is_type)() const noexcept, std::string_view type) {
  const auto* value = object.if_contains(key);
  if (value != nullptr && !(value->*is_type)())
    reject(parent / key, "Input should be a valid " + std::string(type));
}

// A content block: an object with a type. Unknown types pass (Claude Code sends new ones before
// any proxy knows them); the fields the translation relies on are checked for the known ones.
void check_block(const json::value& item, const Path& path) {
  const json::object& block = require_object(item, path);
  const json::string& type = require_string(block, "type", path);
  if (type == "text") {
    require_string(block, "text", path);
  } else if (type == "tool_use") {
    require_name(block, "id", path);
    require_name(block, "name", path);
    check_optional_type(block, "input", path, &json::value::is_object, "dictionary");
  } else if (type == "tool_result") {
    require_name(block, "tool_use_id", path);
  }
}

// content: a string or a list of blocks.
void check_content(const json::value& content, const Path& path, std::string_view expected) {
  if (content.is_string()) return;
  const auto* blocks = content.if_array();
  if (blocks == nullptr) reject(path, "Input should be a valid string or " + std::string(expected));
  for (std::size_t i = 0; i < blocks->size(); ++i) check_block((*blocks)[i], path[i]);
}

const json::array& check_messages(const json::object& request) {
  const Path root("messages");
  const json::array& messages = require_list(require_field(request, "messages", Path()), root);
  if (messages.empty()) reject(root, "at least one message is required");
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const Path path = root[i];
    const json::object& message = require_object(messages[i], path);
    const json::string& role = require_string(message, "role", path);
    // "system" is not in the public API, but Claude Code sends it inside messages.
    if (role != "user" && role != "assistant" && role != "system")
      reject(path / "role", "Input should be 'user' or 'assistant'");
    check_content(require_field(message, "content", path), path / "content",
                  "a list of content blocks");
  }
  return messages;
}

void check_system(const json::object& request) {
  if (const auto* system = request.if_contains("system"))
    check_content(*system, Path("system"), "a list of text blocks");
}

// Tools without input_schema are Anthropic server tools (web_search, …): valid, but not
// forwarded (see the rules at the top).
bool is_forwarded_tool(const json::object& tool) {
  return tool.contains("input_schema") && string_or_empty(tool, "name") != kDeferredToolPlaceholder;
}

void check_tools(const json::object& request) {
  const auto* value = request.if_contains("tools");
  if (value == nullptr) return;
  const Path root("tools");
  const json::array& tools = require_list(*value, root);
  for (std::size_t i = 0; i < tools.size(); ++i) {
    const Path path = root[i];
    const json::object& tool = require_object(tools[i], path);
    // The MCP connector's toolset is the one tool the API takes without a name (not forwarded).
    if (string_or_empty(tool, "type") != "mcp_toolset") require_name(tool, "name", path);
    check_optional_type(tool, "input_schema", path, &json::value::is_object, "dictionary");
  }
}

const json::object* tool_named(const json::object& request, std::string_view name) {
  if (const auto* tools = array_at(request, "tools")) {
    for (const auto& item : *tools) {
      const auto& tool = item.as_object();  // check_tools ran first
      if (string_or_empty(tool, "name") == name) return &tool;
    }
  }
  return nullptr;
}

void check_tool_choice(const json::object& request) {
  const auto* value = request.if_contains("tool_choice");
  if (value == nullptr) return;
  const Path path("tool_choice");
  const json::object& choice = require_object(*value, path);
  const json::string& type = require_string(choice, "type", path);
  if (type == "auto" || type == "any" || type == "none") return;
  if (type != "tool")
    reject(path / "type", "Input tag '" + std::string(type) +
                              "' found using 'type' does not match any of the expected tags: "
                              "'auto', 'any', 'tool', 'none'");
  const json::string& name = require_name(choice, "name", path);
  const json::object* tool = tool_named(request, name);
  if (tool == nullptr)
    reject(path / "name", "tool '" + std::string(name) + "' is not among the tools offered");
  if (!is_forwarded_tool(*tool))
    reject(path / "name", "tool '" + std::string(name) +
                              "' is a server tool, which the upstream provider cannot run");
}

std::string check_model(const json::object& request) {
  return std::string(require_name(request, "model", Path()));
}

// An integer from 1 to kMaxTokensBound. A double counts only when it is a whole number in
// range (every such double is exact); a 20-digit number is out of range, not clamped.
std::int64_t check_max_tokens(const json::object& request) {
  const Path path("max_tokens");
  const json::value& value = require_field(request, "max_tokens", Path());
  if (!value.is_number()) reject(path, "Input should be a valid integer");
  if (const auto* number = value.if_double(); number && std::trunc(*number) != *number)
    reject(path, "Input should be a valid integer, got a number with a fractional part");
  const double approximate = value.to_number<double>();
  if (approximate < 1) reject(path, "Input should be greater than or equal to 1");
  if (approximate > static_cast<double>(kMaxTokensBound) ||
      (value.is_uint64() && value.get_uint64() > kMaxTokensBound))
    reject(path, "Input should be less than or equal to " + std::to_string(kMaxTokensBound));
  return value.is_double() ? static_cast<std::int64_t>(value.get_double())
                           : value.to_number<std::int64_t>();
}

void check_sampling(const json::object& request) {
  const Path root("");
  check_optional_type(request, "stream", root, &json::value::is_bool, "boolean");
  check_optional_type(request, "temperature", root, &json::value::is_number, "number");
  check_optional_type(request, "top_p", root, &json::value::is_number, "number");
  const auto* stops = request.if_contains("stop_sequences");
  if (stops == nullptr) return;
  const Path path("stop_sequences");
  const json::array& list = require_list(*stops, path);
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_string()) reject(path[i], "Input should be a valid string");
  }
}

// What the upstream would receive is not a conversation: every message was empty or held only
// blocks that have no counterpart (see the rules at the top).
void check_something_to_send(const json::array& messages) {
  for (const auto& message : messages) {
    if (message.as_object().at("role").as_string() != "system") return;
  }
  reject(
      "messages: no message has content to send upstream (each is empty or holds only blocks "
      "with no Chat Completions counterpart, such as thinking or server tool results)");
}

std::int64_t clamped(std::int64_t tokens, const RequestOptions& options) {
  if (options.min_tokens_limit) tokens = std::max(tokens, *options.min_tokens_limit);
  if (options.max_tokens_limit) tokens = std::min(tokens, *options.max_tokens_limit);
  return tokens;
}

// The target's quirks, applied to the finished body by taking out what the model does not
// accept (stable_erase keeps the order of the keys left).
void apply_quirks(const ModelQuirks& quirks, json::object& body) {
  if (quirks.max_output_tokens && *quirks.max_output_tokens >= 1) {
    for (const std::string_view key : {"max_tokens", "max_completion_tokens"}) {
      if (auto* tokens = body.if_contains(key))
        *tokens = std::min(tokens->as_int64(), *quirks.max_output_tokens);
    }
  }
  if (!quirks.tool_choice) body.stable_erase("tool_choice");
  if (!quirks.tool_choice || !quirks.parallel_tool_calls) body.stable_erase("parallel_tool_calls");
  if (!quirks.stream_options) body.stable_erase("stream_options");
  if (!quirks.reasoning_round_trip) {
    for (auto& message : body["messages"].as_array())
      message.as_object().stable_erase("reasoning_content");
  }
}

std::vector<std::string> stop_sequences_of(const json::object& request) {
  std::vector<std::string> sequences;
  if (const auto* stops = array_at(request, "stop_sequences")) {
    for (const auto& item : *stops) {
      if (const auto* text = item.if_string(); text && !text->empty()) {
        sequences.emplace_back(*text);
      }
    }
  }
  return sequences;
}

void copy_number(const json::object& request, std::string_view key, json::object& body) {
  if (const auto* value = request.if_contains(key); value && value->is_number()) {
    body[key] = *value;
  }
}

}  // namespace

DomTranslatedRequest to_openai_request_dom(const json::value& anthropic_request,
                                           const RequestOptions& options,
                                           const UpstreamModel& target) {
  const auto* request = anthropic_request.if_object();
  if (request == nullptr) reject("request body must be a JSON object");

  DomTranslatedRequest translated;
  translated.client_model = check_model(*request);
  const std::int64_t max_tokens = clamped(check_max_tokens(*request), options);
  const json::array& input_messages = check_messages(*request);
  check_system(*request);
  check_tools(*request);
  check_tool_choice(*request);
  check_sampling(*request);
  translated.upstream_model = target.name;
  const bool reasoning_model = target.quirks.reasoning;

  json::object& body = translated.body;
  body["model"] = translated.upstream_model;
  body["messages"] = translate_messages(*request, input_messages);
  check_something_to_send(body["messages"].as_array());
  body[reasoning_model ? "max_completion_tokens" : "max_tokens"] = max_tokens;
  if (!reasoning_model) {
    copy_number(*request, "temperature", body);
    copy_number(*request, "top_p", body);
  }
  translated.stop_sequences = stop_sequences_of(*request);
  if (!translated.stop_sequences.empty()) {
    body["stop"] = json::value_from(translated.stop_sequences);
  }
  if (const auto* metadata = object_at(*request, "metadata")) {
    if (const auto* user = string_at(*metadata, "user_id");
        user && !user->empty() && user->size() <= kMaxUserIdLength) {
      body["user"] = *user;
    }
  }
  add_tools(*request, body);
  if (reasoning_model) {
    if (auto effort = reasoning_effort(*request)) body["reasoning_effort"] = *effort;
  }
  if (const auto* stream = request->if_contains("stream");
      stream && stream->is_bool() && stream->get_bool()) {
    translated.stream = true;
    body["stream"] = true;
    body["stream_options"] = json::object{{"include_usage", true}};
  }
  apply_quirks(target.quirks, body);
  return translated;
}

}  // namespace ccgate::translate::dom_oracle
