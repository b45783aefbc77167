#pragma once
// Tool-name globs in the configuration ("mcp__search__*", "Read", "get_?eather"): `*` matches
// any run of characters, `?` one character, anything else itself (case-sensitive).

#include <string>
#include <string_view>
#include <vector>

namespace ccgate::gateway {

bool glob_matches(std::string_view pattern, std::string_view name);
// Whether any of `patterns` matches `name` (none: false).
bool any_glob_matches(const std::vector<std::string>& patterns, std::string_view name);

}  // namespace ccgate::gateway
