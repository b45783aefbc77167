#include "translate/cli_stream.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <limits>
#include <utility>

#include "translate/json_access.hpp"
#include "translate/text.hpp"

namespace ccgate::translate {

namespace {

constexpr std::int64_t kCharsPerToken = 4;
constexpr std::string_view kSyntheticModel = "<synthetic>";
constexpr std::string_view kApiErrorPrefix = "API Error: ";

// The byte length of the first `chars` characters of text, and how many characters that is.
std::pair<std::size_t, std::int64_t> leading_chars(std::string_view text, std::int64_t chars) {
  std::int64_t counted = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (is_utf8_continuation(text[i])) continue;
    if (counted == chars) return {i, counted};
    ++counted;
  }
  return {text.size(), counted};
}

// The longest end of text that is the beginning of a stop string (and not a whole one).
std::size_t stop_prefix_at_end(std::string_view text, const std::vector<std::string>& stop) {
  std::size_t longest = 0;
  for (const auto& sequence : stop) {
    const std::size_t most = std::min(text.size(), sequence.size() - 1);
    for (std::size_t length = most; length > longest; --length) {
      if (text.ends_with(std::string_view(sequence).substr(0, length))) {
        longest = length;
        break;
      }
    }
  }
  return longest;
}

std::string joined_text(const json::object& message) {
  std::string text;
  const auto* content = array_at(message, "content");
  if (content == nullptr) return std::string(string_or_empty(message, "content"));
  for (const auto& block : *content) {
    const auto* object = block.if_object();
    if (object == nullptr || string_or_empty(*object, "type") != "text") continue;
    if (!text.empty()) text += "\n";
    text += string_or_empty(*object, "text");
  }
  return text;
}

std::optional<std::int64_t> status_in_api_error_text(std::string_view text) {
  const auto at = text.find(kApiErrorPrefix);
  if (at == std::string_view::npos) return std::nullopt;
  std::int64_t status = 0;
  std::size_t digits = 0;
  for (std::size_t i = at + kApiErrorPrefix.size(); i < text.size() && digits < 3; ++i, ++digits) {
    if (text[i] < '0' || text[i] > '9') break;
    status = status * 10 + (text[i] - '0');
  }
  if (digits != 3) return std::nullopt;
  return status;
}

// The assistant message's "error" field (SDKAssistantMessageError) as an HTTP status.
std::optional<std::int64_t> status_for_error_kind(std::string_view kind) {
  if (kind == "authentication_failed") return 401;
  if (kind == "rate_limit") return 429;
  if (kind == "invalid_request") return 400;
  if (kind == "server_error") return 502;
  return std::nullopt;
}

std::string result_error_text(const json::object& line) {
  if (auto text = string_or_empty(line, "result"); !text.empty()) return std::string(text);
  std::string text;
  if (const auto* errors = array_at(line, "errors")) {
    for (const auto& error : *errors) {
      const auto* error_text = error.if_string();
      if (error_text == nullptr || error_text->empty()) continue;
      if (!text.empty()) text += "; ";
      text += *error_text;
    }
  }
  if (!text.empty()) return text;
  const auto subtype = string_or_empty(line, "subtype");
  return "the turn ended with " + std::string(subtype.empty() ? "an unknown error" : subtype);
}

TurnEnd turn_end(TurnEnd::Kind kind) {
  TurnEnd end;
  end.kind = kind;
  return end;
}

bool is_subagent_line(const json::object& line) {
  const auto* parent = line.if_contains("parent_tool_use_id");
  return parent != nullptr && !parent->is_null();
}

}  // namespace

std::string_view finish_reason_for(TurnEnd::Kind kind) {
  switch (kind) {
    case TurnEnd::Kind::stop:
      return "stop";
    case TurnEnd::Kind::length:
      return "length";
    case TurnEnd::Kind::tool_calls:
      return "tool_calls";
    case TurnEnd::Kind::error:
      return {};
  }
  return "stop";
}

