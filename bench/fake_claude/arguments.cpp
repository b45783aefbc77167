#include "fake_claude/arguments.hpp"

#include <boost/json.hpp>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string_view>

namespace ccgate::bench {
namespace json = boost::json;

namespace {

// "--name=value" or "--name value": the value of flag `name`, if this argument is it.
std::optional<std::string> flag_value(std::string_view name, int& index, int argc, char** argv) {
  const std::string_view argument = argv[index];
  if (!argument.starts_with(name)) return std::nullopt;
  const std::string_view rest = argument.substr(name.size());
  if (rest.starts_with('=')) return std::string(rest.substr(1));
  if (!rest.empty() || index + 1 >= argc) return std::nullopt;
  return std::string(argv[++index]);
}

McpServerConfig server_from(const json::object& entry) {
  McpServerConfig server;
  const auto* url = entry.if_contains("url");
  if (url == nullptr || !url->is_string()) throw std::runtime_error("an MCP server has no url");
  std::string_view rest = url->get_string();
  constexpr std::string_view kScheme = "http://";
  if (!rest.starts_with(kScheme))
    throw std::runtime_error("only http:// MCP servers are supported");
  rest.remove_prefix(kScheme.size());
  const auto slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  server.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  const auto colon = authority.rfind(':');
  server.host = std::string(authority.substr(0, colon));
  server.port = colon == std::string_view::npos ? "80" : std::string(authority.substr(colon + 1));
  if (server.host.starts_with('[') && server.host.ends_with(']'))
    server.host = server.host.substr(1, server.host.size() - 2);
  if (const auto* headers = entry.if_contains("headers"); headers && headers->is_object())
    for (const auto& [name, value] : headers->get_object())
      if (value.is_string()) server.headers.emplace_back(name, value.get_string());
  return server;
}

// --mcp-config takes the JSON itself or, as the real CLI also accepts, the path of a file
// holding it (where ccgate keeps the per-session secret out of argv).
std::string mcp_config_text(const std::string& value) {
  const auto first = value.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && value[first] == '{') return value;
  std::ifstream file(value);
  if (!file) throw std::runtime_error("cannot read the MCP config file " + value);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

void read_mcp_config(const std::string& value, Arguments& arguments) {
  const json::value config = json::parse(mcp_config_text(value));
  const auto* servers = config.as_object().if_contains("mcpServers");
  if (servers == nullptr || !servers->is_object()) return;
  for (const auto& [name, entry] : servers->get_object()) {
    if (!entry.is_object()) continue;
    if (name == "gateway") arguments.gateway = server_from(entry.get_object());
    if (name == "auth") arguments.auth = server_from(entry.get_object());
  }
}

}  // namespace

Arguments parse_arguments(int argc, char** argv) {
  Arguments arguments;
  for (int index = 1; index < argc; ++index) {
    if (std::string_view(argv[index]) == "--help") arguments.help = true;
    if (auto config = flag_value("--mcp-config", index, argc, argv)) {
      read_mcp_config(*config, arguments);
    } else if (auto model = flag_value("--model", index, argc, argv)) {
      arguments.model = std::move(*model);
    }
  }
  return arguments;
}

std::string_view usage_text() {
  return R"(ccgate-bench-fake-claude: a stand-in for the Claude Code CLI, started by ccgate
(CLAUDE_CODE_PATH) with the CLI's own arguments:

  ccgate-bench-fake-claude -p --input-format stream-json --output-format stream-json ...
      --mcp-config=<json or file> [--model=<m>] [any other flag, ignored]

It connects to the MCP servers of --mcp-config, then answers each stream-json user line on
stdin with one turn on stdout. A turn is steered by FAKE[key=value;...] in the user text:
  lines=8 interval_us=0 chunk_bytes=32 tool=<name> startup_ms=0
and by the faults and checks of the soak (bench/soak.mjs):
  crash_after=N  exit(3) after N text deltas, mid-turn
  hang_after=N   after N text deltas, stop writing and reading until killed
  garbage=N      N lines that are not stream-json, right after the init line
  probe_mcp=1    try the gateway MCP server with a wrong secret and an unknown session; the
                 statuses open the answer: mcp_wrong_secret=<s>; mcp_unknown_session=<s>;
  tag=N          the answer opens with tag=N; (after a tool call: result=<the result>;)
)";
}

}  // namespace ccgate::bench
