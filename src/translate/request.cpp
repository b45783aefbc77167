// Anthropic Messages request → OpenAI Chat Completions request.
//
// Validation (InvalidRequest → 400 invalid_request_error, nothing goes upstream): what the real
// API rejects, with its wording ("<path>: Field required", "<path>: Input should be …"), where
// <path> names the field as the API does ("messages.1.role"):
//  - model: a non-empty string. max_tokens: an integer from 1 to kMaxTokensBound (a double
//    counts when it is a whole number; a 20-digit number is out of range, never clamped).
//  - messages: a non-empty list of objects; role "user" or "assistant" ("system" too, which
//    Claude Code sends inside messages); content a string or a list of blocks. A block is an
//    object with a string type; text needs its text, tool_use its id, name (and an object
//    input, if any), tool_result its tool_use_id. Other block types pass unchecked.
//  - system: a string or a list of blocks. tools: a list of objects with a non-empty name (an
//    MCP connector's mcp_toolset has none) and, if any, an object input_schema. tool_choice: an
//    object of type auto, any, none, or tool with the name of an offered tool that is forwarded
//    (not a server tool).
//  - stream a boolean, temperature and top_p numbers, stop_sequences a list of strings.
//  - after translation, at least one user, assistant or tool message is left to send.
// Unknown top-level keys and unknown block types are tolerated: Claude Code sends new ones
// before any proxy knows them. count_tokens checks model, messages, system and tools.
//
// Written rules: what has no counterpart in Chat Completions is dropped, on purpose.
//  - Request keys: top_k (no OpenAI parameter), context_management, container, mcp_servers,
//    service_tier, betas (Anthropic platform features), output_config (only its effort is read,
//    for adaptive thinking), cache_control anywhere (OpenAI caches prompts on its own), metadata
//    other than user_id, and any unknown key.
//  - metadata.user_id longer than 64 characters: OpenAI rejects a longer "user" (OpenRouter
//    allows 128), and Claude Code's is a JSON object of about 150.
//  - thinking is sent (as reasoning_effort) only to reasoning models; others reject the key.
//  - temperature and top_p are not sent to reasoning models: they reject any value but the
//    default.
//  - What the target model does not accept (its ModelQuirks, from the provider preset or the
//    configuration file): max_tokens above max_output_tokens is clamped down to it, after
//    MIN/MAX_TOKENS_LIMIT (the model's ceiling wins over MIN_TOKENS_LIMIT: above it the upstream
//    answers 400); tool_choice (and with it parallel_tool_calls) is not sent when tool_choice is
//    false, so a forced choice ("any", "tool") becomes the model's own choice; parallel_tool_calls
//    is not sent when parallel_tool_calls is false; a stream is asked for without stream_options
//    when stream_options is false (the answer then carries no usage, and message_delta reports
//    output_tokens 0); reasoning models take max_completion_tokens and reasoning_effort.
//  - System text blocks starting with "x-anthropic-billing-header:" are Claude Code metadata, not
//    prompt.
//  - Content blocks: thinking and redacted_thinking (Chat Completions has no place for them,
//    in either role), server_tool_use and every *_tool_result other than tool_result (their
//    server tools are not forwarded), container_upload, documents and images whose source is a
//    file id (the upstream cannot resolve Anthropic file ids), and unknown types. A
//    tool_reference inside a tool result (ToolSearch) becomes a line of text: deferred tools are
//    forwarded as ordinary functions, so the model can call the tool it names.
//  - Except: an assistant's thinking blocks that ccgate made from an upstream's
//    reasoning_content (signed with the mark of thinking_signature.hpp) go back as that
//    message's reasoning_content, joined as they came, on every assistant message of the
//    history, not only those after the last user text. What the providers document:
//    DeepSeek's thinking mode (api-docs.deepseek.com/guides/thinking_mode): between two user
//    messages, reasoning_content of a turn that made tool calls must be passed back in all
//    later requests (else 400 "The reasoning_content in the thinking mode must be passed back");
//    that of a turn without tool calls is ignored. Kimi (platform.moonshot.ai, "Using thinking
//    models"): keep reasoning_content in the context on every assistant message. So sending it
//    on every message is right for both, and cutting at the last user text would break
//    DeepSeek. DeepSeek's older R1 guide (deepseek-reasoner, no tool calling) answered 400 to
//    any reasoning_content in the input: such a model has reasoning_round_trip false, and its
//    own thinking is dropped like a foreign block. Reasoning alone does not keep a message that
//    says nothing else.
//  - Tools without input_schema are Anthropic server tools (web_search, code_execution, …): the
//    upstream cannot run them. Tool keys other than name/description/input_schema are dropped.
//    Claude Code's "DeferredToolPlaceholder" stands for tools loaded later; it is not a tool.
//  - A message left with nothing to say is omitted: providers reject empty content. (The real
//    API rejects an empty message; Claude Code has been seen sending one, and omitting it
//    serves the user better than refusing the turn.)

