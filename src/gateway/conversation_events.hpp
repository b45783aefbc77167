#pragma once
// The conversation webhooks (gateway.conversation_webhooks): a JSON POST when a conversation
// starts and when it ends, fire-and-forget. Events wait in a bounded queue and are sent one at a
// time, in order, on the gateway's own loop; past the queue's bound they are dropped and counted.
// Queueing never waits, so a slow or dead webhook never delays a request; at shutdown what is
// still undelivered one timeout after close() is dropped.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/conversation.hpp"
#include "gateway/session.hpp"
#include "gateway/webhook.hpp"

namespace ccgate::gateway {

// What an event says about a conversation: never its messages, secret or system prompt.
struct ConversationRecord {
  std::string id;    // public_conversation_id()
  std::string name;  // empty: not named
  std::string model;
  std::chrono::system_clock::time_point started;
  ConversationStats stats;
};
ConversationRecord record_of(const Session& session);

boost::json::object started_event(const ConversationRecord& record, std::string_view request_id);
boost::json::object ended_event(const ConversationRecord& record, ExitCause cause,
                                std::chrono::system_clock::time_point ended);

class ConversationEvents {
 public:
  // `loop`: where the POSTs run (the gateway's own); `client` is used there only.
  ConversationEvents(const ConversationWebhookSettings& settings, boost::asio::any_io_executor loop,
                     WebhookClient& client);
  ConversationEvents(const ConversationEvents&) = delete;
  ConversationEvents& operator=(const ConversationEvents&) = delete;

  // Any thread; never waits. Nothing is sent for an event without its URL.
  void started(const Session& session, std::string_view request_id);
  void ended(const Session& session, ExitCause cause);
  // Shutdown: events still undelivered one timeout from now are dropped.
  void close();

  std::uint64_t dropped() const;  // the queue was full
  std::uint64_t failed() const;   // sent, without a 2xx answer in time

 private:
  struct Event {
    std::string_view kind;  // for the log: "start" or "end"
    std::string url;
    std::string body;
  };
  void enqueue(Event event);
  boost::asio::awaitable<void> deliver();
  void note_answer(const Event& event, const WebhookAnswer& answer);

  const ConversationWebhookSettings& settings_;
  boost::asio::any_io_executor loop_;
  WebhookClient& client_;

  mutable std::mutex mutex_;
  std::deque<Event> queue_;
  bool delivering_ = false;  // a deliver() runs (it empties the queue, then ends)
  std::optional<std::chrono::steady_clock::time_point> deadline_;  // set by close()
  std::uint64_t dropped_ = 0;
  std::uint64_t dropped_in_burst_ = 0;  // since the queue was last full: logged once per burst
  std::uint64_t failed_ = 0;
  std::uint64_t failed_in_row_ = 0;
};

}  // namespace ccgate::gateway
