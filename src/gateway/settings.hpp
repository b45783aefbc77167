#pragma once
// How the gateway door runs Claude Code: which CLI, against which model API, with which limits.

#include <chrono>
#include <cstddef>
#include <string>

#include "gateway/extensions.hpp"

namespace ccgate::gateway {

struct Settings {
  std::string cli_path;      // CLAUDE_CODE_PATH; empty: the pinned npm install, then PATH
  std::string cli_base_url;  // CLAUDE_CODE_BASE_URL (resolved: "self" → ccgate's proxy door)
  std::string cli_api_key = "sk-ccgate";  // CLAUDE_CODE_API_KEY
  std::string api_key;                    // GATEWAY_API_KEY: when set, clients must present it
  std::string mcp_base_url;  // http://127.0.0.1:<port>, where the CLI reaches the MCP servers
  std::size_t max_sessions = 32;
  std::chrono::milliseconds session_idle_timeout{1'800'000};
  // SPARE_SESSIONS: Claude Code processes started ahead of the conversations that will need them
  // (see SessionManager); 0: none, every conversation starts its own.
  std::size_t spare_sessions = 0;
  std::chrono::milliseconds spare_idle_timeout{300'000};  // SPARE_IDLE_TIMEOUT
  std::chrono::milliseconds tool_call_timeout{120'000};
  // MCP_SERVER_START_TIMEOUT: how long a new CLI waits for its MCP servers (the operator's,
  // gateway: mcp_servers:) to start or connect; one still pending then fails the request (503).
  std::chrono::milliseconds mcp_start_timeout{30'000};
  std::chrono::milliseconds tool_cache_ttl{300'000};
  std::chrono::milliseconds keepalive{15'000};  // SSE comments while the CLI is silent
  // TURN_TIMEOUT: one turn (one response) from the request to the CLI's end of it; then the
  // client gets an error and the CLI is ended.
  std::chrono::milliseconds turn_timeout{600'000};
  // INTERRUPT_TIMEOUT: after ccgate interrupts the CLI (a stop string or max_tokens ended the
  // reply first), how long it may take to end its turn before it is killed.
  std::chrono::milliseconds interrupt_timeout{10'000};
  std::string system_prompt =
      "You are serving an API client through ccgate. Use only the tools provided to you in this "
      "conversation (they are the client's own tools); do not try to use any other tool.";
  bool include_reasoning = true;                 // GATEWAY_REASONING
  std::size_t max_json_depth = 128;              // MAX_JSON_DEPTH: request bodies, CLI lines
  std::size_t max_line_size = 16 * 1024 * 1024;  // MAX_LINE_SIZE: one CLI stdout line
  Extensions extensions;                         // the configuration file's gateway: section
};

}  // namespace ccgate::gateway
