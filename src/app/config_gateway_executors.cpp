#include "app/config_gateway_executors.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>

#include "app/config.hpp"
#include "gateway/builtin_tools.hpp"
#include "translate/tool_names.hpp"

namespace ccgate::app {
namespace json = boost::json;

namespace {

constexpr std::string_view kToolKeys = "name, description, input_schema, webhook, command";
constexpr std::string_view kWebhookKeys = "url, headers, timeout, max_output";
constexpr std::string_view kCommandKeys = "run, timeout, max_output, env";
constexpr long long kMaxOutputLimit = 64LL * 1024 * 1024;

bool tool_name(std::string_view name) {
  return !name.empty() && name.size() <= translate::ToolNames::kMaxSafeLength &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
         });
}

void expect_list(const Parser& parse, const YAML::Node& node, const std::string& path,
                 std::string_view what) {
  if (!node.IsSequence() || node.size() == 0)
    parse.fail(node, path, fmt::format("expected a list of {}", what));
}

// A plain YAML scalar as JSON would type it (true, 3, 2.5, null); a quoted one is a string.
json::value json_scalar(const Parser& parse, const YAML::Node& node, const std::string& path) {
  std::string text = parse.text(node, path);
  if (node.Tag() == "!") return json::string(text);
  if (text == "true" || text == "false") return text == "true";
  if (text == "null" || text == "~") return nullptr;
  std::int64_t integer = 0;
  if (auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), integer);
      ec == std::errc{} && end == text.data() + text.size())
    return integer;
  double number = 0;
  if (auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
      ec == std::errc{} && end == text.data() + text.size() && std::isfinite(number))
    return number;
  return json::string(text);
}

json::value json_of(const Parser& parse, const YAML::Node& node, const std::string& path) {
  if (node.IsMap()) {
    json::object object;
    parse.each(node, path, "",
               [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
                 object[key] = json_of(parse, value, path + "." + key);
                 return true;
               });
    return object;
  }
  if (node.IsSequence()) {
    json::array array;
    for (std::size_t i = 0; i < node.size(); ++i)
      array.push_back(json_of(parse, node[i], fmt::format("{}[{}]", path, i)));
    return array;
  }
  if (node.IsScalar()) return json_scalar(parse, node, path);
  return nullptr;
}

json::object read_schema(const Parser& parse, const YAML::Node& node, const std::string& path) {
  if (!node.IsMap()) parse.fail(node, path, "expected a JSON Schema (a mapping with type: object)");
  json::value schema = json_of(parse, node, path);
  const auto* type = schema.as_object().if_contains("type");
  if (!type || !type->is_string() || type->as_string() != "object")
    parse.fail(node, path + ".type", "must be object (a tool's input is a JSON object)");
  return std::move(schema.as_object());
}

std::size_t read_max_output(const Parser& parse, const YAML::Node& node, const std::string& path) {
  return static_cast<std::size_t>(parse.integer(node, path, 1, kMaxOutputLimit));
}

gateway::WebhookRun read_webhook(const Parser& parse, const YAML::Node& node,
                                 const std::string& path) {
  gateway::WebhookRun webhook;
  if (!node.IsMap()) parse.fail(node, path, fmt::format("expected a mapping ({})", kWebhookKeys));
  parse.each(node, path, kWebhookKeys,
             [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
               const std::string at = path + "." + key;
               if (key == "url") {
                 webhook.url = parse.url(value, at);
               } else if (key == "headers") {
                 webhook.headers = parse.headers(value, at);
               } else if (key == "timeout") {
                 webhook.timeout = parse.seconds(value, at);
               } else if (key == "max_output") {
                 webhook.max_output = read_max_output(parse, value, at);
               } else {
                 return false;
               }
               return true;
             });
  if (webhook.url.empty()) parse.fail(node, path + ".url", "is required");
  return webhook;
}

bool executable_file(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
         ::access(path.c_str(), X_OK) == 0;
}

gateway::CommandRun read_command(const Parser& parse, const YAML::Node& node,
                                 const std::string& path) {
  gateway::CommandRun command;
  if (!node.IsMap()) parse.fail(node, path, fmt::format("expected a mapping ({})", kCommandKeys));
  parse.each(
      node, path, kCommandKeys,
      [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
        const std::string at = path + "." + key;
        if (key == "run") {
          expect_list(parse, value, at, "arguments, the program first (no shell runs it)");
          for (std::size_t i = 0; i < value.size(); ++i) {
            const std::string argument_path = fmt::format("{}[{}]", at, i);
            std::string argument = parse.text(value[i], argument_path);
            if (argument.find('\0') != std::string::npos)
              parse.fail(value[i], argument_path, "holds a NUL character");
            command.argv.push_back(std::move(argument));
          }
          const std::string& program = command.argv.front();
          if (!program.starts_with('/'))
            parse.fail(value[0], at + "[0]",
                       fmt::format("{}: the program must be an absolute path (no PATH search)",
                                   quoted_value(program)));
          if (!executable_file(program))
            parse.fail(value[0], at + "[0]",
                       fmt::format("{}: not an executable file", quoted_value(program)));
        } else if (key == "timeout") {
          command.timeout = parse.seconds(value, at);
        } else if (key == "max_output") {
          command.max_output = read_max_output(parse, value, at);
        } else if (key == "env") {
          parse.each(
              value, at, "",
              [&](const std::string& name, const YAML::Node& name_at, const YAML::Node& text) {
                if (!variable_name(name))
                  parse.fail(name_at, at + "." + name, "not a variable name");
                command.env.emplace_back(name, parse.text(text, at + "." + name));
                return true;
              });
        } else {
          return false;
        }
        return true;
      });
  if (command.argv.empty()) parse.fail(node, path + ".run", "is required");
  return command;
}