#include "translate/request.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <span>
#include <string>
#include <string_view>

#include "translate/json_access.hpp"
#include "translate/json_text.hpp"
#include "translate/thinking_signature.hpp"

namespace ccgate::translate {

namespace {

constexpr std::string_view kBillingHeaderPrefix = "x-anthropic-billing-header:";
constexpr std::string_view kNoToolOutput = "(no content)";
constexpr std::size_t kMaxUserIdLength = 64;
constexpr std::string_view kDeferredToolPlaceholder = "DeferredToolPlaceholder";

bool is_prompt_text(std::string_view text) {
  return !text.empty() && !text.starts_with(kBillingHeaderPrefix);
}

// ---- the OpenAI body, written as it is translated ----
//
// The body goes straight into one string: no second DOM, no serialize pass. Every text is
// written from pieces of the parsed request (views into its arena) and literals, so a
// megabyte of history is copied once, into the output.

// The content parts of one message (or of one tool result): each part's text, image URL or
// file data is the concatenation of a range of pieces.
class Parts {
 public:
  enum class Kind { text, image, file };
  struct Part {
    Kind kind = Kind::text;
    std::size_t begin = 0;  // [begin, end) in pieces_
    std::size_t end = 0;
    std::string_view filename;  // a file's
  };

  void clear() {
    parts_.clear();
    pieces_.clear();
  }
  bool empty() const { return parts_.empty(); }
  std::size_t size() const { return parts_.size(); }
  const std::vector<Part>& list() const { return parts_; }
  std::span<const std::string_view> content(const Part& part) const {
    return std::span(pieces_).subspan(part.begin, part.end - part.begin);
  }

  // A part is built by start(), its pieces by append(), and finish() drops it if it says nothing
  // (providers reject empty content).
  void start(Kind kind, std::string_view filename = {}) {
    parts_.push_back({kind, pieces_.size(), pieces_.size(), filename});
  }
  void append(std::string_view piece) {
    if (piece.empty()) return;
    pieces_.push_back(piece);
    parts_.back().end = pieces_.size();
  }
  bool current_empty() const { return parts_.back().begin == parts_.back().end; }
  void finish() {
    if (!current_empty()) return;
    parts_.pop_back();
  }

  void add_text(std::string_view text) {
    start(Kind::text);
    append(text);
    finish();
  }
  void add_copy(const Parts& other, const Part& part) {
    start(part.kind, part.filename);
    for (const std::string_view piece : other.content(part)) append(piece);
    finish();
  }