CliLine parse_cli_line(std::string_view line, std::size_t max_depth) {
  const auto first = line.find_first_not_of(" \t\r");
  if (first == std::string_view::npos || line[first] != '{') return {};
  json::parse_options options;
  options.max_depth = max_depth;
  boost::system::error_code ec;
  json::value parsed = json::parse(line, ec, {}, options);
  CliLine result;
  if (ec) {
    result.kind = CliLine::Kind::unreadable;
    result.problem =
        ec == json::error::too_deep
            ? "Claude Code wrote output nested deeper than " + std::to_string(max_depth) +
                  " levels (MAX_JSON_DEPTH plus the CLI's own framing); the gateway cannot read it"
            : "Claude Code wrote an output line the gateway cannot read (" + ec.message() + ")";
    return result;
  }
  if (!parsed.is_object()) return {};
  result.kind = CliLine::Kind::message;
  result.message = std::move(parsed.as_object());
  return result;
}

std::string_view outcome_name(ServerToolResult::Outcome outcome) {
  switch (outcome) {
    case ServerToolResult::Outcome::ok:
      return "ok";
    case ServerToolResult::Outcome::error:
      return "error";
    case ServerToolResult::Outcome::denied:
      return "denied";
  }
  return "error";
}

std::string_view shown_tool_name(std::string_view cli_name) {
  constexpr std::string_view kMcpPrefix = "mcp__";
  if (!cli_name.starts_with(kMcpPrefix)) return cli_name;
  const auto separator = cli_name.find("__", kMcpPrefix.size());
  if (separator == std::string_view::npos || separator + 2 >= cli_name.size()) return cli_name;
  return cli_name.substr(separator + 2);
}

bool is_result_line(const json::object& line) {
  return string_or_empty(line, "type") == "result";
}

int status_for_api_error(std::optional<std::int64_t> api_error_status) {
  if (!api_error_status) return 502;
  switch (*api_error_status) {
    case 400:
    case 401:
    case 403:
    case 404:
    case 429:
      return static_cast<int>(*api_error_status);
    default:
      return 502;
  }
}

// ---- OutputLimiter ----

OutputLimiter::OutputLimiter(std::vector<std::string> stop, std::optional<std::int64_t> max_chars)
    : stop_(std::move(stop)), remaining_chars_(max_chars) {
  std::erase_if(stop_, [](const std::string& sequence) { return sequence.empty(); });
}

std::string OutputLimiter::feed(std::string_view text) {
  if (cut_ != Cut::none) return {};
  held_ += text;
  std::size_t first_stop = std::string::npos;
  for (const auto& sequence : stop_) first_stop = std::min(first_stop, held_.find(sequence));
  if (first_stop != std::string::npos) {
    std::string shown = within_budget(std::string_view(held_).substr(0, first_stop));
    if (cut_ == Cut::none) cut_ = Cut::stop_sequence;
    held_.clear();
    return shown;
  }
  const std::size_t keep = stop_prefix_at_end(held_, stop_);
  std::string shown = within_budget(std::string_view(held_).substr(0, held_.size() - keep));
  held_.erase(0, held_.size() - keep);
  if (cut_ != Cut::none) held_.clear();
  return shown;
}

std::string OutputLimiter::flush() {
  if (cut_ != Cut::none) return {};
  std::string shown = within_budget(held_);
  held_.clear();
  return shown;
}

std::string OutputLimiter::within_budget(std::string_view text) {
  if (!remaining_chars_) return std::string(text);
  const auto [bytes, chars] = leading_chars(text, *remaining_chars_);
  *remaining_chars_ -= chars;
  if (bytes < text.size()) cut_ = Cut::length;
  return std::string(text.substr(0, bytes));
}

// ---- CliStreamTranslator ----

void CliStreamTranslator::TokenCounts::merge(const json::object& usage) {
  const auto take = [&](std::string_view key, std::int64_t& field) {
    if (auto value = integer_at(usage, key)) {
      field = *value;
      present = true;
    }
  };
  take("input_tokens", input);
  take("output_tokens", output);
  take("cache_read_input_tokens", cache_read);
  take("cache_creation_input_tokens", cache_creation);
}

void CliStreamTranslator::TokenCounts::add(const TokenCounts& other) {
  input += other.input;
  output += other.output;
  cache_read += other.cache_read;
  cache_creation += other.cache_creation;
  present = present || other.present;
}

namespace {

std::optional<std::int64_t> max_chars_for(std::optional<std::int64_t> max_tokens) {
  if (!max_tokens || *max_tokens < 1) return std::nullopt;
  constexpr auto kLargest = std::numeric_limits<std::int64_t>::max() / kCharsPerToken;
  return std::min(*max_tokens, kLargest) * kCharsPerToken;
}

}  // namespace

