#include "gateway_client/requests.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>

namespace ccgate::bench {
namespace json = boost::json;

namespace {

constexpr std::string_view kModel = "sonnet";
constexpr std::string_view kToolName = "bench_tool";

}  // namespace

RequestFactory::RequestFactory(const Options& options)
    : host_(fmt::format("{}:{}", options.host, options.port)),
      directive_(fmt::format("FAKE[lines={};interval_us={};chunk_bytes={}]", options.lines,
                             options.interval_us, options.chunk_bytes)) {
  json::object parameters{{"type", "object"}, {"properties", {{"q", {{"type", "string"}}}}}};
  json::object function{
      {"name", kToolName}, {"description", "bench"}, {"parameters", std::move(parameters)}};
  tools_.push_back(json::object{{"type", "function"}, {"function", std::move(function)}});
}

json::object RequestFactory::user_message(std::string text) {
  return json::object{{"role", "user"}, {"content", std::move(text)}};
}

std::string RequestFactory::streamed_turn(std::string_view nonce) const {
  json::object body{
      {"model", kModel},
      {"stream", true},
      {"stream_options", {{"include_usage", true}}},
      {"messages", json::array{user_message(fmt::format("{} nonce {}", directive_, nonce))}}};
  return http_request(body, true);
}

std::string RequestFactory::tool_call(std::string_view nonce) const {
  json::object body{
      {"model", kModel},
      {"tools", tools_},
      {"messages",
       json::array{user_message(fmt::format("FAKE[tool={};lines=1] nonce {}", kToolName, nonce))}}};
  return http_request(body, false);
}

std::string RequestFactory::tool_result(std::string_view nonce, const ToolCall& call) const {
  json::object function{{"name", call.name}, {"arguments", call.arguments}};
  json::object assistant{
      {"role", "assistant"},
      {"content", nullptr},
      {"tool_calls",
       json::array{json::object{
           {"id", call.id}, {"type", "function"}, {"function", std::move(function)}}}}};
  json::object tool{{"role", "tool"}, {"tool_call_id", call.id}, {"content", "bench result"}};
  json::object body{
      {"model", kModel},
      {"tools", tools_},
      {"messages",
       json::array{user_message(fmt::format("FAKE[tool={};lines=1] nonce {}", kToolName, nonce)),
                   std::move(assistant), std::move(tool)}}};
  return http_request(body, false);
}

std::string RequestFactory::plain_turn(std::string_view nonce) const {
  json::object body{
      {"model", kModel},
      {"messages", json::array{user_message(fmt::format("FAKE[lines=1] nonce {}", nonce))}}};
  return http_request(body, false);
}

std::string RequestFactory::http_request(const json::object& body, bool streamed) const {
  const std::string text = json::serialize(body);
  return fmt::format(
      "POST /v1/chat/completions HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n"
      "Accept: {}\r\nContent-Length: {}\r\n\r\n{}",
      host_, streamed ? "text/event-stream" : "application/json", text.size(), text);
}

}  // namespace ccgate::bench
