#pragma once
// SHA-256 as lower-case hex: conversation digests, tool-set signatures, key scopes, tool names.

#include <string>
#include <string_view>

namespace ccgate::translate {

// 64 hex digits. Throws std::runtime_error if OpenSSL fails (it does not for in-memory input).
std::string sha256_hex(std::string_view text);

}  // namespace ccgate::translate