CliStreamTranslator::CliStreamTranslator(CliStreamOptions options)
    : options_(std::move(options)),
      header_{.id = options_.id,
              .model = options_.model,
              .created = options_.created,
              .usage_on_chunks = options_.include_usage},
      limiter_(options_.stop, max_chars_for(options_.max_tokens)),
      user_lines_in_flight_(options_.user_lines_in_flight) {}

std::optional<TurnEnd> CliStreamTranslator::on_line(const json::object& line,
                                                    std::string& sse_out) {
  if (ended_ || is_subagent_line(line)) return std::nullopt;
  const auto type = string_or_empty(line, "type");
  std::optional<TurnEnd> end;
  if (type == "stream_event") {
    if (const auto* event = object_at(line, "event")) end = on_stream_event(*event, sse_out);
  } else if (type == "assistant") {
    end = on_assistant(line, sse_out);
  } else if (type == "result") {
    end = on_result(line, sse_out);
  } else if (type == "user") {
    const auto* replay = line.if_contains("isReplay");
    if (replay != nullptr && replay->is_bool() && replay->get_bool() && user_lines_in_flight_ > 0)
      --user_lines_in_flight_;
    on_tool_results(line, sse_out);
  }
  // Everything else (system/init, user echoes of tool results, rate_limit_event, control
  // traffic, keep_alive, types added later) says nothing the client sees.
  if (!end && limiter_.cut() != OutputLimiter::Cut::none) {
    end = turn_end(limiter_.cut() == OutputLimiter::Cut::length ? TurnEnd::Kind::length
                                                                : TurnEnd::Kind::stop);
  }
  if (end) ended_ = true;
  return end;
}

std::optional<TurnEnd> CliStreamTranslator::on_stream_event(const json::object& event,
                                                            std::string& out) {
  const auto type = string_or_empty(event, "type");
  if (type == "message_start") {
    message_ = StreamedMessage{};
    message_has_text_ = false;
    if (const auto* message = object_at(event, "message")) {
      if (auto id = string_or_empty(*message, "id"); !id.empty()) {
        streamed_message_ids_.emplace(id);
      }
      if (const auto* usage = object_at(*message, "usage")) message_->usage.merge(*usage);
    }
  } else if (type == "content_block_start") {
    on_block_start(event, out);
  } else if (type == "content_block_delta") {
    on_block_delta(event, out);
  } else if (type == "content_block_stop") {
    on_block_stop(event, out);
  } else if (type == "message_delta") {
    auto& message = current_message();
    if (const auto* delta = object_at(event, "delta")) {
      if (auto reason = string_or_empty(*delta, "stop_reason"); !reason.empty()) {
        message.stop_reason = reason;
      }
    }
    if (const auto* usage = object_at(event, "usage")) message.usage.merge(*usage);
  } else if (type == "message_stop") {
    return on_message_stop();
  }
  return std::nullopt;
}

void CliStreamTranslator::on_block_start(const json::object& event, std::string& out) {
  auto& message = current_message();
  const auto index = integer_at(event, "index").value_or(0);
  const auto* content_block = object_at(event, "content_block");
  if (content_block == nullptr) return;
  const auto type = string_or_empty(*content_block, "type");
  Block block;
  if (type == "text") {
    block.kind = BlockKind::text;
    emit_text(string_or_empty(*content_block, "text"), out);
  } else if (type == "thinking") {
    block.kind = BlockKind::thinking;
    emit_reasoning(string_or_empty(*content_block, "thinking"), out);
  } else if (type == "tool_use") {
    const auto cli_name = string_or_empty(*content_block, "name");
    if (!options_.tools.client_for_cli_name(cli_name))
      on_server_tool_use(string_or_empty(*content_block, "id"), cli_name, out);
    auto client_name = client_tool_for(cli_name);
    if (client_name && options_.hold_tool_calls) {
      if (auto call = hold_tool_call(std::string(string_or_empty(*content_block, "id")),
                                     std::move(*client_name), out)) {
        block.kind = BlockKind::held_tool;
        block.tool_call = *call;
        message.called_client_tools = true;
      }
    } else if (client_name) {
      if (auto call = start_tool_call(std::string(string_or_empty(*content_block, "id")),
                                      std::move(*client_name), out)) {
        block.kind = BlockKind::client_tool;
        block.tool_call = *call;
        message.called_client_tools = true;
      }
    }
  }
  message.blocks[index] = block;
}

