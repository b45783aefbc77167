#include "gateway/tool_manager.hpp"

#include <fmt/format.h>
#include <openssl/sha.h>

#include <algorithm>
#include <boost/json.hpp>

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

std::string sha256_hex(std::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  std::string hex;
  for (unsigned char byte : digest) hex += fmt::format("{:02x}", byte);
  return hex;
}

std::shared_ptr<const ToolSet> build_tool_set(const std::vector<openai::Tool>& tools,
                                              std::string signature) {
  std::vector<std::string> client_names;
  for (const auto& tool : tools) client_names.push_back(tool.name);
  ToolSet set{std::move(signature), translate::ToolNames(client_names), {}};
  for (const auto& tool : tools) {
    set.mcp_tools.push_back(mcp::Tool{.name = set.names.safe_for(tool.name).value_or(tool.name),
                                      .description = tool.description,
                                      .input_schema = tool.parameters});
  }
  return std::make_shared<const ToolSet>(std::move(set));
}

}  // namespace

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
  return sha256_hex(json::serialize(list));
}

std::shared_ptr<const ToolSet> ToolManager::tool_set(const std::vector<openai::Tool>& tools) const {
  std::string signature = signature_of(tools);
  {
    std::lock_guard lock(mutex_);
    if (const auto found = cache_.find(signature); found != cache_.end())
      return found->second.tools;
  }
  return build_tool_set(tools, std::move(signature));
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
