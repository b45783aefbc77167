#include "gateway/conversation.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "translate/sha256.hpp"

namespace ccgate::gateway {

namespace {

constexpr std::string_view kPublicIdPrefix = "conv_";

bool name_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == ':';
}

bool session_id_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

}  // namespace

std::optional<std::string> conversation_name_problem(std::string_view name) {
  if (name.empty()) return fmt::format("the {} header is empty", kConversationHeader);
  if (name.size() > kMaxConversationNameSize)
    return fmt::format("the {} header is longer than {} bytes", kConversationHeader,
                       kMaxConversationNameSize);
  if (!std::all_of(name.begin(), name.end(), name_character))
    return fmt::format("the {} header may hold only letters, digits and - _ . :",
                       kConversationHeader);
  return std::nullopt;
}

std::string client_scope(std::string_view presented_key) {
  if (presented_key.empty()) return {};
  return translate::sha256_hex(presented_key);
}

std::string public_conversation_id(std::string_view session_id) {
  return fmt::format("{}{}", kPublicIdPrefix, session_id);
}

std::optional<std::string> session_id_of(std::string_view public_id) {
  if (!public_id.starts_with(kPublicIdPrefix)) return std::nullopt;
  const auto id = public_id.substr(kPublicIdPrefix.size());
  if (id.empty() || id.size() > 64 || !std::all_of(id.begin(), id.end(), session_id_character))
    return std::nullopt;
  return std::string(id);
}

}  // namespace ccgate::gateway
