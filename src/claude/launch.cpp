#include "claude/launch.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <ranges>
#include <system_error>

#include "claude/unique_fd.hpp"

extern char** environ;  // NOLINT: POSIX

namespace ccgate::claude {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kApprovalTool = "mcp__auth__approval_prompt";

// Whole names the CLI must not inherit: CLAUDECODE would make it believe it runs inside another
// Claude Code; NODE_OPTIONS and CLAUDE_AUTO_BACKGROUND_TASKS change how it runs; the keys are
// ccgate's own secrets.
constexpr std::array kDroppedNames{
    std::string_view{"CLAUDECODE"},
    std::string_view{"NODE_OPTIONS"},
    std::string_view{"CLAUDE_AUTO_BACKGROUND_TASKS"},
    std::string_view{"OPENAI_API_KEY"},
    std::string_view{"GATEWAY_API_KEY"},
};
// Whole families: the parent's Anthropic credentials and endpoint, its Claude Code switches
// (CLAUDE_CODE_ENTRYPOINT among them) and ccgate's upstream headers, which may carry credentials.
constexpr std::array kDroppedPrefixes{
    std::string_view{"ANTHROPIC_"},
    std::string_view{"CLAUDE_CODE_"},
    std::string_view{"CUSTOM_HEADER_"},
};

std::string_view name_of(std::string_view entry) {
  return entry.substr(0, entry.find('='));
}

bool is_executable_file(const fs::path& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
         ::access(path.c_str(), X_OK) == 0;
}

std::vector<std::pair<std::string, std::string>> session_variables(const LaunchSettings& settings) {
  const SessionLayout layout{settings.session_dir};
  std::vector<std::pair<std::string, std::string>> variables{
      {"HOME", layout.home().string()},
      {"CLAUDE_CONFIG_DIR", layout.config_dir().string()},
      {"TMPDIR", layout.tmp().string()},
      {"CLAUDE_CODE_TMPDIR", layout.tmp().string()},
      {"PWD", layout.work().string()},
      {"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"},
      {"DISABLE_AUTOUPDATER", "1"},
      {"DISABLE_TELEMETRY", "1"},
      {"DISABLE_ERROR_REPORTING", "1"},
      // Otherwise the client's tools hide behind ToolSearch and the model never sees them.
      {"ENABLE_TOOL_SEARCH", "false"},
      {"CLAUDE_CODE_MCP_AUTO_BACKGROUND_MS", "0"},
      {"MCP_TOOL_TIMEOUT", std::to_string(settings.mcp_tool_timeout.count())},
      {"MCP_TIMEOUT", std::to_string(settings.mcp_start_timeout.count())},
  };
  if (!settings.base_url.empty()) variables.emplace_back("ANTHROPIC_BASE_URL", settings.base_url);
  if (!settings.api_key.empty()) variables.emplace_back("ANTHROPIC_API_KEY", settings.api_key);
  variables.insert(variables.end(), settings.extra_env.begin(), settings.extra_env.end());
  return variables;
}

bool dropped(std::string_view name,
             const std::vector<std::pair<std::string, std::string>>& replaced) {
  if (std::ranges::find(kDroppedNames, name) != kDroppedNames.end()) return true;
  if (std::ranges::any_of(kDroppedPrefixes, [&](auto prefix) { return name.starts_with(prefix); }))
    return true;
  return std::ranges::any_of(replaced,
                             [&](const auto& variable) { return variable.first == name; });
}

// O_EXCL and O_NOFOLLOW: a file (or link) planted in the session dir is never written through.
void write_private_file(const fs::path& path, std::string_view content) {
  UniqueFd file(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!file)
    throw std::system_error(errno, std::generic_category(), "cannot create " + path.string());
  if (::fchmod(file.get(), S_IRUSR | S_IWUSR) != 0)  // whatever the umask
    throw std::system_error(errno, std::generic_category(), "cannot chmod " + path.string());
  while (!content.empty()) {
    const ssize_t written = ::write(file.get(), content.data(), content.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0)
      throw std::system_error(errno, std::generic_category(), "cannot write " + path.string());
    content.remove_prefix(static_cast<std::size_t>(written));
  }
}

fs::path search(std::string_view name, std::string_view search_path) {
  for (const auto directory : std::views::split(search_path, ':')) {
    const std::string_view dir(directory.begin(), directory.end());
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
    if (is_executable_file(candidate)) return candidate;
  }
  return {};
}

CliLookup configured_cli(std::string_view configured, std::string_view search_path) {
  if (configured.find('/') == std::string_view::npos) {
    if (auto found = search(configured, search_path); !found.empty()) return {found, {}, {}};
    return {{},
            "CLAUDE_CODE_PATH names a program that is not on the server's PATH; set it to the "
            "full path of the Claude Code CLI",
            fmt::format("CLAUDE_CODE_PATH={} on PATH ({})", configured, search_path)};
  }
  if (is_executable_file(configured)) return {fs::path(configured), {}, {}};
  return {{},
          "CLAUDE_CODE_PATH does not name an executable file; set it to the full path of the "
          "Claude Code CLI",
          fmt::format("CLAUDE_CODE_PATH={}", configured)};
}

// Every call of an allowed built-in asks approval_prompt, even one the CLI would allow by itself
// (a read inside its working dir). The names are the CLI's own (letters only): no quoting needed.
std::string builtin_tool_settings(const std::vector<std::string>& tools) {
  std::string ask;
  for (const auto& tool : tools) ask += fmt::format("{}\"{}\"", ask.empty() ? "" : ",", tool);
  return fmt::format(R"({{"permissions":{{"ask":[{}]}}}})", ask);
}

}  // namespace

