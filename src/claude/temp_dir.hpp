#pragma once
// A private directory for one Claude Code session (mode 0700), removed with everything in it when
// its owner lets go of it.

#include <filesystem>
#include <string_view>

namespace ccgate::claude {

class TempDir {
 public:
  // $TMPDIR if it names an absolute path, else /tmp.
  static std::filesystem::path default_base();

  // mkdtemp("<base>/<prefix>XXXXXX"); throws std::system_error naming the path on failure.
  static TempDir create(std::string_view prefix = "ccgate-session-",
                        const std::filesystem::path& base = default_base());

  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  // Empty once moved from or removed.
  const std::filesystem::path& path() const { return path_; }

  // Removes the tree now (the destructor does it otherwise). Symbolic links are removed, never
  // followed, so nothing outside the directory is touched. Returns false if something could not
  // be removed; the path is forgotten either way.
  bool remove();

 private:
  explicit TempDir(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

// Removes `path` and everything below it without following symbolic links (a link is unlinked,
// its target left alone). Returns false if anything remained.
bool remove_tree(const std::filesystem::path& path);

}  // namespace ccgate::claude
