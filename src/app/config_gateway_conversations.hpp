#pragma once
// gateway.conversation_webhooks: the URLs that hear of each conversation's start and end.

#include <yaml-cpp/yaml.h>

#include "app/config_parser.hpp"
#include "gateway/conversation.hpp"

namespace ccgate::app {

// Throws ConfigError.
gateway::ConversationWebhookSettings read_conversation_webhooks(const Parser& parse,
                                                                const YAML::Node& node);

}  // namespace ccgate::app
