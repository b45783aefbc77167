#pragma once
// What is left of naming models before routing: MODEL_MAP's aliases, and which upstream models
// are reasoning models (they take max_completion_tokens and reasoning_effort) by name prefix.

#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ccgate::translate {

// REASONING_MODELS when it is not set: OpenAI's reasoning families.
inline constexpr std::array<std::string_view, 4> kDefaultReasoningPrefixes{"o1", "o3", "o4",
                                                                           "gpt-5"};

// Parses "a=b,c=d" (spaces around items ignored). Throws std::invalid_argument naming the bad item.
std::vector<std::pair<std::string, std::string>> parse_model_aliases(std::string_view text);

// Whether model, with any "provider/" prefix removed, starts with one of prefixes (ASCII case
// ignored; an empty prefix matches nothing).
bool has_reasoning_prefix(const std::vector<std::string>& prefixes, std::string_view model);

}  // namespace ccgate::translate
