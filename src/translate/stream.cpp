#include "translate/stream.hpp"

#include <boost/json.hpp>
#include <utility>

#include "anthropic/events.hpp"
#include "translate/json_access.hpp"
#include "translate/thinking_signature.hpp"

namespace ccgate::translate {

namespace {

// A stream sends many small events: each is built in a stack buffer (the heap only for a rare
// large one) and serialized straight into the output.
template <class BuildEvent>
void emit(std::string& out, std::string_view name, BuildEvent build_event) {
  unsigned char buffer[2048];
  json::monotonic_resource resource(buffer, sizeof buffer);
  anthropic::append_event(out, name, build_event(json::storage_ptr(&resource)));
}

std::string_view reasoning_text(const json::object& delta) {
  std::string_view text = string_or_empty(delta, "reasoning_content");
  if (text.empty()) text = string_or_empty(delta, "reasoning");
  return text;
}

}  // namespace

StreamTranslator::StreamTranslator(ResponseContext context) : context_(std::move(context)) {}

void StreamTranslator::start(std::string& out) {
  if (started_) return;
  started_ = true;
  const std::string id = context_.make_id("msg_");
  emit(out, "message_start", [&](json::storage_ptr storage) {
    return json::object({{"type", "message_start"},
                         {"message",
                          {{"id", id},
                           {"type", "message"},
                           {"role", "assistant"},
                           {"model", context_.client_model},
                           {"content", json::array()},
                           {"stop_reason", nullptr},
                           {"stop_sequence", nullptr},
                           {"usage", anthropic_usage(Usage{})}}}},
                        storage);
  });
}

void StreamTranslator::on_chunk(const json::object& chunk, std::string& out) {
  if (finished_) return;
  if (const auto* usage = chunk.if_contains("usage"); usage && usage->is_object()) {
    usage_ = usage_from_openai(usage);
  }
  const auto* choices = array_at(chunk, "choices");
  if (choices == nullptr || choices->empty()) return;  // e.g. the usage-only last chunk
  if (const auto* choice = choices->front().if_object()) on_choice(*choice, out);
}

void StreamTranslator::on_choice(const json::object& choice, std::string& out) {
  if (const auto* delta = object_at(choice, "delta")) {
    on_reasoning(reasoning_text(*delta), out);
    on_text(string_or_empty(*delta, "content"), out);
    on_text(string_or_empty(*delta, "refusal"), out);
    if (const auto* fragments = array_at(*delta, "tool_calls")) {
      for (const auto& item : *fragments) {
        if (const auto* fragment = item.if_object()) on_tool_call_fragment(*fragment, out);
      }
    }
  }
  if (const auto* finish_reason = string_at(choice, "finish_reason")) {
    finish_reason_ = *finish_reason;
    stop_sequence_ = matched_stop_sequence(choice, context_.stop_sequences);
  }
}

void StreamTranslator::on_reasoning(std::string_view text, std::string& out) {
  if (text.empty()) return;
  if (open_kind_ != BlockKind::thinking) open_block(BlockKind::thinking, out);
  append_block_delta("thinking_delta", "thinking", text, out);
}

void StreamTranslator::on_text(std::string_view text, std::string& out) {
  if (text.empty()) return;
  if (open_kind_ != BlockKind::text) open_block(BlockKind::text, out);
  append_block_delta("text_delta", "text", text, out);
}

// Which tool call a fragment belongs to: by index; without one, by id; without either, the most
// recent call. A different id under a known index starts a new call (some servers send every
// call with index 0).
std::size_t StreamTranslator::tool_call_for(const json::object& fragment) {
  const auto index = integer_at(fragment, "index");
  const std::string_view id = string_or_empty(fragment, "id");
  const auto same_call = [&](const ToolCall& call) {
    if (index) return call.index == index && (id.empty() || call.id.empty() || call.id == id);
    return !id.empty() && call.id == id;
  };
  std::optional<std::size_t> found;
  for (std::size_t i = tool_calls_.size(); i-- > 0;) {
    if (same_call(tool_calls_[i])) {
      found = i;
      break;
    }
  }
  if (!found && !index && id.empty() && latest_tool_call_) found = latest_tool_call_;
  if (!found) {
    tool_calls_.emplace_back().index = index;
    found = tool_calls_.size() - 1;
  }
  latest_tool_call_ = found;
  return *found;
}

void StreamTranslator::on_tool_call_fragment(const json::object& fragment, std::string& out) {
  const std::size_t call_number = tool_call_for(fragment);
  ToolCall& call = tool_calls_[call_number];
  const auto* function = object_at(fragment, "function");
  const std::string_view arguments = function ? string_or_empty(*function, "arguments") : "";

  if (call.block_index) {
    // Blocks are strictly sequential, so a call whose block was closed cannot take more input.
    // Only an upstream that interleaves parallel calls' fragments gets here (OpenAI, vLLM and
    // Ollama send each call whole before the next); its late fragments are dropped.
    if (open_kind_ == BlockKind::tool_use && open_tool_call_ == call_number && !arguments.empty()) {
      append_block_delta("input_json_delta", "partial_json", arguments, out);
    }
    return;
  }
  if (call.id.empty()) call.id = string_or_empty(fragment, "id");
  if (call.name.empty() && function) call.name = string_or_empty(*function, "name");
  call.early_arguments.append(arguments);
  // A call that never names its function cannot become a tool_use block; it is never started.
  if (!call.name.empty()) start_tool_block(call_number, out);
}

void StreamTranslator::start_tool_block(std::size_t call_number, std::string& out) {
  ToolCall& call = tool_calls_[call_number];
  if (call.id.empty()) call.id = context_.make_id("toolu_");
  open_tool_call_ = call_number;
  open_block(BlockKind::tool_use, out);
  call.block_index = open_index_;
  any_tool_use_ = true;
  if (!call.early_arguments.empty()) {
    append_block_delta("input_json_delta", "partial_json", call.early_arguments, out);
    call.early_arguments = {};
  }
}

void StreamTranslator::open_block(BlockKind kind, std::string& out) {
  close_open_block(out);
  open_kind_ = kind;
  open_index_ = next_index_++;
  emit(out, "content_block_start", [&](json::storage_ptr storage) {
    json::object event({{"type", "content_block_start"}, {"index", open_index_}}, storage);
    if (kind == BlockKind::thinking) {
      event["content_block"] = {{"type", "thinking"}, {"thinking", ""}, {"signature", ""}};
    } else if (kind == BlockKind::text) {
      event["content_block"] = {{"type", "text"}, {"text", ""}};
    } else {
      const ToolCall& call = tool_calls_[open_tool_call_];
      event["content_block"] = {
          {"type", "tool_use"}, {"id", call.id}, {"name", call.name}, {"input", json::object()}};
    }
    return event;
  });
}

void StreamTranslator::close_open_block(std::string& out) {
  if (open_kind_ == BlockKind::none) return;
  if (open_kind_ == BlockKind::thinking) {
    append_block_delta("signature_delta", "signature", kOwnThinkingSignature, out);
  }
  emit(out, "content_block_stop", [&](json::storage_ptr storage) {
    return json::object({{"type", "content_block_stop"}, {"index", open_index_}}, storage);
  });
  open_kind_ = BlockKind::none;
}

void StreamTranslator::append_block_delta(std::string_view delta_type, std::string_view field,
                                          std::string_view value, std::string& out) {
  anthropic::append_block_delta(out, open_index_, delta_type, field, value);
}

void StreamTranslator::finish(std::string& out) {
  if (finished_) return;
  start(out);
  close_open_block(out);
  finished_ = true;
  const std::string_view stop_reason =
      stop_reason_for(finish_reason_, stop_sequence_.has_value(), any_tool_use_);
  const bool report_sequence = stop_reason == "stop_sequence";
  emit(out, "message_delta", [&](json::storage_ptr storage) {
    json::object event({{"type", "message_delta"}}, storage);
    event["delta"] = {{"stop_reason", stop_reason}, {"stop_sequence", nullptr}};
    if (report_sequence) event["delta"].as_object()["stop_sequence"] = *stop_sequence_;
    event["usage"] = anthropic_usage(usage_);
    return event;
  });
  emit(out, "message_stop", [](json::storage_ptr storage) {
    return json::object({{"type", "message_stop"}}, storage);
  });
}

void StreamTranslator::fail(std::string_view error_type, std::string_view message,
                            std::string& out) {
  if (finished_) return;
  finished_ = true;
  error_type_ = error_type;
  emit(out, "error", [&](json::storage_ptr storage) {
    return json::object(
        {{"type", "error"}, {"error", {{"type", error_type}, {"message", message}}}}, storage);
  });
}

void StreamTranslator::ping(std::string& out) const {
  emit(out, "ping", [](json::storage_ptr storage) {
    return json::object({{"type", "ping"}}, storage);
  });
}

}  // namespace ccgate::translate
