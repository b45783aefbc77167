// The path check of the built-in tools an operator allows: every path argument must resolve,
// symbolic links and ".." included, inside the conversation's work dir.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

#include "gateway/builtin_tools.hpp"
#include "gateway/executor_config.hpp"

namespace ccgate::gateway {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// <tmp>/root/work with a file, a dir, links in and out, and a secret beside work.
class BuiltinPaths : public ::testing::Test {
 protected:
  BuiltinPaths() {
    static int counter = 0;
    root_ = fs::temp_directory_path() /
            ("ccgate-builtin-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    work_ = root_ / "work";
    fs::create_directories(work_ / "sub");
    std::ofstream(work_ / "note.txt") << "inside\n";
    std::ofstream(root_ / "secret.txt") << "outside\n";
    fs::create_symlink(root_ / "secret.txt", work_ / "escape.txt");
    fs::create_symlink("../secret.txt", work_ / "relative-escape.txt");
    fs::create_symlink("note.txt", work_ / "alias.txt");
    fs::create_symlink(root_, work_ / "up");
    fs::create_symlink("loop-b", work_ / "loop-a");
    fs::create_symlink("loop-a", work_ / "loop-b");
    work_ = fs::canonical(work_);
  }
  ~BuiltinPaths() override { fs::remove_all(root_); }

  BuiltinVerdict check(std::string_view tool, std::string_view input) {
    return check_builtin_call(tool, json::parse(input), work_);
  }
  bool allowed(std::string_view tool, std::string_view input) { return check(tool, input).allowed; }

  fs::path root_;
  fs::path work_;
};

TEST_F(BuiltinPaths, PathsInsideTheWorkDirAreAllowed) {
  EXPECT_TRUE(allowed("Read", R"({"file_path":")" + (work_ / "note.txt").string() + "\"}"));
  EXPECT_TRUE(allowed("Read", R"({"file_path":"note.txt"})"));
  EXPECT_TRUE(allowed("Read", R"({"file_path":"sub/../note.txt"})"));
  EXPECT_TRUE(allowed("Read", R"({"file_path":"alias.txt"})"));  // a link that stays inside
  EXPECT_TRUE(allowed("Write", R"({"file_path":"sub/new/file.txt","content":"x"})"));
  EXPECT_TRUE(allowed("Grep", R"({"pattern":"x"})"));  // no path: the work dir
  EXPECT_TRUE(allowed("Grep", R"({"pattern":"x","path":"sub","glob":"*.{ts,js}"})"));
  EXPECT_TRUE(allowed("Glob", R"({"pattern":"**/*.txt"})"));
  EXPECT_TRUE(allowed("Glob", R"({"pattern":"sub/*.txt","path":")" + work_.string() + "\"}"));
  EXPECT_TRUE(allowed("WebFetch", R"({"url":"https://example.com","prompt":"p"})"));
}

TEST_F(BuiltinPaths, TheAllowedInputNamesTheResolvedPath) {
  const auto verdict = check("Read", R"({"file_path":"sub/../alias.txt","limit":3})");
  ASSERT_TRUE(verdict.allowed) << verdict.message;
  EXPECT_EQ(verdict.input.at("file_path").as_string(), (work_ / "note.txt").string());
  EXPECT_EQ(verdict.input.at("limit").as_int64(), 3);
}

TEST_F(BuiltinPaths, DotDotOutOfTheWorkDirIsRefused) {
  EXPECT_FALSE(allowed("Read", R"({"file_path":"../secret.txt"})"));
  EXPECT_FALSE(allowed("Read", R"({"file_path":"sub/../../secret.txt"})"));
  EXPECT_FALSE(
      allowed("Read", R"({"file_path":")" + (work_ / ".." / "secret.txt").string() + "\"}"));
  EXPECT_FALSE(allowed("Grep", R"({"pattern":"x","path":"../"})"));
  EXPECT_FALSE(allowed("Glob", R"({"pattern":"*","path":".."})"));
  EXPECT_FALSE(allowed("Glob", R"({"pattern":"../*"})"));
  EXPECT_FALSE(allowed("Glob", R"({"pattern":"**/../../*"})"));
  EXPECT_FALSE(allowed("Grep", R"({"pattern":"x","glob":"../*"})"));
  // Up out of a directory that does not exist: the kernel would not go there, nor do we.
  EXPECT_FALSE(allowed("Write", R"({"file_path":"missing/../../secret.txt","content":"x"})"));
}

TEST_F(BuiltinPaths, SymbolicLinksOutOfTheWorkDirAreRefused) {
  EXPECT_FALSE(allowed("Read", R"({"file_path":"escape.txt"})"));
  EXPECT_FALSE(allowed("Read", R"({"file_path":"relative-escape.txt"})"));
  EXPECT_FALSE(allowed("Read", R"({"file_path":"up/secret.txt"})"));
  EXPECT_FALSE(allowed("Grep", R"({"pattern":"x","path":"up"})"));
  EXPECT_FALSE(allowed("Glob", R"({"pattern":"up/*"})"));
  EXPECT_FALSE(allowed("Read", R"({"file_path":"loop-a"})"));  // a loop of links
  // A link inside a dir, then ".." from where the link led.
  EXPECT_FALSE(allowed("Read", R"({"file_path":"up/work/../secret.txt"})"));
}

TEST_F(BuiltinPaths, OtherPathsAreRefused) {
  EXPECT_FALSE(allowed("Read", R"({"file_path":"/etc/passwd"})"));
  EXPECT_FALSE(allowed("Read", R"({"file_path":"~/.claude.json"})"));
  EXPECT_FALSE(allowed("Glob", R"({"pattern":"/etc/*"})"));
  EXPECT_FALSE(allowed("Grep", R"({"pattern":"x","glob":"/etc/passwd"})"));
  EXPECT_FALSE(allowed("Read", R"({"file_path":42})"));
  EXPECT_FALSE(allowed("Bash", R"({"command":"cat note.txt"})"));
  const auto verdict = check("Read", R"({"file_path":"/etc/passwd"})");
  EXPECT_EQ(verdict.message,
            "Read may only use paths inside this conversation's working directory; file_path "
            "\"/etc/passwd\" is outside it.");
}

TEST(GatewayResolvePath, ResolvesLikeTheKernel) {
  EXPECT_EQ(resolve_path("/", "/usr/./bin//../lib").value(), fs::path("/usr/lib"));
  EXPECT_EQ(resolve_path("/", "/usr/missing/file").value(), fs::path("/usr/missing/file"));
  EXPECT_FALSE(resolve_path("/", "/usr/missing/../lib"));
  EXPECT_EQ(resolve_path("/x/y", "../z").value(), fs::path("/x/z"));
  EXPECT_EQ(resolve_path("/", "/../..").value(), fs::path("/"));
  EXPECT_TRUE(is_within("/w/work", "/w/work"));
  EXPECT_TRUE(is_within("/w/work/a", "/w/work"));
  EXPECT_FALSE(is_within("/w/workshop", "/w/work"));
  EXPECT_FALSE(is_within("/w", "/w/work"));
}

TEST(GatewayBuiltinRules, TheToolsOfEveryMatchingRuleOnceEach) {
  const std::vector<BuiltinToolRule> rules{{{"*"}, {"Read", "Grep"}},
                                           {{"opus", "claude-opus-*"}, {"WebFetch", "Read"}}};
  EXPECT_THAT(builtin_tools_for(rules, "sonnet"), ElementsAre("Grep", "Read"));
  EXPECT_THAT(builtin_tools_for(rules, "opus"), ElementsAre("Grep", "Read", "WebFetch"));
  EXPECT_THAT(builtin_tools_for({{{"opus"}, {"Read"}}}, "sonnet"), ElementsAre());
  EXPECT_TRUE(supported_builtin("Glob"));
  EXPECT_FALSE(supported_builtin("Bash"));
  EXPECT_THAT(supported_builtins_list(), HasSubstr("Read, Write"));
}

}  // namespace
}  // namespace ccgate::gateway
