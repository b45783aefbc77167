#pragma once
// The id one exchange is known by in the log, in the response and upstream, so that a user can
// follow one request across systems. A client's own x-request-id is kept when it is one
// valid_request_id() accepts; any other is replaced, never echoed.

#include <cstddef>
#include <string_view>

namespace ccgate::http {

// The header a client may send its id in, and the server answers with (nginx and OpenAI's name).
inline constexpr std::string_view kRequestIdHeader = "x-request-id";
// Anthropic's name for the same id; every response carries both, with the same value.
inline constexpr std::string_view kAnthropicRequestIdHeader = "request-id";
inline constexpr std::size_t kMaxRequestIdSize = 128;

// 1 to kMaxRequestIdSize bytes of visible ASCII (0x21–0x7e) other than the quotes " and ' and
// the backslash: it goes into logs, JSON and other systems' headers as it is.
bool valid_request_id(std::string_view id);

}  // namespace ccgate::http
