#pragma once
// Small ASCII string helpers shared by the translators (model names, keys, prefixes).

#include <string>
#include <string_view>

namespace ccgate::translate {

std::string to_lower(std::string_view text);
bool equals_ignoring_case(std::string_view a, std::string_view b);
std::string_view trim(std::string_view text);  // spaces, tabs, CR, LF

}  // namespace ccgate::translate