void CliStreamTranslator::on_block_delta(const json::object& event, std::string& out) {
  const auto* delta = object_at(event, "delta");
  if (delta == nullptr) return;
  const auto index = integer_at(event, "index").value_or(0);
  auto& blocks = current_message().blocks;
  const auto found = blocks.find(index);
  const auto type = string_or_empty(*delta, "type");
  if (type == "text_delta") {
    emit_text(string_or_empty(*delta, "text"), out);
  } else if (type == "thinking_delta") {
    emit_reasoning(string_or_empty(*delta, "thinking"), out);
  } else if (type == "input_json_delta" && found != blocks.end() &&
             found->second.kind == BlockKind::client_tool) {
    const auto fragment = string_or_empty(*delta, "partial_json");
    if (!fragment.empty()) found->second.has_arguments = true;
    emit_arguments(found->second.tool_call, fragment, out);
  } else if (type == "input_json_delta" && found != blocks.end() &&
             found->second.kind == BlockKind::held_tool) {
    const auto fragment = string_or_empty(*delta, "partial_json");
    if (!fragment.empty()) found->second.has_arguments = true;
    held_[found->second.tool_call].arguments += fragment;
  }
}

void CliStreamTranslator::on_block_stop(const json::object& event, std::string& out) {
  auto& blocks = current_message().blocks;
  const auto found = blocks.find(integer_at(event, "index").value_or(0));
  if (found != blocks.end() && found->second.kind == BlockKind::held_tool) {
    if (!found->second.has_arguments) held_[found->second.tool_call].arguments = "{}";
    found->second.has_arguments = true;
    return;
  }
  if (found == blocks.end() || found->second.kind != BlockKind::client_tool) return;
  // A tool called without input still needs arguments a client can JSON.parse.
  if (!found->second.has_arguments) emit_arguments(found->second.tool_call, "{}", out);
  found->second.has_arguments = true;
}

std::optional<TurnEnd> CliStreamTranslator::on_message_stop() {
  StreamedMessage message = std::move(current_message());
  message_.reset();
  stream_usage_.add(message.usage);
  if (message.stop_reason == "max_tokens") hit_max_tokens_ = true;
  if (message.called_client_tools && message.stop_reason == "tool_use") {
    if (!options_.hold_tool_calls) return turn_end(TurnEnd::Kind::tool_calls);
    awaiting_decisions_ = true;
    return std::nullopt;
  }
  held_.clear();  // calls of a message cut short are not run
  return std::nullopt;
}

std::optional<TurnEnd> CliStreamTranslator::on_assistant(const json::object& line,
                                                         std::string& out) {
  const auto* message = object_at(line, "message");
  if (message == nullptr) return std::nullopt;
  if (string_or_empty(*message, "model") == kSyntheticModel) {
    record_synthetic_error(line, *message);
    return std::nullopt;
  }
  const auto id = string_or_empty(*message, "id");
  const bool streamed = id.empty() ? message_.has_value() : streamed_message_ids_.contains(id);
  if (streamed) return std::nullopt;  // its content came (or is coming) as stream events

  begin_message_text();
  bool called_client_tools = false;
  if (const auto* content = array_at(*message, "content")) {
    for (const auto& entry : *content) {
      const auto* block = entry.if_object();
      if (block == nullptr) continue;
      const auto type = string_or_empty(*block, "type");
      if (type == "text") {
        emit_text(string_or_empty(*block, "text"), out);
      } else if (type == "thinking") {
        emit_reasoning(string_or_empty(*block, "thinking"), out);
      } else if (type == "tool_use") {
        const auto cli_name = string_or_empty(*block, "name");
        if (!options_.tools.client_for_cli_name(cli_name))
          on_server_tool_use(string_or_empty(*block, "id"), cli_name, out);
        auto client_name = client_tool_for(cli_name);
        if (!client_name) continue;
        const auto* input = block->if_contains("input");
        if (options_.hold_tool_calls) {
          const auto held = hold_tool_call(std::string(string_or_empty(*block, "id")),
                                           std::move(*client_name), out);
          if (!held) continue;
          held_[*held].arguments = input == nullptr ? "{}" : json::serialize(*input);
          called_client_tools = true;
          continue;
        }
        const auto call = start_tool_call(std::string(string_or_empty(*block, "id")),
                                          std::move(*client_name), out);
        if (!call) continue;
        emit_arguments(*call, input == nullptr ? "{}" : json::serialize(*input), out);
        called_client_tools = true;
      }
    }
  }
  if (called_client_tools && string_or_empty(*message, "stop_reason") == "tool_use") {
    if (!options_.hold_tool_calls) return turn_end(TurnEnd::Kind::tool_calls);
    awaiting_decisions_ = true;
    return std::nullopt;
  }
  held_.clear();
  return std::nullopt;
}

