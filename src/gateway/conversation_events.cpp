#include "gateway/conversation_events.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json.hpp>

namespace ccgate::gateway {
namespace json = boost::json;
using std::chrono::system_clock;

namespace {

// The answer's body says nothing to ccgate: a little is read, the rest is not waited for.
constexpr std::size_t kMaxAnswer = 64 * 1024;

std::int64_t unix_seconds(system_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

json::object conversation_fields(std::string_view event, const ConversationRecord& record) {
  return json::object{
      {"event", event},
      {"id", record.id},
      {"name", record.name.empty() ? json::value(nullptr) : json::value(record.name)},
      {"model", record.model},
      {"created_at", unix_seconds(record.started)},
  };
}

}  // namespace

ConversationRecord record_of(const Session& session) {
  const auto key = session.conversation_key();
  return ConversationRecord{.id = public_conversation_id(session.id()),
                            .name = key ? key->name : std::string(),
                            .model = session.identity().model,
                            .started = session.conversation_started(),
                            .stats = session.stats()};
}

json::object started_event(const ConversationRecord& record, std::string_view request_id) {
  auto event = conversation_fields("conversation.started", record);
  event["request_id"] = request_id;
  return event;
}

json::object ended_event(const ConversationRecord& record, ExitCause cause,
                         system_clock::time_point ended) {
  auto event = conversation_fields("conversation.ended", record);
  const auto duration =
      std::chrono::duration_cast<std::chrono::milliseconds>(ended - record.started);
  event["ended"] = unix_seconds(ended);
  event["duration_ms"] = std::max<std::int64_t>(0, duration.count());
  event["turns"] = record.stats.turns;
  event["usage"] =
      json::object{{"prompt_tokens", record.stats.prompt_tokens},
                   {"completion_tokens", record.stats.completion_tokens},
                   {"total_tokens", record.stats.prompt_tokens + record.stats.completion_tokens}};
  event["cause"] = exit_cause_name(cause);
  return event;
}

ConversationEvents::ConversationEvents(const ConversationWebhookSettings& settings,
                                       boost::asio::any_io_executor loop, WebhookClient& client)
    : settings_(settings), loop_(std::move(loop)), client_(client) {}

void ConversationEvents::started(const Session& session, std::string_view request_id) {
  if (settings_.start_url.empty()) return;
  enqueue({"start", settings_.start_url,
           json::serialize(started_event(record_of(session), request_id))});
}

void ConversationEvents::ended(const Session& session, ExitCause cause) {
  if (settings_.end_url.empty()) return;
  enqueue({"end", settings_.end_url,
           json::serialize(ended_event(record_of(session), cause, system_clock::now()))});
}

void ConversationEvents::enqueue(Event event) {
  bool spawn = false;
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= settings_.queue || deadline_) {
      ++dropped_;
      if (++dropped_in_burst_ == 1)
        spdlog::warn(
            "conversation webhooks: {} events wait already (gateway.conversation_webhooks.queue); "
            "further events are dropped until the queue has room",
            queue_.size());
      return;
    }
    if (dropped_in_burst_ != 0) {
      spdlog::warn("conversation webhooks: {} event(s) were dropped while the queue was full",
                   dropped_in_burst_);
      dropped_in_burst_ = 0;
    }
    queue_.push_back(std::move(event));
    spawn = !std::exchange(delivering_, true);
  }
  if (spawn) boost::asio::co_spawn(loop_, deliver(), boost::asio::detached);
}

boost::asio::awaitable<void> ConversationEvents::deliver() {
  for (;;) {
    Event event;
    auto timeout = settings_.timeout;
    {
      std::lock_guard lock(mutex_);
      if (deadline_) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(
            *deadline_ - std::chrono::steady_clock::now());
        if (left.count() <= 0 && !queue_.empty()) {
          spdlog::warn("conversation webhooks: {} event(s) undelivered at shutdown were dropped",
                       queue_.size());
          dropped_ += queue_.size();
          queue_.clear();
        }
        timeout = std::min(timeout, left);
      }
      if (queue_.empty()) {
        delivering_ = false;
        co_return;
      }
      event = std::move(queue_.front());
      queue_.pop_front();
    }
    const auto answer = co_await client_.post({.url = event.url,
                                               .headers = settings_.headers,
                                               .body = std::move(event.body),
                                               .timeout = timeout,
                                               .max_answer = kMaxAnswer});
    note_answer(event, answer);
  }
}

void ConversationEvents::note_answer(const Event& event, const WebhookAnswer& answer) {
  std::lock_guard lock(mutex_);
  if (answer.ok()) {
    if (failed_in_row_ != 0)
      spdlog::info("conversation webhooks: delivered again after {} failed event(s)",
                   failed_in_row_);
    failed_in_row_ = 0;
    return;
  }
  ++failed_;
  // Told once per run of failures: a dead webhook does not flood the log.
  if (++failed_in_row_ == 1)
    spdlog::warn(
        "conversation webhook ({}) failed: {}; later failures are counted until one "
        "succeeds",
        event.kind, answer.error.empty() ? fmt::format("HTTP {}", answer.status) : answer.error);
}

void ConversationEvents::close() {
  std::lock_guard lock(mutex_);
  if (!deadline_) deadline_ = std::chrono::steady_clock::now() + settings_.timeout;
}

std::uint64_t ConversationEvents::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

std::uint64_t ConversationEvents::failed() const {
  std::lock_guard lock(mutex_);
  return failed_;
}

}  // namespace ccgate::gateway
