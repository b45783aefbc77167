#pragma once
// ToolManager: the client's OpenAI function tools as MCP tools, cached by a SHA-256 signature of
// the canonical, name-sorted tool list for a while (TOOL_CACHE_TTL) so a conversation that
// sends the same tools again reuses them. Only the tools of an admitted request are cached: a
// request that is refused (bad key, no session for it, busy, too many sessions) leaves nothing
// behind. Thread-safe.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "mcp/backend.hpp"
#include "openai/chat_request.hpp"
#include "translate/tool_names.hpp"

namespace ccgate::gateway {

struct ToolSet {
  std::string signature;
  translate::ToolNames names;        // client names ↔ the names the CLI accepts
  std::vector<mcp::Tool> mcp_tools;  // as tools/list serves them (safe names), executors last
  std::set<std::string, std::less<>> executors;  // of mcp_tools, the tools ccgate runs itself

  bool is_executor(std::string_view mcp_name) const { return executors.contains(mcp_name); }
};

class ToolManager {
 public:
  using Clock = std::chrono::steady_clock;

  // `executors`: the tools ccgate runs itself (gateway.tools), served beside every client's.
  explicit ToolManager(std::chrono::milliseconds ttl, std::vector<mcp::Tool> executors = {});

  // The cached set with these tools' signature, else a new one; caches nothing.
  std::shared_ptr<const ToolSet> tool_set(const std::vector<openai::Tool>& tools) const;
  // Caches the set (or marks it used now) once its request has been admitted.
  void remember(const std::shared_ptr<const ToolSet>& tools, Clock::time_point now = Clock::now());
  // Drops tool sets unused for longer than the TTL (sessions keep their own reference).
  std::size_t sweep(Clock::time_point now = Clock::now());
  std::size_t size() const;

  // Hex SHA-256 of the canonical JSON of the name-sorted tools (object keys sorted).
  static std::string signature_of(const std::vector<openai::Tool>& tools);

 private:
  struct Entry {
    std::shared_ptr<const ToolSet> tools;
    Clock::time_point last_used;
  };
  std::chrono::milliseconds ttl_;
  std::vector<mcp::Tool> executors_;
  std::string executors_signature_;  // empty without executors
  mutable std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> cache_;
};

}  // namespace ccgate::gateway
