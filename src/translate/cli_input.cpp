#include "translate/cli_input.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <utility>

#include "translate/text.hpp"

namespace ccgate::translate {

namespace json = boost::json;

namespace {

using openai::ChatRequest;
using openai::ContentPart;
using openai::ImagePart;
using openai::Message;
using openai::Role;
using openai::TextPart;

// Collects text and images in order; text between images becomes one text block.
class ContentBuilder {
 public:
  void text(std::string_view text) { text_ += text; }

  void image(std::string_view url) {
    if (auto block = image_block(url)) {
      flush_text();
      blocks_.emplace_back(std::move(*block));
    } else {
      text_ += "[image not supported: " + describe_url(url) + "]";
    }
  }

  void parts(const std::vector<ContentPart>& parts) {
    bool first = true;
    for (const auto& part : parts) {
      if (const auto* text_part = std::get_if<TextPart>(&part)) {
        if (!first) text("\n");
        text(text_part->text);
      } else {
        image(std::get<ImagePart>(part).url);
      }
      first = false;
    }
  }

  bool empty() const { return text_.empty() && blocks_.empty(); }

  json::value finish() && {
    if (blocks_.empty()) return json::value(json::string(text_));
    flush_text();
    return json::value(std::move(blocks_));
  }

 private:
  static std::string describe_url(std::string_view url) {
    constexpr std::size_t kShown = 40;
    if (url.size() <= kShown) return std::string(url);
    return std::string(utf8_prefix(url, kShown)) + "…";
  }

  void flush_text() {
    if (text_.empty()) return;
    blocks_.emplace_back(json::object{{"type", "text"}, {"text", text_}});
    text_.clear();
  }

  std::string text_;
  json::array blocks_;
};

bool is_system(Role role) {
  return role == Role::system || role == Role::developer;
}

std::string tool_display_name(std::string_view client_name, const ToolNames& tools) {
  if (auto cli_name = tools.cli_name_for(client_name)) return *cli_name;
  return std::string(client_name);
}

class TranscriptWriter {
 public:
  TranscriptWriter(ContentBuilder& out, const ToolNames& tools) : out_(out), tools_(tools) {}

  void message(const Message& message) {
    switch (message.role) {
      case Role::assistant:
        assistant(message);
        break;
      case Role::tool:
        tool_result("tool_result", "tool_call_id", message.tool_call_id, message);
        break;
      case Role::function:
        tool_result("function_result", "name", message.name, message);
        break;
      default:
        labelled(std::string(openai::role_name(message.role)), message);
        break;
    }
  }

 private:
  void labelled(const std::string& tag, const Message& message) {
    out_.text("<" + tag + ">\n");
    out_.parts(message.content);
    out_.text("\n</" + tag + ">\n");
  }

  void assistant(const Message& message) {
    out_.text("<assistant>\n");
    out_.parts(message.content);
    for (const auto& call : message.tool_calls) {
      if (!call.id.empty()) tool_names_by_call_[call.id] = call.name;
      out_.text("\n<tool_call id=\"" + call.id + "\" name=\"" +
                tool_display_name(call.name, tools_) + "\">" + call.arguments + "</tool_call>");
    }
    out_.text("\n</assistant>\n");
  }

  void tool_result(std::string_view tag, std::string_view key, const std::string& value,
                   const Message& message) {
    std::string open = "<" + std::string(tag) + " " + std::string(key) + "=\"" + value + "\"";
    if (const auto found = tool_names_by_call_.find(value); found != tool_names_by_call_.end()) {
      open += " name=\"" + tool_display_name(found->second, tools_) + "\"";
    }
    out_.text(open + ">\n");
    out_.parts(message.content);
    out_.text("\n</" + std::string(tag) + ">\n");
  }

