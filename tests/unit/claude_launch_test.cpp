#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include "claude/launch.hpp"
#include "claude/temp_dir.hpp"

namespace ccgate::claude {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::Not;

LaunchSettings sample_settings() {
  LaunchSettings settings;
  settings.cli_path = "/opt/claude/bin/claude";
  settings.model = "sonnet";
  settings.mcp_config =
      R"({"mcpServers":{"gateway":{"type":"http","url":"http://127.0.0.1:1/mcp"}}})";
  settings.session_dir = "/tmp/ccgate-session-abc123";
  settings.mcp_tool_timeout = std::chrono::milliseconds(180'000);
  return settings;
}

// The value of NAME in `environment`, and how many times NAME appears.
std::pair<std::string, int> lookup(const Environment& environment, const std::string& name) {
  std::string value;
  int count = 0;
  for (const auto& entry : environment) {
    if (entry.starts_with(name + "=")) {
      value = entry.substr(name.size() + 1);
      ++count;
    }
  }
  return {value, count};
}

std::string value_of(const Environment& environment, const std::string& name) {
  const auto [value, count] = lookup(environment, name);
  EXPECT_EQ(count, 1) << name;
  return value;
}

bool has(const Environment& environment, const std::string& name) {
  return lookup(environment, name).second > 0;
}

TEST(ClaudeLaunch, ArgumentsAreExactlyTheSessionCommandLine) {
  EXPECT_THAT(
      cli_arguments(sample_settings()),
      ElementsAre("-p", "--input-format", "stream-json", "--output-format", "stream-json",
                  "--verbose", "--replay-user-messages", "--include-partial-messages", "--tools",
                  "", "--strict-mcp-config", "--permission-prompt-tool",
                  "mcp__auth__approval_prompt", "--setting-sources=", "--no-session-persistence",
                  "--mcp-config=/tmp/ccgate-session-abc123/mcp-config.json", "--model=sonnet"));
}

TEST(ClaudeLaunch, SystemPromptAndEffortAreAddedOnlyWhenGiven) {
  auto settings = sample_settings();
  settings.append_system_prompt = "Use only the provided tools.";
  settings.effort = "high";
  const auto arguments = cli_arguments(settings);
  ASSERT_GE(arguments.size(), 2u);
  EXPECT_THAT(std::vector(arguments.end() - 3, arguments.end()),
              ElementsAre("--model=sonnet",
                          "--append-system-prompt-file=/tmp/ccgate-session-abc123/"
                          "system-prompt.txt",
                          "--effort=high"));

  settings.model.clear();
  settings.append_system_prompt.clear();
  settings.effort.clear();
  settings.mcp_config.clear();
  const auto plain = cli_arguments(settings);
  EXPECT_EQ(plain.back(), "--no-session-persistence");
  for (const auto& argument : plain) {
    EXPECT_FALSE(argument.starts_with("--model")) << argument;
    EXPECT_FALSE(argument.starts_with("--append-system-prompt")) << argument;
    EXPECT_FALSE(argument.starts_with("--effort")) << argument;
    EXPECT_FALSE(argument.starts_with("--mcp-config")) << argument;
  }
}

TEST(ClaudeLaunch, NeitherTheMcpSecretNorTheSystemPromptIsInTheCommandLine) {
  auto settings = sample_settings();
  settings.mcp_config = R"({"mcpServers":{"gateway":{"headers":{"x-secret":"s3cr3t-value"}}}})";
  settings.append_system_prompt = std::string(200 * 1024, 'p');  // past MAX_ARG_STRLEN (128 KiB)
  std::size_t total = 0;
  for (const auto& argument : build_launch(settings, {}).argv) {
    EXPECT_EQ(argument.find("s3cr3t-value"), std::string::npos) << argument;
    EXPECT_EQ(argument.find("pppp"), std::string::npos);
    total += argument.size();
  }
  EXPECT_LT(total, 4096u);
}

TEST(ClaudeLaunch, LaunchFilesAreWrittenForTheOwnerOnlyAndNeverThroughALink) {
  const TempDir dir = TempDir::create();
  auto settings = sample_settings();
  settings.session_dir = dir.path();
  settings.append_system_prompt = "Be brief.\n" + std::string(200 * 1024, 'p');
  const ::mode_t previous = ::umask(0);  // the files are 0600 whatever the umask
  write_launch_files(settings);
  ::umask(previous);
  const SessionLayout layout{dir.path()};
  for (const auto& [path, content] :
       {std::pair{layout.mcp_config_file(), settings.mcp_config},
        std::pair{layout.system_prompt_file(), settings.append_system_prompt}}) {
    struct stat info {};
    ASSERT_EQ(::lstat(path.c_str(), &info), 0) << path;
    EXPECT_TRUE(S_ISREG(info.st_mode)) << path;
    EXPECT_EQ(info.st_mode & 0777, 0600u) << path;
    std::ifstream file(path);
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(file), {}), content) << path;
  }

