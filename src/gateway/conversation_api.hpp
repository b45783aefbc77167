#pragma once
// The conversation admin API's bodies, and reading a request's conversation name. The handler
// itself is Door::conversations (conversation_api.cpp).

#include <boost/json/object.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "gateway/conversation.hpp"
#include "gateway/session_manager.hpp"
#include "http/server.hpp"

namespace ccgate::gateway {

// The request's x-ccgate-conversation: no key without the header; a problem (for a 400) when it
// is empty, given twice, too long or holds other characters than a name may.
struct NamedRequest {
  std::optional<ConversationKey> key;
  std::string problem;
};
NamedRequest conversation_named_by(const http::Exchange& exchange);

// {"id","object":"conversation","name","model","created_at","age_seconds","idle_seconds","state",
//  "pending_tool_calls","turns","usage"}: never a message, the MCP secret or the system prompt.
boost::json::object conversation_object(const SessionView& view,
                                        std::chrono::system_clock::time_point now);
// {"object":"list","data":[…],"has_more":false}: the conversations, oldest first (not spares).
boost::json::object conversation_list(const std::vector<SessionView>& views,
                                      std::chrono::system_clock::time_point now);

}  // namespace ccgate::gateway