gateway::ToolExecutor read_tool(const Parser& parse, const YAML::Node& node,
                                const std::string& path) {
  if (!node.IsMap()) parse.fail(node, path, fmt::format("expected a mapping ({})", kToolKeys));
  gateway::ToolExecutor tool{.input_schema = json::object{{"type", "object"}}};
  bool has_run = false;
  parse.each(node, path, kToolKeys,
             [&](const std::string& key, const YAML::Node& key_at, const YAML::Node& value) {
               const std::string at = path + "." + key;
               if (key == "name") {
                 tool.name = parse.non_empty(value, at);
                 if (!tool_name(tool.name))
                   parse.fail(
                       value, at,
                       fmt::format("{}: a tool name is 1 to {} of A-Z a-z 0-9 _ -",
                                   quoted_value(tool.name), translate::ToolNames::kMaxSafeLength));
               } else if (key == "description") {
                 tool.description = parse.non_empty(value, at);
               } else if (key == "input_schema") {
                 tool.input_schema = read_schema(parse, value, at);
               } else if (key == "webhook" || key == "command") {
                 if (has_run)
                   parse.fail(key_at, at, "a tool has either a webhook or a command, not both");
                 has_run = true;
                 if (key == "webhook")
                   tool.run = read_webhook(parse, value, at);
                 else
                   tool.run = read_command(parse, value, at);
               } else {
                 return false;
               }
               return true;
             });
  if (tool.name.empty()) parse.fail(node, path + ".name", "is required");
  if (tool.description.empty()) parse.fail(node, path + ".description", "is required");
  if (!has_run) parse.fail(node, path, "needs a webhook: or a command: that runs the tool");
  return tool;
}

std::vector<gateway::ToolExecutor> read_tools(const Parser& parse, const YAML::Node& node) {
  expect_list(parse, node, "gateway.tools", "tools (- name: …)");
  std::vector<gateway::ToolExecutor> tools;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string path = fmt::format("gateway.tools[{}]", i);
    auto tool = read_tool(parse, node[i], path);
    for (std::size_t j = 0; j < tools.size(); ++j)
      if (tools[j].name == tool.name)
        parse.fail(node[i]["name"], path + ".name",
                   fmt::format("\"{}\" is already the name of gateway.tools[{}]", tool.name, j));
    tools.push_back(std::move(tool));
  }
  return tools;
}

std::vector<std::string> read_names(const Parser& parse, const YAML::Node& node,
                                    const std::string& path, std::string_view what) {
  expect_list(parse, node, path, what);
  std::vector<std::string> names;
  for (std::size_t i = 0; i < node.size(); ++i)
    names.push_back(parse.non_empty(node[i], fmt::format("{}[{}]", path, i)));
  return names;
}

gateway::BuiltinToolRule read_builtin_rule(const Parser& parse, const YAML::Node& node,
                                           const std::string& path) {
  if (!node.IsMap()) parse.fail(node, path, "expected a mapping (models, tools)");
  gateway::BuiltinToolRule rule;
  parse.each(
      node, path, "models, tools",
      [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
        const std::string at = path + "." + key;
        if (key == "models") {
          rule.models = read_names(parse, value, at, "model names or globs (\"*\": every model)");
        } else if (key == "tools") {
          rule.tools = read_names(parse, value, at, "Claude Code built-in tools");
          for (std::size_t i = 0; i < rule.tools.size(); ++i)
            if (!gateway::supported_builtin(rule.tools[i]))
              parse.fail(
                  value[i], fmt::format("{}[{}]", at, i),
                  fmt::format("{}: not a built-in tool ccgate can confine to the conversation's "
                              "dir (one of: {})",
                              quoted_value(rule.tools[i]), gateway::supported_builtins_list()));
        } else {
          return false;
        }
        return true;
      });
  if (rule.models.empty()) parse.fail(node, path + ".models", "is required (\"*\": every model)");
  if (rule.tools.empty()) parse.fail(node, path + ".tools", "is required");
  return rule;
}

std::vector<gateway::BuiltinToolRule> read_builtin_rules(const Parser& parse,
                                                         const YAML::Node& node) {
  expect_list(parse, node, "gateway.builtin_tools", "rules (- models: […] tools: […])");
  std::vector<gateway::BuiltinToolRule> rules;
  for (std::size_t i = 0; i < node.size(); ++i)
    rules.push_back(read_builtin_rule(parse, node[i], fmt::format("gateway.builtin_tools[{}]", i)));
  return rules;
}

}  // namespace

void read_executor_config(const Parser& parse, std::string_view key, const YAML::Node& value,
                          gateway::ExecutorConfig& config) {
  if (key == "tools")
    config.tools = read_tools(parse, value);
  else
    config.builtin_tools = read_builtin_rules(parse, value);
}

}  // namespace ccgate::app
