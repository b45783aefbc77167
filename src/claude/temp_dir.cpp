#include "claude/temp_dir.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "claude/unique_fd.hpp"

namespace ccgate::claude {
namespace {

bool remove_entry(int parent_fd, const char* name);

struct CloseDir {
  void operator()(DIR* stream) const { ::closedir(stream); }
};

std::vector<std::string> entry_names(DIR* stream) {
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(stream)) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  return names;
}

// Works through the directory by descriptor, so a subdirectory swapped for a symbolic link
// halfway through is unlinked rather than followed.
bool remove_entries(UniqueFd directory) {
  ::fchmod(directory.get(), S_IRWXU);  // a subtree the child made read-only is still ours to clear
  std::unique_ptr<DIR, CloseDir> stream(::fdopendir(directory.get()));
  if (!stream) return false;
  directory.release();
  bool removed_all = true;
  for (const auto& name : entry_names(stream.get()))
    removed_all = remove_entry(::dirfd(stream.get()), name.c_str()) && removed_all;
  return removed_all;
}

bool remove_entry(int parent_fd, const char* name) {
  if (::unlinkat(parent_fd, name, 0) == 0 || errno == ENOENT) return true;
  if (errno != EISDIR) return false;
  UniqueFd directory(::openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!directory) return errno == ENOENT;
  const bool emptied = remove_entries(std::move(directory));
  return ::unlinkat(parent_fd, name, AT_REMOVEDIR) == 0 && emptied;
}

}  // namespace

bool remove_tree(const std::filesystem::path& path) {
  auto absolute = std::filesystem::absolute(path).lexically_normal();
  if (!absolute.has_filename()) absolute = absolute.parent_path();  // "/a/b/" names "/a/b"
  UniqueFd parent(::open(absolute.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!parent) return errno == ENOENT;
  return remove_entry(parent.get(), absolute.filename().c_str());
}

std::filesystem::path TempDir::default_base() {
  const char* tmpdir = std::getenv("TMPDIR");
  if (tmpdir != nullptr && tmpdir[0] == '/') return tmpdir;
  return "/tmp";
}

TempDir TempDir::create(std::string_view prefix, const std::filesystem::path& base) {
  std::string pattern = (base / std::string(prefix)).string() + "XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr)
    throw std::system_error(errno, std::generic_category(),
                            "cannot create a temporary directory " + pattern);
  TempDir created{std::filesystem::path(pattern)};
  // mkdtemp's 0700 is filtered by the umask; the directory must be exactly owner-only.
  if (::chmod(pattern.c_str(), S_IRWXU) != 0)
    throw std::system_error(errno, std::generic_category(), "cannot chmod " + pattern);
  return created;
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

TempDir::~TempDir() {
  remove();
}

bool TempDir::remove() {
  if (path_.empty()) return true;
  const bool removed = remove_tree(path_);
  path_.clear();
  return removed;
}

}  // namespace ccgate::claude
