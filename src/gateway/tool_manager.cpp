#include "gateway/tool_manager.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "translate/sha256.hpp"

namespace ccgate::gateway {
namespace json = boost::json;

namespace {

json::value canonical(const json::value& value) {
  if (const auto* object = value.if_object()) {
    std::vector<std::pair<std::string_view, const json::value*>> members;
    for (const auto& member : *object) members.emplace_back(member.key(), &member.value());
    std::sort(members.begin(), members.end());
    json::object sorted;
    for (const auto& [key, member] : members) sorted[key] = canonical(*member);
    return sorted;
  }
  if (const auto* array = value.if_array()) {
    json::array out;
    for (const auto& item : *array) out.push_back(canonical(item));
    return out;
  }
  return value;
}

std::shared_ptr<const ToolSet> build_tool_set(const std::vector<openai::Tool>& tools,
                                              std::string signature,
                                              const std::vector<mcp::Tool>& executors) {
  std::vector<std::string> client_names;
  for (const auto& tool : tools) client_names.push_back(tool.name);
  ToolSet set{std::move(signature), translate::ToolNames(client_names), {}, {}};
  for (const auto& tool : tools) {
    set.mcp_tools.push_back(mcp::Tool{.name = set.names.safe_for(tool.name).value_or(tool.name),
                                      .description = tool.description,
                                      .input_schema = tool.parameters});
  }
  for (const auto& executor : executors) {
    set.mcp_tools.push_back(executor);
    set.executors.insert(executor.name);
  }
  return std::make_shared<const ToolSet>(std::move(set));
}

std::string executors_signature(const std::vector<mcp::Tool>& executors) {
  if (executors.empty()) return {};
  json::array list;
  for (const auto& tool : executors)
    list.push_back(json::object{{"name", tool.name},
                                {"description", tool.description},
                                {"parameters", canonical(tool.input_schema)}});
  return translate::sha256_hex(json::serialize(list));
}

}  // namespace

ToolManager::ToolManager(std::chrono::milliseconds ttl, std::vector<mcp::Tool> executors)
    : ttl_(ttl),
      executors_(std::move(executors)),
      executors_signature_(executors_signature(executors_)) {}

std::string ToolManager::signature_of(const std::vector<openai::Tool>& tools) {
  std::vector<const openai::Tool*> sorted;
  for (const auto& tool : tools) sorted.push_back(&tool);
  std::sort(sorted.begin(), sorted.end(),
            [](const auto* a, const auto* b) { return a->name < b->name; });
  json::array list;
  for (const auto* tool : sorted) {
    list.push_back(json::object{{"name", tool->name},
                                {"description", tool->description},
                                {"parameters", canonical(tool->parameters)}});
  }
  return translate::sha256_hex(json::serialize(list));
}

std::shared_ptr<const ToolSet> ToolManager::tool_set(const std::vector<openai::Tool>& tools) const {
  std::string signature = signature_of(tools);
  // The executors are part of what the CLI is launched with (see LaunchKey).
  if (!executors_signature_.empty())
    signature = translate::sha256_hex(signature + executors_signature_);
  {
    std::lock_guard lock(mutex_);
    if (const auto found = cache_.find(signature); found != cache_.end())
      return found->second.tools;
  }
  return build_tool_set(tools, std::move(signature), executors_);
}

void ToolManager::remember(const std::shared_ptr<const ToolSet>& tools, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  cache_.try_emplace(tools->signature, Entry{tools, now}).first->second.last_used = now;
}

std::size_t ToolManager::sweep(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  return std::erase_if(cache_,
                       [&](const auto& item) { return now - item.second.last_used > ttl_; });
}

std::size_t ToolManager::size() const {
  std::lock_guard lock(mutex_);
  return cache_.size();
}

}  // namespace ccgate::gateway
