#include "app/config_gateway_conversations.hpp"

#include <fmt/format.h>

#include "app/environment.hpp"

namespace ccgate::app {

namespace {

constexpr std::string_view kPath = "gateway.conversation_webhooks";
constexpr std::string_view kKeys = "start, end, headers, timeout, queue";

}  // namespace

gateway::ConversationWebhookSettings read_conversation_webhooks(const Parser& parse,
                                                                const YAML::Node& node) {
  gateway::ConversationWebhookSettings settings;
  if (!node.IsMap()) parse.fail(node, kPath, "expected a mapping (start:, end:, …)");
  parse.each(
      node, kPath, kKeys, [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
        const std::string path = fmt::format("{}.{}", kPath, key);
        if (key == "start")
          settings.start_url = parse.url(value, path);
        else if (key == "end")
          settings.end_url = parse.url(value, path);
        else if (key == "headers")
          settings.headers = parse.headers(value, path);
        else if (key == "timeout")
          settings.timeout = parse.seconds(value, path);
        else if (key == "queue")
          settings.queue = static_cast<std::size_t>(parse.integer(value, path, 1, 1'000'000));
        else
          return false;
        return true;
      });
  if (!settings.enabled()) parse.fail(node, kPath, "needs start: or end: (a URL), or both");
  return settings;
}

}  // namespace ccgate::app