void CliStreamTranslator::record_synthetic_error(const json::object& line,
                                                 const json::object& message) {
  std::string text = joined_text(message);
  synthetic_status_ = status_in_api_error_text(text);
  if (!synthetic_status_) synthetic_status_ = status_for_error_kind(string_or_empty(line, "error"));
  if (text.empty()) text = "Claude Code reported an error";
  synthetic_error_ = std::move(text);
}

void CliStreamTranslator::on_server_tool_use(std::string_view cli_id, std::string_view cli_name,
                                             std::string& out) {
  if (cli_id.empty()) return;
  options_.server_tools_in_flight.insert_or_assign(std::string(cli_id), std::string(cli_name));
  emit_tool_activity(std::string("Calling ") + std::string(shown_tool_name(cli_name)) + "…\n", out);
}

// The user line the CLI writes after running tools: one tool_result block per call, and in
// tool_result_meta the permission decision (reject: approval denied it, the tool never ran).
void CliStreamTranslator::on_tool_results(const json::object& line, std::string& out) {
  if (options_.server_tools_in_flight.empty()) return;
  const auto* message = object_at(line, "message");
  const auto* content = message == nullptr ? nullptr : array_at(*message, "content");
  if (content == nullptr) return;
  auto rejected = [&](std::string_view id) {
    const auto* metas = array_at(line, "tool_result_meta");
    if (metas == nullptr) return false;
    for (const auto& entry : *metas) {
      const auto* meta = entry.if_object();
      if (meta == nullptr || string_or_empty(*meta, "id") != id) continue;
      const auto* decision = object_at(*meta, "permission_decision");
      return decision != nullptr && string_or_empty(*decision, "decision") == "reject";
    }
    return false;
  };
  for (const auto& entry : *content) {
    const auto* block = entry.if_object();
    if (block == nullptr || string_or_empty(*block, "type") != "tool_result") continue;
    const auto id = string_or_empty(*block, "tool_use_id");
    const auto found = options_.server_tools_in_flight.find(std::string(id));
    if (found == options_.server_tools_in_flight.end()) continue;
    const auto* is_error = block->if_contains("is_error");
    using Outcome = ServerToolResult::Outcome;
    const Outcome outcome = rejected(id) ? Outcome::denied
                            : is_error != nullptr && is_error->is_bool() && is_error->get_bool()
                                ? Outcome::error
                                : Outcome::ok;
    emit_tool_activity(std::string(shown_tool_name(found->second)) + ": " +
                           std::string(outcome_name(outcome)) + "\n",
                       out);
    server_results_.push_back({found->first, found->second, outcome});
    options_.server_tools_in_flight.erase(found);
  }
}

void CliStreamTranslator::emit_tool_activity(std::string text, std::string& out) {
  if (!options_.tool_activity || !options_.stream || limiter_.cut() != OutputLimiter::Cut::none)
    return;
  emit_delta(json::object{{"reasoning_content", std::move(text)}}, out);
}

