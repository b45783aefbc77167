#pragma once
// The signature ccgate puts on the thinking blocks it makes from an upstream's reasoning_content,
// so that when a client sends such a block back, ccgate knows it as its own and returns the text
// to the upstream as reasoning_content (DeepSeek and Kimi require it within a tool loop).
//
// Claude Code discards a thinking block without a signature, so the mark must be non-empty.
// Anthropic signatures are base64, which has no ':', so no Anthropic-signed block starts with
// "ccgate:". A client that writes the mark by hand gains nothing it could not say as text.

#include <string_view>

namespace ccgate::translate {

inline constexpr std::string_view kOwnThinkingSignaturePrefix = "ccgate:";
inline constexpr std::string_view kOwnThinkingSignature = "ccgate:reasoning_content";

inline bool is_own_thinking_signature(std::string_view signature) {
  return signature.starts_with(kOwnThinkingSignaturePrefix);
}

}  // namespace ccgate::translate