  const TempDir other = TempDir::create();
  const auto target = other.path() / "target";
  std::ofstream(target) << "untouched";
  settings.session_dir = other.path() / "session";
  fs::create_directories(settings.session_dir);
  fs::create_symlink(target, SessionLayout{settings.session_dir}.mcp_config_file());
  EXPECT_THROW(write_launch_files(settings), std::system_error);
  std::ifstream file(target);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(file), {}), "untouched");
}

TEST(ClaudeLaunch, ValuesWithSpacesQuotesAndLeadingDashesStayOneArgument) {
  auto settings = sample_settings();
  settings.model = "--dangerously-skip-permissions";
  settings.append_system_prompt = R"(-p "quoted" --tools Bash 'single' $HOME)";
  settings.effort = "--max-turns 1";
  settings.mcp_config = R"({"mcpServers":{"a b":{"url":"http://x/ --flag"}}})";
  const auto arguments = cli_arguments(settings);
  EXPECT_THAT(arguments, Contains("--model=--dangerously-skip-permissions"));
  EXPECT_THAT(arguments, Contains("--effort=--max-turns 1"));
  EXPECT_THAT(arguments, Not(Contains("--dangerously-skip-permissions")));
  EXPECT_THAT(arguments, Not(Contains("Bash")));
  EXPECT_EQ(arguments.size(), cli_arguments(sample_settings()).size() + 2);
}

TEST(ClaudeLaunch, SpecRunsTheCliInTheSessionWorkDirectory) {
  const auto spec = build_launch(sample_settings(), {"PATH=/usr/bin"});
  EXPECT_EQ(spec.path, "/opt/claude/bin/claude");
  ASSERT_FALSE(spec.argv.empty());
  EXPECT_EQ(spec.argv.front(), "/opt/claude/bin/claude");
  EXPECT_THAT(std::vector(spec.argv.begin() + 1, spec.argv.end()),
              ElementsAreArray(cli_arguments(sample_settings())));
  EXPECT_EQ(spec.cwd, fs::path("/tmp/ccgate-session-abc123/work"));
  EXPECT_EQ(value_of(spec.envp, "PWD"), "/tmp/ccgate-session-abc123/work");
}

TEST(ClaudeLaunch, EnvironmentDropsWhatTheCliMustNotInherit) {
  const Environment parent{
      "PATH=/usr/local/bin:/usr/bin",
      "LANG=C.UTF-8",
      "CLAUDECODE=1",
      "CLAUDE_CODE_ENTRYPOINT=cli",
      "CLAUDE_CODE_USE_BEDROCK=1",
      "ANTHROPIC_API_KEY=sk-parent",
      "ANTHROPIC_BASE_URL=https://parent.example",
      "ANTHROPIC_AUTH_TOKEN=parent-token",
      "OPENAI_API_KEY=sk-upstream-secret",
      "GATEWAY_API_KEY=gateway-secret",
      "CUSTOM_HEADER_X_TOKEN=secret",
      "NODE_OPTIONS=--inspect",
      "HOME=/root",
      "TMPDIR=/var/tmp",
      "PWD=/somewhere",
      "ENABLE_TOOL_SEARCH=true",
      "CLAUDE_CONFIG_DIR=/root/.claude",
      "MY_CLAUDECODE_NOTE=kept",
  };
  const auto environment = cli_environment(sample_settings(), parent);
  EXPECT_EQ(value_of(environment, "PATH"), "/usr/local/bin:/usr/bin");
  EXPECT_EQ(value_of(environment, "LANG"), "C.UTF-8");
  EXPECT_EQ(value_of(environment, "MY_CLAUDECODE_NOTE"), "kept");
  for (const char* name :
       {"CLAUDECODE", "CLAUDE_CODE_ENTRYPOINT", "CLAUDE_CODE_USE_BEDROCK", "ANTHROPIC_API_KEY",
        "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN", "OPENAI_API_KEY", "GATEWAY_API_KEY",
        "CUSTOM_HEADER_X_TOKEN", "NODE_OPTIONS"})
    EXPECT_FALSE(has(environment, name)) << name;
  for (const auto& entry : environment) {
    EXPECT_EQ(entry.find("secret"), std::string::npos) << entry;
    EXPECT_EQ(entry.find("parent"), std::string::npos) << entry;
  }
}