std::optional<TurnEnd> CliStreamTranslator::on_result(const json::object& line, std::string& out) {
  if (const auto* usage = object_at(line, "usage")) {
    result_usage_.merge(*usage);
    if (const auto* details = object_at(*usage, "output_tokens_details")) {
      reasoning_tokens_ = integer_at(*details, "thinking_tokens").value_or(0);
    }
  }
  const bool is_error = line.if_contains("is_error") != nullptr && line.at("is_error").is_bool() &&
                        line.at("is_error").get_bool();
  const bool success = string_or_empty(line, "subtype") == "success";
  if (is_error || !success || synthetic_error_) {
    auto api_status = line.if_contains("api_error_status") == nullptr
                          ? std::nullopt
                          : as_integer(line.at("api_error_status"));
    if (!api_status) api_status = synthetic_status_;
    const std::string reported = synthetic_error_ ? *synthetic_error_ : result_error_text(line);
    cli_turn_over_ = true;
    return TurnEnd{.kind = TurnEnd::Kind::error,
                   .status = status_for_api_error(api_status),
                   .message = "Claude Code reported an error: " + reported};
  }
  // A line the client sent is still waiting for the CLI: it runs next, as part of this answer.
  if (user_lines_in_flight_ > 0) return std::nullopt;
  cli_turn_over_ = true;
  // The end of the turn: text held back in case it began a stop string can be shown now.
  emit_content(limiter_.flush(), out);
  if (limiter_.cut() == OutputLimiter::Cut::length) return turn_end(TurnEnd::Kind::length);
  if (hit_max_tokens_ || string_or_empty(line, "stop_reason") == "max_tokens") {
    return turn_end(TurnEnd::Kind::length);
  }
  return turn_end(TurnEnd::Kind::stop);
}

TurnEnd CliStreamTranslator::end_without_result(std::string_view what_happened) const {
  TurnEnd end = turn_end(TurnEnd::Kind::error);
  end.status = status_for_api_error(synthetic_error_ ? synthetic_status_ : std::nullopt);
  end.message = synthetic_error_
                    ? "Claude Code reported an error: " + *synthetic_error_
                    : "Claude Code ended without finishing the turn: " + std::string(what_happened);
  return end;
}

CliStreamTranslator::StreamedMessage& CliStreamTranslator::current_message() {
  if (!message_) {  // events without a message_start: treat them as one message
    message_ = StreamedMessage{};
    message_has_text_ = false;
  }
  return *message_;
}

void CliStreamTranslator::begin_message_text() {
  message_has_text_ = false;
}

void CliStreamTranslator::emit_text(std::string_view text, std::string& out) {
  if (text.empty()) return;
  if (!message_has_text_ && turn_has_text_) emit_content(limiter_.feed("\n\n"), out);
  message_has_text_ = true;
  turn_has_text_ = true;
  emit_content(limiter_.feed(text), out);
}

void CliStreamTranslator::emit_content(std::string_view text, std::string& out) {
  if (text.empty()) return;
  content_ += text;  // kept in both modes: the gateway remembers the reply to match follow-ups
  if (options_.stream) emit_delta(json::object{{"content", text}}, out);
}

void CliStreamTranslator::emit_reasoning(std::string_view text, std::string& out) {
  if (text.empty() || !options_.include_reasoning || limiter_.cut() != OutputLimiter::Cut::none) {
    return;
  }
  if (!options_.stream) {
    reasoning_ += text;
    return;
  }
  emit_delta(json::object{{"reasoning_content", text}}, out);
}

std::optional<std::string> CliStreamTranslator::client_tool_for(std::string_view cli_name) const {
  if (!options_.client_tools) return std::nullopt;
  return options_.tools.client_for_cli_name(cli_name);
}

std::optional<std::size_t> CliStreamTranslator::start_tool_call(std::string cli_id,
                                                                std::string client_name,
                                                                std::string& out) {
  emit_content(limiter_.flush(), out);  // text before the call is shown before it
  if (limiter_.cut() != OutputLimiter::Cut::none) return std::nullopt;  // the turn is over
  const std::size_t index = tool_calls_.size();
  tool_calls_.push_back(GatewayToolCall{.id = options_.make_call_id("call_"),
                                        .cli_id = std::move(cli_id),
                                        .client_name = std::move(client_name),
                                        .arguments = {}});
  if (options_.stream) {
    const auto& call = tool_calls_.back();
    json::object fragment{
        {"index", index},
        {"id", call.id},
        {"type", "function"},
        {"function", json::object{{"name", call.client_name}, {"arguments", ""}}}};
    emit_delta(json::object{{"tool_calls", json::array{std::move(fragment)}}}, out);
  }
  return index;
}

