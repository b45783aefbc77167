#pragma once
// What to run for one Claude Code session: the CLI's path, its argument vector, its scrubbed and
// isolated environment and its working directory. Pure builders, plus finding the CLI.

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ccgate::claude {

// "NAME=value" entries, in the form of `environ`.
using Environment = std::vector<std::string>;

// The places a session's files live, all inside its private directory.
struct SessionLayout {
  std::filesystem::path root;

  std::filesystem::path home() const { return root / "home"; }
  std::filesystem::path config_dir() const { return home() / ".claude"; }
  std::filesystem::path tmp() const { return root / "tmp"; }
  std::filesystem::path work() const { return root / "work"; }
  // What the CLI reads at start, kept out of its argv (visible to every local user in
  // /proc/<pid>/cmdline, and bounded by the kernel: a long argument fails the spawn with E2BIG).
  std::filesystem::path mcp_config_file() const { return root / "mcp-config.json"; }
  std::filesystem::path system_prompt_file() const { return root / "system-prompt.txt"; }
  // The CLI's --settings: an "ask" permission rule for each allowed built-in tool.
  std::filesystem::path settings_file() const { return root / "settings.json"; }
  // HOME of the commands the gateway runs for the conversation (server-side tool executors).
  std::filesystem::path tool_home() const { return root / "tool-home"; }
};

// Creates home, config_dir, tmp and work (mode 0700). Throws std::filesystem::filesystem_error.
void create_session_layout(const SessionLayout& layout);

struct LaunchSettings {
  std::filesystem::path cli_path;
  std::string model;       // --model=; empty: the CLI's default
  std::string mcp_config;  // the JSON text {"mcpServers":{...}}, with the session's secret
  std::string append_system_prompt;  // appended to the CLI's system prompt; empty: none
  std::string effort;                // --effort=; empty: none
  // The built-in tools the CLI may offer (--tools=Read,Grep), each behind an "ask" permission
  // rule so that approval_prompt decides every call; empty: none (--tools "").
  std::vector<std::string> builtin_tools;
  std::string base_url;  // ANTHROPIC_BASE_URL; empty: not set
  std::string api_key;   // ANTHROPIC_API_KEY; empty: not set
  // MCP_TOOL_TIMEOUT: the CLI's hard limit on one MCP tool call. Keep it above the gateway's own
  // tool-call timeout so that the gateway, not the CLI, decides when a client tool is too late.
  std::chrono::milliseconds mcp_tool_timeout{180'000};
  // MCP_TIMEOUT: how long the CLI waits at start for its MCP servers to connect before it goes
  // on without them (its init line then says "pending").
  std::chrono::milliseconds mcp_start_timeout{30'000};
  // Applied last, so an operator's explicit choice wins over every default above.
  std::vector<std::pair<std::string, std::string>> extra_env;
  std::filesystem::path session_dir;  // the session's TempDir; see SessionLayout
};

struct LaunchSpec {
  std::filesystem::path path;     // executed as is, no PATH search
  std::vector<std::string> argv;  // argv[0] is `path`
  Environment envp;
  std::filesystem::path cwd;
};

// The arguments after argv[0]. Every value that can come from a client or the configuration is
// passed in the --flag=value form, so no value can be read as another flag. The MCP config and
// the system prompt are passed as the paths of the files write_launch_files() makes.
std::vector<std::string> cli_arguments(const LaunchSettings& settings);

// Writes the MCP config and the system prompt (when not empty) into the session dir, each
// readable by this user only (0600), refusing to follow or reuse an existing file. Throws
// std::system_error naming the file.
void write_launch_files(const LaunchSettings& settings);

// `parent` without what the CLI must not inherit (CLAUDECODE, ANTHROPIC_*, CLAUDE_CODE_*,
// ccgate's own secrets, and every variable set below), then the session's isolation: HOME,
// CLAUDE_CONFIG_DIR, TMPDIR and CLAUDE_CODE_TMPDIR inside the session dir, PWD, the switches
// that keep the CLI quiet and offline-safe, the base URL and key, then `extra_env`.
Environment cli_environment(const LaunchSettings& settings, const Environment& parent);

LaunchSpec build_launch(const LaunchSettings& settings, const Environment& parent);

// This process's environment.
Environment current_environment();

// <project_root>/tests/e2e/node_modules/.bin/claude: the CLI version the project pins.
std::filesystem::path pinned_cli_path(const std::filesystem::path& project_root);

// The nearest ancestor of `executable` (symbolic links resolved first, so "/proc/self/exe"
// names the real binary) that holds the project's tests/e2e directory, e.g. the source tree
// above build/ccgate; empty for an installed binary.
std::filesystem::path project_root_of(const std::filesystem::path& executable);

struct CliLookup {
  std::filesystem::path path;  // set when found
  std::string error;           // otherwise: what to do, fit for a client (names no path)
  std::string tried;           // otherwise: where it looked, for the server's log
  explicit operator bool() const { return error.empty(); }
};

// The configured path if set (a bare name is looked up on `search_path`); it must be an
// executable file. Unset: the project's pinned install under `project_root` (when not empty)
// if present, else `claude` on `search_path`.
CliLookup find_cli(std::string_view configured_path, const std::filesystem::path& project_root,
                   std::string_view search_path);
// As above, searching this process's PATH.
CliLookup find_cli(std::string_view configured_path, const std::filesystem::path& project_root);

}  // namespace ccgate::claude