TEST(ClaudeLaunch, EnvironmentIsolatesAndQuietsTheCli) {
  auto settings = sample_settings();
  settings.base_url = "http://127.0.0.1:8082";
  settings.api_key = "sk-ccgate";
  settings.mcp_tool_timeout = std::chrono::milliseconds(150'000);
  const auto environment =
      cli_environment(settings, {"HOME=/root", "TMPDIR=/var/tmp", "ENABLE_TOOL_SEARCH=true"});
  const std::string dir = "/tmp/ccgate-session-abc123";
  EXPECT_EQ(value_of(environment, "HOME"), dir + "/home");
  EXPECT_EQ(value_of(environment, "CLAUDE_CONFIG_DIR"), dir + "/home/.claude");
  EXPECT_EQ(value_of(environment, "TMPDIR"), dir + "/tmp");
  EXPECT_EQ(value_of(environment, "CLAUDE_CODE_TMPDIR"), dir + "/tmp");
  EXPECT_EQ(value_of(environment, "PWD"), dir + "/work");
  EXPECT_EQ(value_of(environment, "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"), "1");
  EXPECT_EQ(value_of(environment, "DISABLE_AUTOUPDATER"), "1");
  EXPECT_EQ(value_of(environment, "DISABLE_TELEMETRY"), "1");
  EXPECT_EQ(value_of(environment, "DISABLE_ERROR_REPORTING"), "1");
  EXPECT_EQ(value_of(environment, "ENABLE_TOOL_SEARCH"), "false");
  EXPECT_EQ(value_of(environment, "CLAUDE_CODE_MCP_AUTO_BACKGROUND_MS"), "0");
  EXPECT_EQ(value_of(environment, "MCP_TOOL_TIMEOUT"), "150000");
  EXPECT_EQ(value_of(environment, "ANTHROPIC_BASE_URL"), "http://127.0.0.1:8082");
  EXPECT_EQ(value_of(environment, "ANTHROPIC_API_KEY"), "sk-ccgate");
}

TEST(ClaudeLaunch, BaseUrlAndKeyAreLeftUnsetWhenNotGiven) {
  const auto environment = cli_environment(sample_settings(), {});
  EXPECT_FALSE(has(environment, "ANTHROPIC_BASE_URL"));
  EXPECT_FALSE(has(environment, "ANTHROPIC_API_KEY"));
}

TEST(ClaudeLaunch, ExtraEnvironmentIsAppliedLastAndWins) {
  auto settings = sample_settings();
  settings.extra_env = {{"CLAUDE_CODE_MAX_OUTPUT_TOKENS", "4096"},
                        {"MCP_TOOL_TIMEOUT", "999"},
                        {"VALUE_WITH_EQUALS", "a=b c"}};
  const auto environment = cli_environment(settings, {"CLAUDE_CODE_MAX_OUTPUT_TOKENS=1"});
  EXPECT_EQ(value_of(environment, "CLAUDE_CODE_MAX_OUTPUT_TOKENS"), "4096");
  EXPECT_EQ(value_of(environment, "MCP_TOOL_TIMEOUT"), "999");
  EXPECT_EQ(value_of(environment, "VALUE_WITH_EQUALS"), "a=b c");
}

TEST(ClaudeLaunch, SessionLayoutCreatesPrivateDirectories) {
  const TempDir dir = TempDir::create();
  const SessionLayout layout{dir.path()};
  create_session_layout(layout);
  for (const auto& path : {layout.home(), layout.config_dir(), layout.tmp(), layout.work()}) {
    struct stat info {};
    ASSERT_EQ(::stat(path.c_str(), &info), 0) << path;
    EXPECT_TRUE(S_ISDIR(info.st_mode)) << path;
    EXPECT_EQ(info.st_mode & 0777, 0700u) << path;
  }
  EXPECT_EQ(layout.config_dir(), dir.path() / "home" / ".claude");
}

TEST(ClaudeLaunch, CurrentEnvironmentSeesThisProcess) {
  ::setenv("CCGATE_LAUNCH_TEST_MARKER", "present", 1);
  EXPECT_THAT(current_environment(), Contains("CCGATE_LAUNCH_TEST_MARKER=present"));
  ::unsetenv("CCGATE_LAUNCH_TEST_MARKER");
}

class ClaudeFindCli : public ::testing::Test {
 protected:
  fs::path make_file(const fs::path& path, bool executable) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << "#!/bin/sh\n";
    fs::permissions(path, executable ? fs::perms::owner_all : fs::perms::owner_read,
                    fs::perm_options::replace);
    return path;
  }
  TempDir root_ = TempDir::create("ccgate-findcli-");
  fs::path project() const { return root_.path() / "project"; }
  fs::path bin() const { return root_.path() / "bin"; }
};

