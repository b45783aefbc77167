#include "mock/openai_protocol.hpp"

#include <fmt/format.h>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <iterator>

namespace ccgate::bench::openai {
namespace {

constexpr std::string_view kChoiceOpening = R"("choices":[{"index":0,"delta":)";
constexpr std::string_view kRoleDelta =
    R"({"role":"assistant","content":""},"finish_reason":null}]})";
constexpr std::string_view kContentOpening = R"({"content":")";
constexpr std::string_view kContentClosing = R"("},"finish_reason":null}]})";
constexpr std::string_view kFinishDelta = R"({},"finish_reason":"stop"}]})";
constexpr std::string_view kEventEnd = "\n\n";
constexpr std::string_view kDone = "data: [DONE]\n\n";

}  // namespace

std::string error_body(std::string_view message) {
  const boost::json::string text(message);
  return fmt::format(
      R"({{"error":{{"message":{},"type":"server_error","param":null,"code":null}}}})",
      boost::json::serialize(text));
}

std::string completion_body(const Answer& answer) {
  std::string body;
  body.reserve(answer.text_bytes + 320);
  fmt::format_to(std::back_inserter(body),
                 R"({{"id":"chatcmpl-mock-{}","object":"chat.completion","created":{},)"
                 R"("model":"mock","choices":[{{"index":0,"message":{{"role":"assistant",)"
                 R"("content":")",
                 answer.id, answer.created);
  body.append(answer.text_bytes, 'x');
  fmt::format_to(std::back_inserter(body),
                 R"("}},"logprobs":null,"finish_reason":"stop"}}],"usage":{{"prompt_tokens":{},)"
                 R"("completion_tokens":{},"total_tokens":{}}}}})",
                 answer.prompt_tokens, answer.completion_tokens,
                 answer.prompt_tokens + answer.completion_tokens);
  return body;
}

EventStream::EventStream(const Answer& answer)
    : answer_(answer),
      head_(fmt::format(
          R"(data: {{"id":"chatcmpl-mock-{}","object":"chat.completion.chunk","created":{},)"
          R"("model":"mock",)",
          answer.id, answer.created)) {
  event_.reserve(head_.size() + kChoiceOpening.size() + kContentOpening.size() + answer.text_bytes +
                 kContentClosing.size() + kEventEnd.size() + 16);
}

std::string_view EventStream::opening(std::size_t) {
  event_.assign(head_).append(kChoiceOpening).append(kRoleDelta).append(kEventEnd);
  return event_;
}

std::string_view EventStream::delta(std::uint64_t index) {
  event_.assign(head_).append(kChoiceOpening).append(kContentOpening);
  append_delta_text(event_, index, answer_.text_bytes);
  event_.append(kContentClosing).append(kEventEnd);
  return event_;
}

std::string_view EventStream::closing(std::size_t index) {
  if (index == 0) {
    event_.assign(head_).append(kChoiceOpening).append(kFinishDelta).append(kEventEnd);
  } else if (index == 1 && answer_.include_usage) {
    event_.assign(head_);
    fmt::format_to(std::back_inserter(event_),
                   R"("choices":[],"usage":{{"prompt_tokens":{},"completion_tokens":{},)"
                   R"("total_tokens":{}}}}})",
                   answer_.prompt_tokens, answer_.completion_tokens,
                   answer_.prompt_tokens + answer_.completion_tokens);
    event_.append(kEventEnd);
  } else {
    event_.assign(kDone);
  }
  return event_;
}

}  // namespace ccgate::bench::openai
