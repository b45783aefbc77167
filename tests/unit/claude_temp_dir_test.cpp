#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "claude/temp_dir.hpp"

namespace ccgate::claude {
namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& path, const std::string& content = "x") {
  std::ofstream(path) << content;
}

TEST(ClaudeTempDir, IsCreatedOwnerOnlyUnderTheBaseWithThePrefix) {
  const TempDir base = TempDir::create("ccgate-base-");
  const TempDir dir = TempDir::create("ccgate-session-", base.path());
  EXPECT_EQ(dir.path().parent_path(), base.path());
  EXPECT_TRUE(dir.path().filename().string().starts_with("ccgate-session-"));
  EXPECT_EQ(dir.path().filename().string().size(), std::string("ccgate-session-XXXXXX").size());
  struct stat info {};
  ASSERT_EQ(::stat(dir.path().c_str(), &info), 0);
  EXPECT_TRUE(S_ISDIR(info.st_mode));
  EXPECT_EQ(info.st_mode & 07777, 0700u);
}

TEST(ClaudeTempDir, TwoDirectoriesNeverShareAPath) {
  const TempDir first = TempDir::create();
  const TempDir second = TempDir::create();
  EXPECT_NE(first.path(), second.path());
}

TEST(ClaudeTempDir, IsRemovedWithNestedFilesWhenDestroyed) {
  fs::path kept;
  {
    const TempDir dir = TempDir::create();
    kept = dir.path();
    fs::create_directories(dir.path() / "home" / ".claude" / "projects");
    write_file(dir.path() / "home" / ".claude" / "projects" / "session.jsonl");
    write_file(dir.path() / "top.txt");
    fs::create_directories(dir.path() / "readonly" / "inner");
    write_file(dir.path() / "readonly" / "inner" / "file");
    fs::permissions(dir.path() / "readonly", fs::perms::owner_read | fs::perms::owner_exec);
  }
  EXPECT_FALSE(fs::exists(kept));
}

TEST(ClaudeTempDir, RemovalNeverFollowsSymbolicLinksOutOfTheDirectory) {
  const TempDir outside = TempDir::create("ccgate-outside-");
  write_file(outside.path() / "precious.txt", "keep me");
  fs::create_directory(outside.path() / "subdir");
  write_file(outside.path() / "subdir" / "also-precious.txt");
  fs::path removed;
  {
    const TempDir dir = TempDir::create();
    removed = dir.path();
    fs::create_directory_symlink(outside.path(), dir.path() / "link-to-dir");
    fs::create_symlink(outside.path() / "precious.txt", dir.path() / "link-to-file");
    fs::create_directory(dir.path() / "nested");
    fs::create_directory_symlink(outside.path() / "subdir", dir.path() / "nested" / "deep-link");
  }
  EXPECT_FALSE(fs::exists(removed));
  EXPECT_TRUE(fs::exists(outside.path() / "precious.txt"));
  EXPECT_TRUE(fs::exists(outside.path() / "subdir" / "also-precious.txt"));
}

TEST(ClaudeTempDir, MovingTransfersOwnershipSoTheDirectoryOutlivesTheSource) {
  TempDir original = TempDir::create();
  const fs::path path = original.path();
  TempDir moved = std::move(original);
  EXPECT_TRUE(original.path().empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(moved.path(), path);
  { TempDir destroyed = std::move(original); }  // destroying an empty one removes nothing
  EXPECT_TRUE(fs::is_directory(path));
}

TEST(ClaudeTempDir, MoveAssignmentRemovesTheDirectoryItReplaces) {
  TempDir target = TempDir::create();
  const fs::path replaced = target.path();
  TempDir source = TempDir::create();
  const fs::path kept = source.path();
  target = std::move(source);
  EXPECT_FALSE(fs::exists(replaced));
  EXPECT_EQ(target.path(), kept);
  EXPECT_TRUE(fs::is_directory(kept));
}

TEST(ClaudeTempDir, ExplicitRemoveReportsSuccessAndForgetsThePath) {
  TempDir dir = TempDir::create();
  const fs::path path = dir.path();
  write_file(path / "file");
  EXPECT_TRUE(dir.remove());
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(dir.path().empty());
  EXPECT_TRUE(dir.remove());
}

TEST(ClaudeTempDir, CreatingUnderAMissingBaseThrowsNamingIt) {
  try {
    TempDir::create("ccgate-", "/nonexistent-ccgate-base");
    FAIL() << "expected an exception";
  } catch (const std::system_error& error) {
    EXPECT_NE(std::string(error.what()).find("/nonexistent-ccgate-base"), std::string::npos);
  }
}

TEST(ClaudeTempDir, RemoveTreeOnALinkRemovesOnlyTheLink) {
  const TempDir outside = TempDir::create("ccgate-outside-");
  write_file(outside.path() / "file");
  const TempDir holder = TempDir::create();
  fs::create_directory_symlink(outside.path(), holder.path() / "link");
  EXPECT_TRUE(remove_tree(holder.path() / "link"));
  EXPECT_FALSE(fs::exists(fs::symlink_status(holder.path() / "link")));
  EXPECT_TRUE(fs::exists(outside.path() / "file"));
}

}  // namespace
}  // namespace ccgate::claude
