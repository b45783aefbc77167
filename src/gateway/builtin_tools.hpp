#pragma once
// The Claude Code built-in tools an operator may allow (gateway.builtin_tools), and the check
// approval_prompt runs on each of their calls: every argument that names a path must resolve,
// symbolic links and ".." included, inside the conversation's private work dir.
//
// The CLI is launched with an "ask" permission rule for each allowed built-in (see
// claude::LaunchSettings::builtin_tools), so that it runs none of them (not even a read inside
// its working dir, which it would otherwise allow by itself) without this check.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ccgate::gateway {

// A built-in ccgate can confine: Read, Write, Edit, NotebookEdit, Glob, Grep (paths checked),
// WebFetch, WebSearch (no paths). Others (Bash, Task, …) cannot be confined and are refused.
bool supported_builtin(std::string_view name);
// The supported names, for error messages: "Read, Write, …".
std::string supported_builtins_list();

// Where `path` leads, resolved the way the kernel would: relative to `base`, each symbolic link
// followed (40 at most), ".." taking the parent of what was resolved so far. A missing component
// ends the resolution: the rest is appended as written, and nullopt if that rest goes up (".."),
// or for a loop of links. `base` must be absolute and canonical.
std::optional<std::filesystem::path> resolve_path(const std::filesystem::path& base,
                                                  std::string_view path);
// `path` is `root` or below it (both absolute, without "." or ".." components).
bool is_within(const std::filesystem::path& path, const std::filesystem::path& root);

struct BuiltinVerdict {
  bool allowed = false;
  std::string message;         // denied: why, for the model
  boost::json::value input{};  // allowed: the input to run, each path argument resolved
};

// approval_prompt's decision for a call of the built-in `tool` (one of `allowed`) with `input`,
// in a conversation whose work dir is `work_dir`. Reads the filesystem (lstat, readlink).
BuiltinVerdict check_builtin_call(std::string_view tool, const boost::json::value& input,
                                  const std::filesystem::path& work_dir);

}  // namespace ccgate::gateway