std::optional<std::size_t> CliStreamTranslator::hold_tool_call(std::string cli_id,
                                                               std::string client_name,
                                                               std::string& out) {
  emit_content(limiter_.flush(), out);  // text before the call is shown before it
  if (limiter_.cut() != OutputLimiter::Cut::none) return std::nullopt;
  held_.push_back(GatewayToolCall{.id = {},
                                  .cli_id = std::move(cli_id),
                                  .client_name = std::move(client_name),
                                  .arguments = {}});
  return held_.size() - 1;
}

std::vector<std::string> CliStreamTranslator::held_call_ids() const {
  std::vector<std::string> ids;
  for (const auto& call : held_) ids.push_back(call.cli_id);
  return ids;
}

std::optional<TurnEnd> CliStreamTranslator::release_held(
    const std::map<std::string, std::optional<std::string>>& allowed, std::string& sse_out) {
  if (!awaiting_decisions_) return std::nullopt;
  awaiting_decisions_ = false;
  auto held = std::exchange(held_, {});
  bool shown = false;
  for (auto& call : held) {
    const auto decision = allowed.find(call.cli_id);
    if (decision == allowed.end()) continue;
    std::string arguments = decision->second ? *decision->second : std::move(call.arguments);
    const auto index =
        start_tool_call(std::move(call.cli_id), std::move(call.client_name), sse_out);
    if (!index) break;
    emit_arguments(*index, arguments.empty() ? "{}" : arguments, sse_out);
    shown = true;
  }
  if (!shown) return std::nullopt;
  ended_ = true;
  return turn_end(TurnEnd::Kind::tool_calls);
}

void CliStreamTranslator::emit_arguments(std::size_t call, std::string_view fragment,
                                         std::string& out) {
  if (fragment.empty()) return;
  tool_calls_[call].arguments += fragment;
  if (!options_.stream) return;
  json::object entry{{"index", call}, {"function", json::object{{"arguments", fragment}}}};
  emit_delta(json::object{{"tool_calls", json::array{std::move(entry)}}}, out);
}

void CliStreamTranslator::emit_delta(json::object delta, std::string& out) {
  ensure_started(out);
  openai::append_data(out, openai::chunk(header_, std::move(delta)));
}

void CliStreamTranslator::ensure_started(std::string& out) {
  if (started_ || !options_.stream) return;
  started_ = true;
  openai::append_data(out,
                      openai::chunk(header_, json::object{{"role", "assistant"}, {"content", ""}}));
}

void CliStreamTranslator::finish(const TurnEnd& end, std::string& sse_out) {
  if (finished_ || !options_.stream) return;
  finished_ = true;
  ended_ = true;
  if (end.kind == TurnEnd::Kind::error) {
    openai::append_data(sse_out, openai::error_object(end.message, end.status));
  } else {
    ensure_started(sse_out);
    openai::append_data(sse_out,
                        openai::chunk(header_, json::object{}, finish_reason_for(end.kind)));
    if (options_.include_usage) openai::append_data(sse_out, openai::usage_chunk(header_, usage()));
  }
  sse_out += openai::kDoneEvent;
}

json::object CliStreamTranslator::completion(const TurnEnd& end) const {
  if (end.kind == TurnEnd::Kind::error) return openai::error_object(end.message, end.status);
  openai::AssistantReply reply{.content = content_, .reasoning = reasoning_, .tool_calls = {}};
  for (const auto& call : tool_calls_) {
    reply.tool_calls.push_back(
        openai::ToolCall{.id = call.id, .name = call.client_name, .arguments = call.arguments});
  }
  return openai::completion(header_, reply, finish_reason_for(end.kind), usage());
}

openai::ChatUsage CliStreamTranslator::usage() const {
  TokenCounts counts = stream_usage_;
  if (message_) counts.add(message_->usage);  // a turn cut short inside a message
  if (!counts.present) counts = result_usage_;
  openai::ChatUsage usage{.prompt_tokens = counts.input + counts.cache_read + counts.cache_creation,
                          .completion_tokens = counts.output,
                          .cached_tokens = counts.cache_read,
                          .reasoning_tokens = std::min(reasoning_tokens_, counts.output)};
  return usage;
}

}  // namespace ccgate::translate
