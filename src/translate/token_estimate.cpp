#include "translate/token_estimate.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <string_view>

#include "translate/json_access.hpp"

namespace ccgate::translate {

namespace {

constexpr std::int64_t kTokensPerImage = 1600;
constexpr std::int64_t kTokensPerMessage = 4;  // role and separators of the chat format
constexpr std::int64_t kAsciiBytesPerToken = 4;

// ASCII text is about 4 bytes per token; other scripts (CJK above all) are about one token per
// character, so counting their bytes / 4 would under-count them several times over.
class Tally {
 public:
  // Branch-free with narrow local sums, so that the compiler vectorises it 16 bytes at a time
  // (requests are mostly text, and a long_context route estimates every request). Local sums
  // also because the text's chars could alias the members.
  void text(std::string_view text) {
    constexpr std::size_t kBlock = 255;  // the most a byte-wide sum can count
    for (std::size_t begin = 0; begin < text.size(); begin += kBlock) {
      const std::string_view block = text.substr(begin, kBlock);
      std::uint8_t ascii = 0;
      std::uint8_t lead = 0;  // lead bytes of multi-byte characters
      for (const char c : block) {
        const auto byte = static_cast<unsigned char>(c);
        ascii += byte < 0x80;
        lead += byte >= 0xC0;
      }
      ascii_bytes_ += ascii;
      non_ascii_characters_ += lead;
    }
  }
  // Serialised piece by piece into a buffer on the stack: no string per value.
  void compact_json(const json::value& value) {
    json::serializer serializer;
    serializer.reset(&value);
    char buffer[1024];
    while (!serializer.done()) text(serializer.read(buffer));
  }
  void image() { ++images_; }
  void message() { ++messages_; }

  std::int64_t tokens() const {
    return ascii_bytes_ / kAsciiBytesPerToken + non_ascii_characters_ + images_ * kTokensPerImage +
           messages_ * kTokensPerMessage;
  }

 private:
  std::int64_t ascii_bytes_ = 0;
  std::int64_t non_ascii_characters_ = 0;
  std::int64_t images_ = 0;
  std::int64_t messages_ = 0;
};

void count_content(const json::value& content, Tally& tally);

void count_document(const json::object& block, Tally& tally) {
  tally.text(string_or_empty(block, "title"));
  tally.text(string_or_empty(block, "context"));
  const auto* source = object_at(block, "source");
  if (source == nullptr) return;
  const std::string_view kind = string_or_empty(*source, "type");
  if (kind == "text" || kind == "base64") {
    tally.text(string_or_empty(*source, "data"));
  } else if (kind == "url") {
    tally.text(string_or_empty(*source, "url"));
  } else if (const auto* inner = source->if_contains("content")) {
    count_content(*inner, tally);
  }
}

void count_block(const json::object& block, Tally& tally) {
  const std::string_view type = string_or_empty(block, "type");
  if (type == "text") {
    tally.text(string_or_empty(block, "text"));
  } else if (type == "thinking") {
    tally.text(string_or_empty(block, "thinking"));
  } else if (type == "redacted_thinking") {
    tally.text(string_or_empty(block, "data"));
  } else if (type == "tool_use" || type == "server_tool_use") {
    tally.text(string_or_empty(block, "name"));
    if (const auto* input = block.if_contains("input")) tally.compact_json(*input);
  } else if (type == "tool_result") {
    if (const auto* content = block.if_contains("content")) count_content(*content, tally);
  } else if (type == "image") {
    tally.image();
  } else if (type == "document") {
    count_document(block, tally);
  } else if (type == "search_result") {
    tally.text(string_or_empty(block, "title"));
    tally.text(string_or_empty(block, "source"));
    if (const auto* content = block.if_contains("content")) count_content(*content, tally);
  } else {
    // Server tool results and blocks this code does not know: the model reads them too.
    tally.compact_json(block);
  }
}

void count_content(const json::value& content, Tally& tally) {
  if (const auto* text = content.if_string()) {
    tally.text(*text);
  } else if (const auto* block = content.if_object()) {
    count_block(*block, tally);
  } else if (const auto* blocks = content.if_array()) {
    for (const auto& item : *blocks) count_content(item, tally);
  }
}

void count_tools(const json::array& tools, Tally& tally) {
  for (const auto& item : tools) {
    const auto* tool = item.if_object();
    if (tool == nullptr) continue;
    tally.text(string_or_empty(*tool, "name"));
    tally.text(string_or_empty(*tool, "description"));
    if (const auto* schema = tool->if_contains("input_schema")) tally.compact_json(*schema);
  }
}

}  // namespace

std::int64_t estimate_input_tokens(const json::value& anthropic_request) {
  Tally tally;
  if (const auto* request = anthropic_request.if_object()) {
    if (const auto* system = request->if_contains("system")) count_content(*system, tally);
    if (const auto* messages = array_at(*request, "messages")) {
      for (const auto& item : *messages) {
        const auto* message = item.if_object();
        if (message == nullptr) continue;
        tally.message();
        if (const auto* content = message->if_contains("content")) count_content(*content, tally);
      }
    }
    if (const auto* tools = array_at(*request, "tools")) count_tools(*tools, tally);
  }
  return std::max<std::int64_t>(1, tally.tokens());
}

}  // namespace ccgate::translate