 private:
  std::vector<Part> parts_;
  std::vector<std::string_view> pieces_;
};

void append_image_part(const json::object& block, Parts& parts) {
  const auto* source = object_at(block, "source");
  if (source == nullptr) return;
  const std::string_view kind = string_or_empty(*source, "type");
  if (kind == "base64") {
    parts.start(Parts::Kind::image);
    parts.append("data:");
    parts.append(string_or_empty(*source, "media_type"));
    parts.append(";base64,");
    parts.append(string_or_empty(*source, "data"));
    parts.finish();
  } else if (kind == "url") {
    parts.start(Parts::Kind::image);
    parts.append(string_or_empty(*source, "url"));
    parts.finish();
  }
}

void append_search_result_part(const json::object& block, Parts& parts) {
  parts.start(Parts::Kind::text);
  parts.append(string_or_empty(block, "title"));
  if (const std::string_view source = string_or_empty(block, "source"); !source.empty()) {
    if (!parts.current_empty()) parts.append("\n");
    parts.append("Source: ");
    parts.append(source);
  }
  if (const auto* content = array_at(block, "content")) {
    for (const auto& item : *content) {
      const auto* inner = item.if_object();
      if (inner == nullptr) continue;
      const std::string_view piece = string_or_empty(*inner, "text");
      if (piece.empty()) continue;
      if (!parts.current_empty()) parts.append("\n");
      parts.append(piece);
    }
  }
  parts.finish();
}

void append_part(const json::object& block, Parts& parts);

void append_document_parts(const json::object& block, Parts& parts) {
  const auto* source = object_at(block, "source");
  if (source == nullptr) return;
  const std::string_view kind = string_or_empty(*source, "type");
  const std::string_view title = string_or_empty(block, "title");
  if (kind == "text") {
    const std::string_view data = string_or_empty(*source, "data");
    parts.start(Parts::Kind::text);
    parts.append(title);
    if (!title.empty() && !data.empty()) parts.append("\n\n");
    parts.append(data);
    parts.finish();
  } else if (kind == "base64") {
    std::string_view media_type = string_or_empty(*source, "media_type");
    if (media_type.empty()) media_type = "application/pdf";
    parts.start(Parts::Kind::file, title.empty() ? "document.pdf" : title);
    parts.append("data:");
    parts.append(media_type);
    parts.append(";base64,");
    parts.append(string_or_empty(*source, "data"));
    parts.finish();
  } else if (kind == "url") {
    if (const std::string_view url = string_or_empty(*source, "url"); !url.empty()) {
      parts.start(Parts::Kind::text);
      parts.append("Document: ");
      parts.append(url);
      parts.finish();
    }
  } else if (kind == "content") {
    parts.add_text(title);
    if (const auto* inner = array_at(*source, "content")) {
      for (const auto& item : *inner) {
        if (const auto* inner_block = item.if_object()) append_part(*inner_block, parts);
      }
    }
  }
}

// One content block of a user message (or of a tool result) → OpenAI content parts.
void append_part(const json::object& block, Parts& parts) {
  const std::string_view type = string_or_empty(block, "type");
  if (type == "text") {
    parts.add_text(string_or_empty(block, "text"));
  } else if (type == "image") {
    append_image_part(block, parts);
  } else if (type == "document") {
    append_document_parts(block, parts);
  } else if (type == "search_result") {
    append_search_result_part(block, parts);
  } else if (type == "tool_reference") {
    if (const std::string_view tool_name = string_or_empty(block, "tool_name");
        !tool_name.empty()) {
      parts.start(Parts::Kind::text);
      parts.append("Tool available: ");
      parts.append(tool_name);
      parts.finish();
    }
  }
}

// Writes the "messages" list, one message at a time; scratch lists are reused across messages.
class MessagesWriter {
 public:
  // reasoning_round_trip: ccgate's own thinking goes back as reasoning_content (else dropped).
  MessagesWriter(JsonText& out, bool reasoning_round_trip)
      : out_(out), reasoning_round_trip_(reasoning_round_trip) {}

  void write(const json::object& request, const json::array& input) {
    out_.raw("[");
    if (const auto* system = request.if_contains("system")) system_message(*system);
    for (const auto& item : input) {
      const auto* message = item.if_object();
      if (message == nullptr) continue;
      const std::string_view role = string_or_empty(*message, "role");
      const json::value* content = message->if_contains("content");
      if (content == nullptr) continue;
      if (role == "user") {
        user_messages(*content);
      } else if (role == "assistant") {
        assistant_message(*content);
      } else if (role == "system") {
        system_message(*content);
      }
    }
    out_.raw("]");
  }

  // Whether a user, assistant or tool message was written: only system ones is no conversation.
  bool wrote_conversation() const { return conversation_; }

