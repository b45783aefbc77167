#include "gateway/builtin_tools.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <deque>
#include <system_error>

#include "gateway/executor_config.hpp"
#include "gateway/name_glob.hpp"

namespace ccgate::gateway {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

// The built-ins of the pinned CLI that ccgate can confine, with the arguments that name a path
// (their names as the CLI's input schemas give them).
struct Builtin {
  std::string_view name;
  std::string_view path_argument;  // empty: none
};
constexpr std::array kBuiltins{
    Builtin{"Read", "file_path"}, Builtin{"Write", "file_path"},
    Builtin{"Edit", "file_path"}, Builtin{"NotebookEdit", "notebook_path"},
    Builtin{"Glob", "path"},      Builtin{"Grep", "path"},
    Builtin{"WebFetch", ""},      Builtin{"WebSearch", ""},
};
constexpr std::size_t kMaxLinks = 40;  // as the kernel's MAXSYMLINKS

const Builtin* builtin_named(std::string_view name) {
  const auto found = std::ranges::find(kBuiltins, name, &Builtin::name);
  return found == kBuiltins.end() ? nullptr : &*found;
}

std::deque<std::string> components(std::string_view path) {
  std::deque<std::string> parts;
  while (!path.empty()) {
    const auto slash = path.find('/');
    const auto part = path.substr(0, slash);
    if (!part.empty() && part != ".") parts.emplace_back(part);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

bool goes_up(std::string_view path) {
  const auto parts = components(path);
  return std::ranges::find(parts, "..") != parts.end();
}

// The part of a glob pattern before its first component with a wildcard ("src/*/x" → "src").
std::string literal_prefix(std::string_view pattern) {
  const auto wildcard = pattern.find_first_of("*?[{");
  if (wildcard == std::string_view::npos) return std::string(pattern);
  const auto slash = pattern.rfind('/', wildcard);
  return slash == std::string_view::npos ? std::string()
                                         : std::string(pattern.substr(0, slash + 1));
}

BuiltinVerdict deny(std::string message) {
  return BuiltinVerdict{.allowed = false, .message = std::move(message)};
}

std::string outside(std::string_view tool, std::string_view argument, std::string_view value) {
  return fmt::format(
      "{} may only use paths inside this conversation's working directory; {} \"{}\" is outside "
      "it.",
      tool, argument, value);
}

}  // namespace

bool supported_builtin(std::string_view name) {
  return builtin_named(name) != nullptr;
}

std::string supported_builtins_list() {
  std::string list;
  for (const auto& builtin : kBuiltins)
    list += fmt::format("{}{}", list.empty() ? "" : ", ", builtin.name);
  return list;
}

std::vector<std::string> builtin_tools_for(const std::vector<BuiltinToolRule>& rules,
                                           std::string_view model) {
  std::vector<std::string> tools;
  for (const auto& rule : rules) {
    if (!any_glob_matches(rule.models, model)) continue;
    tools.insert(tools.end(), rule.tools.begin(), rule.tools.end());
  }
  std::ranges::sort(tools);
  tools.erase(std::unique(tools.begin(), tools.end()), tools.end());
  return tools;
}

std::optional<fs::path> resolve_path(const fs::path& base, std::string_view path) {
  auto pending = components(path);
  fs::path current = path.starts_with('/') ? fs::path("/") : base;
  std::size_t links = 0;
  bool missing = false;
  while (!pending.empty()) {
    const std::string part = std::move(pending.front());
    pending.pop_front();
    if (part == "..") {
      if (missing) return std::nullopt;  // up out of a directory that does not exist
      current = current.parent_path();
      continue;
    }
    fs::path next = current / part;
    struct stat info {};
    if (missing || ::lstat(next.c_str(), &info) != 0) {
      missing = true;
      current = std::move(next);
      continue;
    }
    if (S_ISLNK(info.st_mode)) {
      std::error_code error;
      const fs::path target = fs::read_symlink(next, error);
      if (error || ++links > kMaxLinks) return std::nullopt;
      auto target_parts = components(target.native());
      pending.insert(pending.begin(), target_parts.begin(), target_parts.end());
      if (target.is_absolute()) current = "/";
      continue;
    }
    current = std::move(next);
  }
  return current;
}

bool is_within(const fs::path& path, const fs::path& root) {
  const std::string& inner = path.native();
  const std::string& outer = root.native();
  if (!inner.starts_with(outer)) return false;
  return inner.size() == outer.size() || outer.ends_with('/') || inner[outer.size()] == '/';
}

BuiltinVerdict check_builtin_call(std::string_view tool, const json::value& input,
                                  const fs::path& work_dir) {
  const Builtin* builtin = builtin_named(tool);
  if (!builtin) return deny(fmt::format("{} is not available in this conversation.", tool));
  if (!input.is_object()) return deny(fmt::format("{}: its input must be an object.", tool));
  json::object checked = input.as_object();
  std::error_code error;
  const fs::path root = fs::canonical(work_dir, error);
  if (error) return deny("This conversation's working directory is gone.");

  // The directory the call works in: its path argument when it names one.
  fs::path base = root;
  if (!builtin->path_argument.empty()) {
    if (auto* value = checked.if_contains(builtin->path_argument)) {
      if (!value->is_string())
        return deny(fmt::format("{}: {} must be a string.", tool, builtin->path_argument));
      const std::string_view text = value->as_string();
      if (text.starts_with('~')) return deny(outside(tool, builtin->path_argument, text));
      const auto resolved = resolve_path(root, text);
      if (!resolved || !is_within(*resolved, root))
        return deny(outside(tool, builtin->path_argument, text));
      base = *resolved;
      *value = resolved->string();  // the CLI runs the call on the path that was checked
    }
  }
  // Glob's pattern may itself name a directory ("/etc/*", "../*"); Grep's glob filters the files
  // it searches, and is held to the same rule.
  const std::string_view pattern_argument = tool == "Glob"   ? "pattern"
                                            : tool == "Grep" ? "glob"
                                                             : "";
  if (const auto* value =
          pattern_argument.empty() ? nullptr : checked.if_contains(pattern_argument)) {
    if (!value->is_string())
      return deny(fmt::format("{}: {} must be a string.", tool, pattern_argument));
    const std::string_view pattern = value->as_string();
    if (goes_up(pattern) || pattern.starts_with('~'))
      return deny(outside(tool, pattern_argument, pattern));
    const auto prefix = resolve_path(base, literal_prefix(pattern));
    if (!prefix || !is_within(*prefix, root)) return deny(outside(tool, pattern_argument, pattern));
  }
  return BuiltinVerdict{.allowed = true, .input = std::move(checked)};
}

}  // namespace ccgate::gateway