void create_session_layout(const SessionLayout& layout) {
  for (const auto& directory : {layout.home(), layout.config_dir(), layout.tmp(), layout.work()}) {
    fs::create_directories(directory);
    fs::permissions(directory, fs::perms::owner_all, fs::perm_options::replace);
  }
}

std::vector<std::string> cli_arguments(const LaunchSettings& settings) {
  std::vector<std::string> arguments{
      "-p",
      "--input-format",
      "stream-json",
      "--output-format",
      "stream-json",
      "--verbose",
      // Each stdin user line echoed when the CLI takes it into a turn: the gateway learns whether
      // a line written mid-turn joined that turn or waits for one of its own.
      "--replay-user-messages",
      "--include-partial-messages",
  };
  const SessionLayout layout{settings.session_dir};
  if (settings.builtin_tools.empty()) {
    arguments.insert(arguments.end(), {"--tools", ""});
  } else {
    arguments.push_back(fmt::format("--tools={}", fmt::join(settings.builtin_tools, ",")));
    arguments.push_back("--settings=" + layout.settings_file().string());
  }
  arguments.insert(arguments.end(),
                   {"--strict-mcp-config", "--permission-prompt-tool", std::string(kApprovalTool),
                    "--setting-sources=", "--no-session-persistence"});
  if (!settings.mcp_config.empty())
    arguments.push_back("--mcp-config=" + layout.mcp_config_file().string());
  if (!settings.model.empty()) arguments.push_back("--model=" + settings.model);
  if (!settings.append_system_prompt.empty())
    arguments.push_back("--append-system-prompt-file=" + layout.system_prompt_file().string());
  if (!settings.effort.empty()) arguments.push_back("--effort=" + settings.effort);
  return arguments;
}

void write_launch_files(const LaunchSettings& settings) {
  const SessionLayout layout{settings.session_dir};
  if (!settings.mcp_config.empty())
    write_private_file(layout.mcp_config_file(), settings.mcp_config);
  if (!settings.append_system_prompt.empty())
    write_private_file(layout.system_prompt_file(), settings.append_system_prompt);
  if (!settings.builtin_tools.empty())
    write_private_file(layout.settings_file(), builtin_tool_settings(settings.builtin_tools));
}

Environment cli_environment(const LaunchSettings& settings, const Environment& parent) {
  const auto variables = session_variables(settings);
  Environment environment;
  for (const auto& entry : parent)
    if (entry.find('=') != std::string::npos && !dropped(name_of(entry), variables))
      environment.push_back(entry);
  for (const auto& [name, value] : variables) {
    // A later entry (extra_env) replaces an earlier one of the same name.
    std::erase_if(environment, [&](const std::string& entry) { return name_of(entry) == name; });
    environment.push_back(name + "=" + value);
  }
  return environment;
}

LaunchSpec build_launch(const LaunchSettings& settings, const Environment& parent) {
  LaunchSpec spec{settings.cli_path, {settings.cli_path.string()}, {}, {}};
  std::ranges::move(cli_arguments(settings), std::back_inserter(spec.argv));
  spec.envp = cli_environment(settings, parent);
  spec.cwd = SessionLayout{settings.session_dir}.work();
  return spec;
}

Environment current_environment() {
  Environment environment;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry)
    environment.emplace_back(*entry);
  return environment;
}

fs::path pinned_cli_path(const fs::path& project_root) {
  return project_root / "tests" / "e2e" / "node_modules" / ".bin" / "claude";
}

fs::path project_root_of(const fs::path& executable) {
  std::error_code ignored;
  fs::path real = fs::canonical(executable, ignored);
  if (real.empty()) real = executable;
  for (fs::path directory = real.parent_path(); !directory.empty();
       directory = directory.parent_path()) {
    if (fs::is_directory(directory / "tests" / "e2e", ignored)) return directory;
    if (directory == directory.root_path()) break;
  }
  return {};
}

CliLookup find_cli(std::string_view configured_path, const fs::path& project_root,
                   std::string_view search_path) {
  if (!configured_path.empty()) return configured_cli(configured_path, search_path);
  std::string tried;
  if (!project_root.empty()) {
    const auto pinned = pinned_cli_path(project_root);
    if (is_executable_file(pinned)) return {pinned, {}, {}};
    tried = fmt::format("the project's pinned install {}, then ", pinned.string());
  }
  if (auto found = search("claude", search_path); !found.empty()) return {found, {}, {}};
  return {{},
          "the Claude Code CLI was not found: install it (`make test-deps` installs the "
          "project's pinned version; or `npm install -g @anthropic-ai/claude-code`), or set "
          "CLAUDE_CODE_PATH to its full path",
          fmt::format("{}`claude` on PATH ({})", tried, search_path)};
}

CliLookup find_cli(std::string_view configured_path, const fs::path& project_root) {
  const char* path = std::getenv("PATH");
  return find_cli(configured_path, project_root, path != nullptr ? path : "/usr/bin:/bin");
}

}  // namespace ccgate::claude