 private:
  // Writes `{"role":"<role>"`; the caller writes the other keys and the closing brace.
  JsonText& open(std::string_view role) {
    out_.raw(first_ ? R"({"role":")" : R"(,{"role":")").raw(role).raw("\"");
    first_ = false;
    if (role != "system") conversation_ = true;
    return out_;
  }

  // A system prompt: a string, or blocks whose text blocks are joined.
  void system_message(const json::value& content) {
    text_.clear();
    if (const auto* text = content.if_string()) {
      if (is_prompt_text(*text)) text_.push_back(*text);
    } else if (const auto* blocks = content.if_array()) {
      for (const auto& item : *blocks) {
        const auto* block = item.if_object();
        if (block == nullptr || string_or_empty(*block, "type") != "text") continue;
        const std::string_view text = string_or_empty(*block, "text");
        if (!is_prompt_text(text)) continue;
        if (!text_.empty()) text_.push_back("\n\n");
        text_.push_back(text);
      }
    }
    if (text_.empty()) return;
    open("system").raw(R"(,"content":)").string(text_).raw("}");
  }

  // Tool results become tool messages placed first (they must follow the assistant's
  // tool_calls); the rest of the message follows as one user message.
  void user_messages(const json::value& content) {
    if (const auto* text = content.if_string()) {
      if (!text->empty()) open("user").raw(R"(,"content":)").string(*text).raw("}");
      return;
    }
    const auto* blocks = content.if_array();
    if (blocks == nullptr) return;
    parts_.clear();
    for (const auto& item : *blocks) {
      const auto* block = item.if_object();
      if (block == nullptr) continue;
      if (string_or_empty(*block, "type") == "tool_result") {
        tool_message(*block);
      } else {
        append_part(*block, parts_);
      }
    }
    if (parts_.empty()) return;
    open("user").raw(R"(,"content":)");
    const auto& list = parts_.list();
    if (list.size() == 1 && list.front().kind == Parts::Kind::text) {
      out_.string(parts_.content(list.front()));
    } else {
      out_.raw("[");
      for (std::size_t i = 0; i < list.size(); ++i) {
        if (i > 0) out_.raw(",");
        content_part(list[i]);
      }
      out_.raw("]");
    }
    out_.raw("}");
  }

  void content_part(const Parts::Part& part) {
    const auto content = parts_.content(part);
    switch (part.kind) {
      case Parts::Kind::text:
        out_.raw(R"({"type":"text","text":)").string(content).raw("}");
        break;
      case Parts::Kind::image:
        out_.raw(R"({"type":"image_url","image_url":{"url":)").string(content).raw("}}");
        break;
      case Parts::Kind::file:
        out_.raw(R"({"type":"file","file":{"filename":)")
            .string(part.filename)
            .raw(R"(,"file_data":)")
            .string(content)
            .raw("}}");
        break;
    }
  }

  // A tool_result → a tool message; its images and files go to the user message's parts, each
  // behind a marker naming the call, because a tool message can carry only text.
  void tool_message(const json::object& block) {
    tool_parts_.clear();
    if (const json::value* content = block.if_contains("content")) {
      if (const auto* text = content->if_string()) {
        tool_parts_.add_text(*text);
      } else if (const auto* single = content->if_object()) {
        append_part(*single, tool_parts_);
      } else if (const auto* blocks = content->if_array()) {
        for (const auto& item : *blocks) {
          if (const auto* inner = item.if_object()) append_part(*inner, tool_parts_);
        }
      }
    }
    const std::string_view tool_use_id = string_or_empty(block, "tool_use_id");
    text_.clear();
    if (const auto* is_error = block.if_contains("is_error");
        is_error && is_error->is_bool() && is_error->get_bool()) {
      text_.push_back("Error: ");
    }
    bool has_text = false;
    for (const auto& part : tool_parts_.list()) {
      if (part.kind == Parts::Kind::text) {
        if (has_text) text_.push_back("\n");
        const auto content = tool_parts_.content(part);
        text_.insert(text_.end(), content.begin(), content.end());
        has_text = true;
        continue;
      }
      parts_.start(Parts::Kind::text);
      parts_.append(part.kind == Parts::Kind::image ? "[image" : "[document");
      parts_.append(" from tool result ");
      parts_.append(tool_use_id);
      parts_.append("]");
      parts_.finish();
      parts_.add_copy(tool_parts_, part);
    }
    if (!has_text) text_.push_back(kNoToolOutput);
    open("tool")
        .raw(R"(,"tool_call_id":)")
        .string(tool_use_id)
        .raw(R"(,"content":)")
        .string(text_)
        .raw("}");
  }

  void assistant_message(const json::value& content) {
    if (const auto* text = content.if_string()) {
      if (!text->empty()) open("assistant").raw(R"(,"content":)").string(*text).raw("}");
      return;
    }
    const auto* blocks = content.if_array();
    if (blocks == nullptr) return;
    text_.clear();
    reasoning_.clear();
    tool_uses_.clear();
    for (const auto& item : *blocks) {
      const auto* block = item.if_object();
      if (block == nullptr) continue;
      const std::string_view type = string_or_empty(*block, "type");
      if (type == "text") {
        const std::string_view piece = string_or_empty(*block, "text");
        if (piece.empty()) continue;
        if (!text_.empty()) text_.push_back("\n\n");
        text_.push_back(piece);
      } else if (type == "tool_use") {
        tool_uses_.push_back(block);
      } else if (type == "thinking" && reasoning_round_trip_ &&
                 is_own_thinking_signature(string_or_empty(*block, "signature"))) {
        // Our blocks are pieces of one reasoning_content, cut where text came between.
        const std::string_view piece = string_or_empty(*block, "thinking");
        if (!piece.empty()) reasoning_.push_back(piece);
      }
    }
    if (text_.empty() && tool_uses_.empty()) return;
    open("assistant").raw(R"(,"content":)");
    if (text_.empty())
      out_.raw("null");
    else
      out_.string(text_);
    if (!reasoning_.empty()) out_.raw(R"(,"reasoning_content":)").string(reasoning_);
    if (!tool_uses_.empty()) {
      out_.raw(R"(,"tool_calls":[)");
      for (std::size_t i = 0; i < tool_uses_.size(); ++i) {
        if (i > 0) out_.raw(",");
        tool_call(*tool_uses_[i]);
      }
      out_.raw("]");
    }
    out_.raw("}");
  }

  void tool_call(const json::object& tool_use) {
    arguments_.clear();
    if (const auto* input = tool_use.if_contains("input"))
      JsonText(arguments_).value(*input);
    else
      arguments_ = "{}";
    out_.raw(R"({"id":)")
        .string(string_or_empty(tool_use, "id"))
        .raw(R"(,"type":"function","function":{"name":)")
        .string(string_or_empty(tool_use, "name"))
        .raw(R"(,"arguments":)")
        .string(arguments_)
        .raw("}}");
  }

  JsonText& out_;
  const bool reasoning_round_trip_;
  bool first_ = true;
  bool conversation_ = false;
  Parts parts_;       // the current user message's
  Parts tool_parts_;  // the current tool result's
  std::vector<std::string_view> text_;
  std::vector<std::string_view> reasoning_;  // the current assistant message's own thinking
  std::vector<const json::object*> tool_uses_;
  std::string arguments_;
};

void write_tool_choice(JsonText& out, const json::object& choice) {
  const std::string_view type = string_or_empty(choice, "type");
  if (type == "auto") {
    out.raw(R"(,"tool_choice":"auto")");
  } else if (type == "any") {
    out.raw(R"(,"tool_choice":"required")");
  } else if (type == "none") {
    out.raw(R"(,"tool_choice":"none")");
  } else if (type == "tool") {
    out.raw(R"(,"tool_choice":{"type":"function","function":{"name":)")
        .string(string_or_empty(choice, "name"))
        .raw("}}");
  }
}

void write_tools(JsonText& out, const json::object& request, const ModelQuirks& quirks) {
  const auto* tools = array_at(request, "tools");
  if (tools == nullptr) return;
  const std::size_t start = out.size();
  out.raw(R"(,"tools":[)");
  bool any = false;
  for (const auto& item : *tools) {
    const auto* tool = item.if_object();
    if (tool == nullptr) continue;
    const auto* schema = tool->if_contains("input_schema");
    if (schema == nullptr || !schema->is_object()) continue;
    if (string_or_empty(*tool, "name") == kDeferredToolPlaceholder) continue;
    out.raw(any ? "," : "")
        .raw(R"({"type":"function","function":{"name":)")
        .string(string_or_empty(*tool, "name"));
    if (const auto* description = string_at(*tool, "description"))
      out.raw(R"(,"description":)").string(*description);
    out.raw(R"(,"parameters":)").value(*schema).raw("}}");
    any = true;
  }
  if (!any) return out.truncate(start);
  out.raw("]");
  const auto* choice = object_at(request, "tool_choice");
  if (choice == nullptr || !quirks.tool_choice) return;
  write_tool_choice(out, *choice);
  if (const auto* disable = choice->if_contains("disable_parallel_tool_use");
      quirks.parallel_tool_calls && disable && disable->is_bool() && disable->get_bool()) {
    out.raw(R"(,"parallel_tool_calls":false)");
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
[[noreturn]] void reject_nothing_to_send() {
  reject(
      "messages: no message has content to send upstream (each is empty or holds only blocks "
      "with no Chat Completions counterpart, such as thinking or server tool results)");
}

// MIN/MAX_TOKENS_LIMIT, then the model's own ceiling, which wins: above it the upstream answers
// 400 whatever the deployment asked for.
std::int64_t clamped(std::int64_t tokens, const RequestOptions& options,
                     const ModelQuirks& quirks) {
  if (options.min_tokens_limit) tokens = std::max(tokens, *options.min_tokens_limit);
  if (options.max_tokens_limit) tokens = std::min(tokens, *options.max_tokens_limit);
  if (quirks.max_output_tokens && *quirks.max_output_tokens >= 1)
    tokens = std::min(tokens, *quirks.max_output_tokens);
  return tokens;
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

void write_number(JsonText& out, const json::object& request, std::string_view key) {
  if (const auto* value = request.if_contains(key); value && value->is_number()) {
    out.raw(",\"").raw(key).raw("\":").value(*value);
  }
}

}  // namespace

TranslatedRequest to_openai_request(const json::value& anthropic_request,
                                    const RequestOptions& options, const UpstreamModel& target,
                                    std::size_t request_size) {
  const auto* request = anthropic_request.if_object();
  if (request == nullptr) reject("request body must be a JSON object");

  const ModelQuirks& quirks = target.quirks;
  TranslatedRequest translated;
  translated.client_model = check_model(*request);
  const std::int64_t max_tokens = clamped(check_max_tokens(*request), options, quirks);
  const json::array& input_messages = check_messages(*request);
  check_system(*request);
  check_tools(*request);
  check_tool_choice(*request);
  check_sampling(*request);
  translated.upstream_model = target.name;
  const bool reasoning_model = quirks.reasoning;

  // The OpenAI body is about as long as the request: one allocation, not a doubling series.
  translated.body.reserve(request_size + request_size / 8 + 256);
  JsonText out(translated.body);
  out.raw(R"({"model":)").string(translated.upstream_model).raw(R"(,"messages":)");
  MessagesWriter messages(out, quirks.reasoning_round_trip);
  messages.write(*request, input_messages);
  if (!messages.wrote_conversation()) reject_nothing_to_send();
  out.raw(reasoning_model ? R"(,"max_completion_tokens":)" : R"(,"max_tokens":)")
      .integer(max_tokens);
  if (!reasoning_model) {
    write_number(out, *request, "temperature");
    write_number(out, *request, "top_p");
  }
  translated.stop_sequences = stop_sequences_of(*request);
  if (!translated.stop_sequences.empty()) {
    out.raw(R"(,"stop":[)");
    for (std::size_t i = 0; i < translated.stop_sequences.size(); ++i)
      out.raw(i > 0 ? "," : "").string(translated.stop_sequences[i]);
    out.raw("]");
  }
  if (const auto* metadata = object_at(*request, "metadata")) {
    if (const auto* user = string_at(*metadata, "user_id");
        user && !user->empty() && user->size() <= kMaxUserIdLength) {
      out.raw(R"(,"user":)").string(*user);
    }
  }
  write_tools(out, *request, quirks);
  if (reasoning_model) {
    if (auto effort = reasoning_effort(*request))
      out.raw(R"(,"reasoning_effort":)").string(*effort);
  }
  if (const auto* stream = request->if_contains("stream");
      stream && stream->is_bool() && stream->get_bool()) {
    translated.stream = true;
    out.raw(R"(,"stream":true)");
    if (quirks.stream_options) out.raw(R"(,"stream_options":{"include_usage":true})");
  }
  out.raw("}");
  return translated;
}

void validate_count_tokens_request(const json::value& anthropic_request) {
  const auto* request = anthropic_request.if_object();
  if (request == nullptr) reject("request body must be a JSON object");
  check_model(*request);
  check_messages(*request);
  check_system(*request);
  check_tools(*request);
}

}  // namespace ccgate::translate
