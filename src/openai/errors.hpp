#pragma once
// OpenAI's error shape {"error":{"message","type","param","code"}}, and reading the message out
// of whatever error body an OpenAI-compatible provider sends (JSON in several shapes, or text).

#include <string>
#include <string_view>

namespace ccgate::openai {

std::string error_body(std::string_view message, std::string_view type, std::string_view param = {},
                       std::string_view code = {});

// The human-readable message in an upstream error body: error.message, error (string),
// message, detail, or the trimmed text itself (HTML reduced to a short note), at most ~1 KB.
std::string error_message_from_body(std::string_view body);

// An error body that says the request is longer than the model's context window (OpenAI's
// context_length_exceeded, and the wordings of DeepSeek, Groq, vLLM, Ollama and others).
bool says_context_too_long(std::string_view body);

}  // namespace ccgate::openai
