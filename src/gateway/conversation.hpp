#pragma once
// Explicit conversations: a client names its conversation with the x-ccgate-conversation header
// and ccgate finds it by that name (scoped per client key) instead of by its earlier messages.
// Also what the conversation admin API and the conversation webhooks say about a conversation:
// ids, name, model, age, turns and tokens, why it ended; never its messages, MCP secret or
// system prompt.

#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ccgate::gateway {

inline constexpr std::string_view kConversationHeader = "x-ccgate-conversation";
// A name's bound, in bytes: like a request id's (x-request-id), it is logged and echoed.
inline constexpr std::size_t kMaxConversationNameSize = 128;

// Why `name` cannot name a conversation (nullopt when it can): 1 to 128 letters, digits and
// "-_.:".
std::optional<std::string> conversation_name_problem(std::string_view name);

// A conversation's name within its client's scope: one client key cannot reach another's names.
struct ConversationKey {
  std::string scope;  // client_scope() of the key the client presented
  std::string name;
  auto operator<=>(const ConversationKey&) const = default;
};
// The scope of a client key: a digest, so that the key itself is never kept.
std::string client_scope(std::string_view presented_key);

// The id the admin API and the webhooks use: "conv_" and the whole session id (the log and the
// status page show the session id's first 8 characters). Never the MCP secret.
std::string public_conversation_id(std::string_view session_id);
// The session id of a public id; nullopt when `public_id` is no conversation id.
std::optional<std::string> session_id_of(std::string_view public_id);

// What a conversation has done so far.
struct ConversationStats {
  std::uint64_t turns = 0;  // responses served
  std::uint64_t prompt_tokens = 0;
  std::uint64_t completion_tokens = 0;
};

// gateway.conversation_webhooks: POSTs on a conversation's start and end, fire-and-forget.
struct ConversationWebhookSettings {
  std::string start_url;  // empty: no start event
  std::string end_url;    // empty: no end event
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout{5'000};  // each POST; also the shutdown's bound
  std::size_t queue = 1000;                  // events waiting at most; past it, dropped
  bool enabled() const { return !start_url.empty() || !end_url.empty(); }
};

}  // namespace ccgate::gateway
