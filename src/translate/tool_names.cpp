#include "translate/tool_names.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <stdexcept>

#include "translate/sha256.hpp"
#include "translate/text.hpp"

namespace ccgate::translate {

namespace {

constexpr std::size_t kHashDigits = 8;

bool is_safe_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// One '_' per unsafe character, so "météo" becomes "m_t_o" rather than "m__t__o".
std::string sanitized(std::string_view name) {
  std::string safe;
  safe.reserve(name.size());
  for (char c : name) {
    if (is_safe_char(c)) {
      safe.push_back(c);
    } else if (!is_utf8_continuation(c)) {
      safe.push_back('_');
    }
  }
  if (safe.empty()) safe = "_";
  return safe;
}

std::string base_name(std::string_view client_name) {
  std::string safe = sanitized(client_name);
  safe.resize(std::min(safe.size(), ToolNames::kMaxSafeLength));
  return safe;
}

// The salt only matters in the astronomically unlikely case that a hashed name is taken.
std::string hashed_name(std::string_view client_name, int salt) {
  std::string safe = sanitized(client_name);
  safe.resize(std::min(safe.size(), ToolNames::kMaxSafeLength - kHashDigits - 1));
  std::string hashed_input(client_name);
  if (salt > 0) hashed_input += "#" + std::to_string(salt);
  return safe + "_" + sha256_hex(hashed_input).substr(0, kHashDigits);
}

std::string hyphens_as_underscores(std::string_view name) {
  std::string result(name);
  std::replace(result.begin(), result.end(), '-', '_');
  return result;
}

}  // namespace

ToolNames::ToolNames(const std::vector<std::string>& client_names) {
  const std::set<std::string> names(client_names.begin(), client_names.end());
  std::map<std::string, int> base_uses;
  for (const auto& name : names) ++base_uses[base_name(name)];

  std::set<std::string> taken;
  std::vector<std::string> need_hash;
  for (const auto& name : names) {
    std::string base = base_name(name);
    if (base_uses[base] == 1 || base == name) {
      taken.insert(base);
      client_to_safe_.emplace(name, std::move(base));
    } else {
      need_hash.push_back(name);
    }
  }
  for (const auto& name : need_hash) {  // sorted, so the result does not depend on input order
    std::string safe = hashed_name(name, 0);
    for (int salt = 1; taken.contains(safe); ++salt) safe = hashed_name(name, salt);
    taken.insert(safe);
    client_to_safe_.emplace(name, std::move(safe));
  }
  for (const auto& [client, safe] : client_to_safe_) safe_to_client_.emplace(safe, client);
}

std::optional<std::string> ToolNames::safe_for(std::string_view client_name) const {
  const auto found = client_to_safe_.find(client_name);
  if (found == client_to_safe_.end()) return std::nullopt;
  return found->second;
}

std::optional<std::string> ToolNames::client_for(std::string_view safe_name) const {
  if (const auto found = safe_to_client_.find(safe_name); found != safe_to_client_.end()) {
    return found->second;
  }
  // Some CLI paths normalise '-' to '_' in MCP tool names; accept that when it is unambiguous.
  std::optional<std::string> match;
  for (const auto& [safe, client] : safe_to_client_) {
    if (safe.find('-') == std::string::npos || hyphens_as_underscores(safe) != safe_name) continue;
    if (match) return std::nullopt;
    match = client;
  }
  return match;
}

std::optional<std::string> ToolNames::cli_name_for(std::string_view client_name) const {
  auto safe = safe_for(client_name);
  if (!safe) return std::nullopt;
  return std::string(kCliPrefix) + *safe;
}

std::optional<std::string> ToolNames::client_for_cli_name(std::string_view cli_name) const {
  if (!cli_name.starts_with(kCliPrefix)) return std::nullopt;
  return client_for(cli_name.substr(kCliPrefix.size()));
}

}  // namespace ccgate::translate
