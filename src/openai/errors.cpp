#include "openai/errors.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <optional>

#include "translate/text.hpp"

namespace ccgate::openai {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxMessageBytes = 1024;

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Valid UTF-8 (an error page may come in any encoding, and the message goes into a JSON body),
// cut at a character boundary.
std::string capped(std::string_view raw) {
  const std::string text = translate::valid_utf8(raw.substr(0, 4 * kMaxMessageBytes));
  if (text.size() <= kMaxMessageBytes) return text;
  return std::string(translate::utf8_prefix(text, kMaxMessageBytes)) + "…";
}

std::optional<std::string> string_or_compact(const json::value* value) {
  if (value == nullptr || value->is_null()) return std::nullopt;
  if (const auto* text = value->if_string()) {
    if (text->empty()) return std::nullopt;
    return std::string(*text);
  }
  return json::serialize(*value);
}

std::optional<std::string> message_in_json(const json::value& body) {
  if (const auto* text = body.if_string()) return std::string(*text);
  if (const auto* array = body.if_array()) {  // Gemini's compatibility layer wraps errors in [ ]
    if (!array->empty()) return message_in_json(array->front());
    return std::nullopt;
  }
  const auto* object = body.if_object();
  if (object == nullptr) return std::nullopt;
  if (const auto* error = object->if_contains("error")) {
    if (const auto* error_object = error->if_object()) {
      if (auto message = string_or_compact(error_object->if_contains("message"))) return message;
      return json::serialize(*error_object);
    }
    if (auto message = string_or_compact(error)) return message;
  }
  for (const char* key : {"message", "detail"}) {
    if (auto message = string_or_compact(object->if_contains(key))) return message;
  }
  return std::nullopt;
}

bool looks_like_html(std::string_view text) {
  const std::string head = lower(text.substr(0, 512));
  return head.starts_with("<") &&
         (head.find("<html") != std::string::npos || head.find("<!doctype") != std::string::npos ||
          head.find("<head") != std::string::npos || head.find("<body") != std::string::npos);
}

std::string html_note(std::string_view html) {
  const std::string lowered = lower(html);
  const auto open = lowered.find("<title");
  const auto open_end = open == std::string::npos ? open : lowered.find('>', open);
  const auto close = open_end == std::string::npos ? open_end : lowered.find("</title", open_end);
  if (close == std::string::npos) return "upstream returned an HTML page";
  const std::string_view title = trim(html.substr(open_end + 1, close - open_end - 1));
  if (title.empty()) return "upstream returned an HTML page";
  return "upstream returned an HTML page: " + std::string(title);
}

}  // namespace

std::string error_body(std::string_view message, std::string_view type, std::string_view param,
                       std::string_view code) {
  json::object error;
  error["message"] = message;
  error["type"] = type;
  error["param"] = param.empty() ? json::value(nullptr) : json::value(param);
  error["code"] = code.empty() ? json::value(nullptr) : json::value(code);
  json::object body;
  body["error"] = std::move(error);
  return json::serialize(body);
}

std::string error_message_from_body(std::string_view body) {
  const std::string_view text = trim(body);
  if (text.empty()) return {};
  boost::system::error_code parse_error;
  const json::value parsed = json::parse(text, parse_error);
  if (!parse_error) {
    if (auto message = message_in_json(parsed)) return capped(trim(*message));
    return capped(text);
  }
  if (looks_like_html(text)) return capped(html_note(text));
  return capped(text);
}

bool says_context_too_long(std::string_view body) {
  static constexpr std::string_view kPhrases[] = {
      "context_length_exceeded", "context length",
      "context_length",          "maximum context",
      "context window",          "too many tokens",
      "prompt is too long",      "input is too long",
      "reduce the length",       "exceeds the maximum number of tokens"};
  const std::string_view head = body.substr(0, 4096);
  std::string lower(head);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::any_of(std::begin(kPhrases), std::end(kPhrases), [&](std::string_view phrase) {
    return lower.find(phrase) != std::string::npos;
  });
}

}  // namespace ccgate::openai
