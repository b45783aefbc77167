#pragma once
// The configuration of the tools ccgate runs itself (gateway.tools: server-side tool executors)
// and of the Claude Code built-in tools an operator allows (gateway.builtin_tools). Values only.

#include <boost/json/object.hpp>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace ccgate::gateway {

// POSTs the tool's input (JSON) to `url`; the answer's body is the result.
struct WebhookRun {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout{10'000};
  std::size_t max_output = 1024 * 1024;  // bytes of the answer's body
};

// Spawns `argv` (no shell, no PATH search) with the input on stdin; stdout is the result.
struct CommandRun {
  std::vector<std::string> argv;  // argv[0]: an absolute path
  std::chrono::milliseconds timeout{30'000};
  std::size_t max_output = 1024 * 1024;                    // bytes of stdout
  std::vector<std::pair<std::string, std::string>> env{};  // besides PATH, LANG, LC_*, HOME
};

struct ToolExecutor {
  std::string name;  // as the model sees it, after "mcp__gateway__"
  std::string description;
  boost::json::object input_schema;  // a JSON Schema of type object
  std::variant<WebhookRun, CommandRun> run;

  std::chrono::milliseconds timeout() const {
    return std::visit([](const auto& how) { return how.timeout; }, run);
  }
};

// The built-ins in `tools` are allowed in conversations whose model (as the client names it)
// matches one of the `models` globs.
struct BuiltinToolRule {
  std::vector<std::string> models;
  std::vector<std::string> tools;
};

struct ExecutorConfig {
  std::vector<ToolExecutor> tools;
  std::vector<BuiltinToolRule> builtin_tools;
};

// The built-ins allowed for `model`: every matching rule's, sorted, each once (empty: none).
std::vector<std::string> builtin_tools_for(const std::vector<BuiltinToolRule>& rules,
                                           std::string_view model);

}  // namespace ccgate::gateway
