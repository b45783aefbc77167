#pragma once
// Small string helpers shared by the translators (model names, keys, prefixes, outside text).

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace ccgate::translate {

std::string to_lower(std::string_view text);
bool equals_ignoring_case(std::string_view a, std::string_view b);
// ASCII case-insensitive, without allocating (model names are matched per request).
bool starts_with_ignoring_case(std::string_view text, std::string_view prefix);
bool contains_ignoring_case(std::string_view text, std::string_view part);
std::string_view trim(std::string_view text);  // spaces, tabs, CR, LF
// A duration as messages show it: "1.5 s", "600 s".
std::string seconds_text(std::chrono::milliseconds duration);

// The length of the well-formed UTF-8 sequence (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF) that text starts with; 0 when it does not start with one. ASCII is 1.
std::size_t utf8_sequence_length(std::string_view text);

bool is_utf8_continuation(char c);

// The longest beginning of text, at most max_bytes long, that does not end inside a character
// (text is UTF-8): for cutting outside text short without making it invalid.
std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes);

// text with each byte that is not part of well-formed UTF-8 replaced by U+FFFD: outside text
// (an upstream's error page in any encoding) made fit for a JSON string.
std::string valid_utf8(std::string_view text);

}  // namespace ccgate::translate
