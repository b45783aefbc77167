#pragma once
// The log's two formats (LOG_FORMAT): text lines for a terminal, or one JSON object per line for a
// log collector. Every spdlog line goes through the same formatter; a request's line is built
// from its fields by both formats, never parsed back out of text.

#include <spdlog/formatter.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "http/request_log.hpp"

namespace ccgate::app {

enum class LogFormat { text, json };

// One exchange as its log line tells it.
struct RequestLine {
  std::string_view id;
  std::string_view method;
  std::string_view path;
  int status = 0;
  // How long the exchange took and its time to first byte; unknown for an error the server
  // answered before any handler ran.
  std::optional<std::chrono::milliseconds> duration;
  std::optional<std::chrono::milliseconds> ttfb;
  bool client_left = false;
  const http::RequestLog* details = nullptr;  // what the door reported, if one ran
  std::string_view error;                     // why the server answered by itself
};

// "req_… POST /v1/messages 200 claude-x → openai/gpt-4o via default in=12 out=5 80ms ttfb=40ms"
std::string text_line(const RequestLine& line);
// The door's part of the text line: "claude-x → openai/gpt-4o via sonnet in=12 out=5", …
std::string text_summary(const http::RequestLog& log);
// The line's fields as JSON object members, without the braces: "id":"…","method":"POST",…
std::string json_members(const RequestLine& line);
// Writes the line at info level in the logger's format.
void log_request(const RequestLine& line, LogFormat format);

// text: "2026-01-01T12:00:00.000 info  message"; json: {"time":"…Z","level":"info",
// "message":"…"}, or the request line's fields in place of the message.
std::unique_ptr<spdlog::formatter> make_formatter(LogFormat format);

// text as a JSON string, quotes included: control characters escaped, and each byte that is not
// part of valid UTF-8 replaced by U+FFFD (a client's path or model name may carry anything).
void append_json_string(std::string& out, std::string_view text);

}  // namespace ccgate::app
