#pragma once
// Which upstream model serves a client's model name, and which upstream models are reasoning
// models (they take max_completion_tokens and reasoning_effort).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ccgate::translate {

struct ModelMap {
  std::string big_model = "gpt-4o";         // names containing "opus"
  std::string middle_model = "gpt-4o";      // names containing "sonnet"
  std::string small_model = "gpt-4o-mini";  // names containing "haiku"
  // Exact client name → upstream name; wins over the family rule. Matched case-insensitively.
  std::vector<std::pair<std::string, std::string>> aliases;

  // alias, else haiku/sonnet/opus (case-insensitive substring), else the name unchanged.
  std::string upstream_for(std::string_view client_model) const;
};

// Parses "a=b,c=d" (spaces around items ignored). Throws std::invalid_argument naming the bad item.
std::vector<std::pair<std::string, std::string>> parse_model_aliases(std::string_view text);

// Whether model, with any "provider/" prefix removed, starts with one of prefixes (ASCII case
// ignored; an empty prefix matches nothing).
bool has_reasoning_prefix(const std::vector<std::string>& prefixes, std::string_view model);

struct ReasoningModels {
  // A model is a reasoning model when its name, lower-cased and with any "provider/" prefix
  // removed, starts with one of these.
  std::vector<std::string> prefixes{"o1", "o3", "o4", "gpt-5"};
  bool matches(std::string_view upstream_model) const;
};

}  // namespace ccgate::translate
