#pragma once
// Helpers for the gateway translation tests: recorded CLI stdout, and what an OpenAI client
// assembles from a chat.completion.chunk stream.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "http/sse.hpp"
#include "translate/cli_stream.hpp"

namespace ccgate::translate::gateway_testing {

namespace json = boost::json;

// One parsed object per line of tests/unit/fixtures/cli/<name>.
inline std::vector<json::object> read_cli_fixture(std::string_view name) {
  const auto path = std::filesystem::path(__FILE__).parent_path() / "fixtures" / "cli" / name;
  std::ifstream file(path);
  if (!file) throw std::runtime_error("cannot open fixture " + path.string());
  std::vector<json::object> lines;
  for (std::string line; std::getline(file, line);) {
    if (!line.empty()) lines.push_back(json::parse(line).as_object());
  }
  return lines;
}

struct AssembledToolCall {
  std::string id;
  std::string type;
  std::string name;
  std::string arguments;
};

// What the OpenAI SDK's stream helper makes of the chunks.
struct ClientView {
  std::string role;
  std::string content;
  std::string reasoning;
  std::map<std::int64_t, AssembledToolCall> tool_calls;  // by index
  std::string finish_reason;
  std::optional<json::object> usage;
  std::optional<json::object> error;
  std::vector<json::object> chunks;
  bool done_last = false;  // "data: [DONE]" was the last event
  int done_count = 0;
  bool role_first = false;  // the first chunk carries delta.role
};

inline void apply_delta(ClientView& view, const json::object& delta) {
  if (const auto* role = delta.if_contains("role")) view.role = role->as_string().c_str();
  if (const auto* content = delta.if_contains("content"); content && content->is_string()) {
    view.content += content->get_string();
  }
  if (const auto* reasoning = delta.if_contains("reasoning_content")) {
    view.reasoning += reasoning->as_string();
  }
  if (const auto* calls = delta.if_contains("tool_calls")) {
    for (const auto& entry : calls->as_array()) {
      const auto& fragment = entry.as_object();
      auto& call = view.tool_calls[fragment.at("index").as_int64()];
      if (const auto* id = fragment.if_contains("id")) call.id = id->as_string().c_str();
      if (const auto* type = fragment.if_contains("type")) call.type = type->as_string().c_str();
      if (const auto* function = fragment.if_contains("function")) {
        const auto& object = function->as_object();
        if (const auto* name = object.if_contains("name")) call.name += name->as_string();
        if (const auto* arguments = object.if_contains("arguments")) {
          call.arguments += arguments->as_string();
        }
      }
    }
  }
}

inline ClientView assemble(std::string_view sse) {
  ClientView view;
  http::SseReader reader;
  reader.feed(sse);
  while (auto event = reader.next()) {
    view.done_last = false;
    if (event->data == "[DONE]") {
      view.done_last = true;
      ++view.done_count;
      continue;
    }
    auto object = json::parse(event->data).as_object();
    if (object.contains("error")) {
      view.error = object.at("error").as_object();
      continue;
    }
    view.chunks.push_back(object);
    if (const auto* usage = object.if_contains("usage"); usage && usage->is_object()) {
      view.usage = usage->as_object();
    }
    for (const auto& choice : object.at("choices").as_array()) {
      const auto& delta = choice.at("delta").as_object();
      if (view.chunks.size() == 1) view.role_first = delta.contains("role");
      apply_delta(view, delta);
      if (const auto& reason = choice.at("finish_reason"); reason.is_string()) {
        view.finish_reason = reason.as_string().c_str();
      }
    }
  }
  EXPECT_EQ(reader.buffered(), 0u) << "the stream ends inside an event";
  return view;
}

inline CliStreamOptions options_with_tools(std::vector<std::string> client_tools = {
                                               "get_weather"}) {
  CliStreamOptions options;
  options.id = "chatcmpl-test1";
  options.model = "sonnet";
  options.created = 1795310729;
  options.tools = ToolNames(client_tools);
  // The ids the client sees, numbered: call_test1, call_test2, … per translator.
  options.make_call_id = [count = 0](std::string_view prefix) mutable {
    return std::string(prefix) + "test" + std::to_string(++count);
  };
  return options;
}

struct Run {
  std::string sse;
  std::optional<TurnEnd> end;
  std::size_t lines_used = 0;  // lines fed until the turn ended
};

// Feeds lines until the turn ends, then finishes the stream like the HTTP layer does.
inline Run run_lines(CliStreamTranslator& translator, const std::vector<json::object>& lines) {
  Run run;
  for (const auto& line : lines) {
    ++run.lines_used;
    run.end = translator.on_line(line, run.sse);
    if (run.end) break;
  }
  if (run.end) translator.finish(*run.end, run.sse);
  return run;
}

}  // namespace ccgate::translate::gateway_testing