TEST_F(ClaudeFindCli, ConfiguredExecutableIsUsedAsIs) {
  const auto cli = make_file(root_.path() / "custom" / "claude", true);
  make_file(pinned_cli_path(project()), true);
  const auto found = find_cli(cli.string(), project(), bin().string());
  ASSERT_TRUE(found) << found.error;
  EXPECT_EQ(found.path, cli);
}

TEST_F(ClaudeFindCli, ConfiguredPathThatIsNotExecutableIsAnErrorNamingTheVariable) {
  const auto cli = make_file(root_.path() / "custom" / "claude", false);
  const auto found = find_cli(cli.string(), project(), bin().string());
  EXPECT_FALSE(found);
  EXPECT_NE(found.error.find("CLAUDE_CODE_PATH"), std::string::npos) << found.error;
  EXPECT_EQ(found.error.find(cli.string()), std::string::npos) << "no path for the client";
  EXPECT_NE(found.tried.find(cli.string()), std::string::npos) << "the path for the log";

  const auto missing = find_cli("/nonexistent/claude", project(), bin().string());
  EXPECT_FALSE(missing);
  EXPECT_NE(missing.tried.find("/nonexistent/claude"), std::string::npos) << missing.tried;
}

TEST_F(ClaudeFindCli, ConfiguredBareNameIsLookedUpOnThePath) {
  const auto cli = make_file(bin() / "claude-nightly", true);
  const auto found = find_cli("claude-nightly", project(), "/nonexistent:" + bin().string());
  ASSERT_TRUE(found) << found.error;
  EXPECT_EQ(found.path, cli);
}

TEST_F(ClaudeFindCli, UnsetPrefersTheProjectsPinnedInstallOverPath) {
  const auto pinned = make_file(pinned_cli_path(project()), true);
  make_file(bin() / "claude", true);
  const auto found = find_cli("", project(), bin().string());
  ASSERT_TRUE(found) << found.error;
  EXPECT_EQ(found.path, pinned);
  EXPECT_EQ(pinned, project() / "tests/e2e/node_modules/.bin/claude");
}

TEST_F(ClaudeFindCli, UnsetFallsBackToClaudeOnPath) {
  const auto on_path = make_file(bin() / "claude", true);
  const auto found = find_cli("", project(), "/nonexistent:" + bin().string());
  ASSERT_TRUE(found) << found.error;
  EXPECT_EQ(found.path, on_path);
}

TEST_F(ClaudeFindCli, NothingFoundSaysWhatToDoAndLogsWhatWasTried) {
  make_file(bin() / "claude", false);  // present but not executable: not a candidate
  const auto found = find_cli("", project(), bin().string());
  EXPECT_FALSE(found);
  EXPECT_NE(found.error.find("install"), std::string::npos) << found.error;
  EXPECT_NE(found.error.find("CLAUDE_CODE_PATH"), std::string::npos) << found.error;
  for (const auto& private_text : {bin().string(), project().string(), root_.path().string()})
    EXPECT_EQ(found.error.find(private_text), std::string::npos) << found.error;
  EXPECT_NE(found.tried.find(pinned_cli_path(project()).string()), std::string::npos)
      << found.tried;
  EXPECT_NE(found.tried.find(bin().string()), std::string::npos) << found.tried;
}

TEST_F(ClaudeFindCli, ProjectRootIsTheAncestorHoldingTheEndToEndTests) {
  fs::create_directories(project() / "tests" / "e2e");
  fs::create_directories(project() / "build-debug");
  EXPECT_EQ(project_root_of(project() / "build-debug" / "ccgate"), project());
  EXPECT_EQ(project_root_of(bin() / "ccgate"), fs::path());
}

TEST_F(ClaudeFindCli, ProjectRootFollowsALinkToTheRealBinary) {
  fs::create_directories(project() / "tests" / "e2e");
  const auto binary = make_file(project() / "build" / "ccgate", true);
  fs::create_directories(bin());
  fs::create_symlink(binary, bin() / "ccgate");  // as /proc/self/exe, or an installed link
  EXPECT_EQ(project_root_of(bin() / "ccgate"), project());
  EXPECT_EQ(project_root_of("/proc/self/exe"), project_root_of(fs::read_symlink("/proc/self/exe")))
      << "this test binary, whatever its path";
}

}  // namespace
}  // namespace ccgate::claude