  ContentBuilder& out_;
  const ToolNames& tools_;
  std::map<std::string, std::string> tool_names_by_call_;
};

std::vector<std::string> instructions_for(const ChatRequest& request, const ToolNames& tools) {
  std::vector<std::string> instructions;
  if (request.tools.empty()) return instructions;
  using Mode = openai::ToolChoice::Mode;
  switch (request.tool_choice.mode) {
    case Mode::none:
      instructions.emplace_back("Do not call any tools for this reply; answer directly.");
      break;
    case Mode::required:
      instructions.emplace_back("You must call one of the provided tools.");
      break;
    case Mode::function:
      instructions.push_back("You must call the tool " +
                             tool_display_name(request.tool_choice.function_name, tools) +
                             " before answering.");
      break;
    case Mode::automatic:
      break;
  }
  if (!request.parallel_tool_calls && request.tool_choice.mode != Mode::none) {
    instructions.emplace_back("Call at most one tool per message.");
  }
  return instructions;
}

}  // namespace

std::string user_turn_line(const json::value& content) {
  json::object message{{"role", "user"}, {"content", content}};
  json::object line{{"type", "user"}, {"message", std::move(message)}};
  return json::serialize(line) + "\n";
}

std::optional<json::object> image_block(std::string_view url) {
  if (url.starts_with("http://") || url.starts_with("https://")) {
    return json::object{{"type", "image"}, {"source", json::object{{"type", "url"}, {"url", url}}}};
  }
  constexpr std::string_view kData = "data:";
  constexpr std::string_view kBase64 = ";base64";
  if (!url.starts_with(kData)) return std::nullopt;
  const auto comma = url.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  const std::string_view header = url.substr(kData.size(), comma - kData.size());
  if (!header.ends_with(kBase64)) return std::nullopt;
  std::string_view media_type = header.substr(0, header.size() - kBase64.size());
  media_type = media_type.substr(0, media_type.find(';'));  // drop parameters such as charset
  if (media_type.empty()) return std::nullopt;
  return json::object{{"type", "image"},
                      {"source", json::object{{"type", "base64"},
                                              {"media_type", media_type},
                                              {"data", url.substr(comma + 1)}}}};
}

json::value cli_content(const std::vector<ContentPart>& parts) {
  ContentBuilder builder;
  builder.parts(parts);
  return std::move(builder).finish();
}

CliTurn cli_turn(const ChatRequest& request, const ToolNames& tools, std::size_t messages_known) {
  // A new session's system messages are its system prompt; a live session's prompt is fixed,
  // so system messages that arrive later are passed on in the transcript.
  const bool new_session = messages_known == 0;
  std::vector<const Message*> unseen;
  for (std::size_t i = messages_known; i < request.messages.size(); ++i) {
    if (new_session && is_system(request.messages[i].role)) continue;
    unseen.push_back(&request.messages[i]);
  }
  std::size_t latest_begin = unseen.size();
  while (latest_begin > 0 && unseen[latest_begin - 1]->role == Role::user) --latest_begin;

  ContentBuilder content;
  if (latest_begin > 0) {
    content.text("<conversation_history>\n");
    TranscriptWriter transcript(content, tools);
    for (std::size_t i = 0; i < latest_begin; ++i) transcript.message(*unseen[i]);
    content.text("</conversation_history>\n\n");
  }
  if (latest_begin == unseen.size()) {
    content.text("Continue the conversation: reply to the latest messages above.");
  }
  for (std::size_t i = latest_begin; i < unseen.size(); ++i) {
    if (i > latest_begin) content.text("\n\n");
    content.parts(unseen[i]->content);
  }
  for (const auto& instruction : instructions_for(request, tools)) {
    content.text("\n\n" + instruction);
  }
  return CliTurn{.line = user_turn_line(std::move(content).finish()),
                 .offer_tools = request.tool_choice.mode != openai::ToolChoice::Mode::none};
}

ToolResults tool_results_of(const ChatRequest& request) {
  const auto& messages = request.messages;
  const auto last_assistant =
      std::find_if(messages.rbegin(), messages.rend(),
                   [](const Message& m) { return m.role == Role::assistant; });
  ToolResults answers;
  if (last_assistant == messages.rend()) return answers;
  std::size_t next = static_cast<std::size_t>(messages.rend() - last_assistant);
  for (; next < messages.size() && messages[next].role == Role::tool; ++next)
    answers.results.push_back(&messages[next]);
  answers.first_added = next;
  return answers;
}

std::string system_prompt(const ChatRequest& request) {
  std::string prompt;
  for (const auto& message : request.messages) {
    if (!is_system(message.role)) continue;
    std::string text = openai::text_of(message);
    if (text.empty()) continue;
    if (!prompt.empty()) prompt += "\n\n";
    prompt += text;
  }
  return prompt;
}

std::optional<std::string> effort_for(std::string_view reasoning_effort) {
  if (reasoning_effort == "none" || reasoning_effort == "minimal" || reasoning_effort == "low") {
    return "low";
  }
  if (reasoning_effort == "medium") return "medium";
  if (reasoning_effort == "high" || reasoning_effort == "xhigh") return "high";
  return std::nullopt;
}

CliRunSettings run_settings(const ChatRequest& request) {
  return CliRunSettings{
      .system_prompt = system_prompt(request),
      .effort = request.reasoning_effort ? effort_for(*request.reasoning_effort) : std::nullopt,
      .stop = request.stop,
      .max_tokens = request.max_tokens,
      .user = request.user};
}

}  // namespace ccgate::translate
