#include "gateway/conversation_api.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>

#include "gateway/door.hpp"
#include "http/auth.hpp"
#include "openai/errors.hpp"

namespace ccgate::gateway {
namespace json = boost::json;
namespace bhttp = boost::beast::http;
using std::chrono::system_clock;

namespace {

constexpr std::string_view kCollection = "/v1/conversations";

std::string_view api_state(SessionView::State state) {
  switch (state) {
    case SessionView::State::running:
      return "running";
    case SessionView::State::waiting_for_tools:
      return "waiting_for_tools";
    case SessionView::State::spare:
      return "spare";
    case SessionView::State::idle:
      break;
  }
  return "idle";
}

std::int64_t whole_seconds(std::chrono::nanoseconds duration) {
  return std::max<std::int64_t>(0,
                                std::chrono::duration_cast<std::chrono::seconds>(duration).count());
}

boost::asio::awaitable<void> respond_error(http::Exchange& exchange, http::Status status,
                                           std::string message, std::string_view code,
                                           std::string_view allow = {}) {
  http::Fields fields;
  if (!allow.empty()) fields.set(bhttp::field::allow, allow);
  std::string body = openai::error_body(message, "invalid_request_error", "", code);
  co_await exchange.respond(status, std::move(body), "application/json", std::move(fields));
}

boost::asio::awaitable<void> respond_json(http::Exchange& exchange, const json::object& body) {
  http::Fields fields;
  fields.set(bhttp::field::cache_control, "no-store");
  co_await exchange.respond(http::Status::ok, json::serialize(body), "application/json",
                            std::move(fields));
}

}  // namespace

NamedRequest conversation_named_by(const http::Exchange& exchange) {
  const auto& fields = exchange.request();
  const auto count = fields.count(kConversationHeader);
  if (count == 0) return {};
  if (count > 1)
    return {.key = std::nullopt,
            .problem = fmt::format("the {} header is given {} times; give it once",
                                   kConversationHeader, count)};
  const std::string_view name = exchange.header(kConversationHeader);
  if (auto problem = conversation_name_problem(name))
    return {.key = std::nullopt, .problem = std::move(*problem)};
  return {.key = ConversationKey{client_scope(http::bearer_token(exchange)), std::string(name)},
          .problem = {}};
}

json::object conversation_object(const SessionView& view, system_clock::time_point now) {
  const auto& stats = view.stats;
  return json::object{
      {"id", public_conversation_id(view.session_id)},
      {"object", "conversation"},
      {"name", view.name.empty() ? json::value(nullptr) : json::value(view.name)},
      {"model", view.model},
      {"created_at",
       std::chrono::duration_cast<std::chrono::seconds>(view.started.time_since_epoch()).count()},
      {"age_seconds", whole_seconds(now - view.started)},
      {"idle_seconds", whole_seconds(view.idle_for)},
      {"state", api_state(view.state)},
      {"pending_tool_calls", view.pending_tool_calls},
      {"turns", stats.turns},
      {"usage", json::object{{"prompt_tokens", stats.prompt_tokens},
                             {"completion_tokens", stats.completion_tokens},
                             {"total_tokens", stats.prompt_tokens + stats.completion_tokens}}},
  };
}

json::object conversation_list(const std::vector<SessionView>& views,
                               system_clock::time_point now) {
  json::array data;
  for (const auto& view : views)
    if (view.state != SessionView::State::spare) data.push_back(conversation_object(view, now));
  return json::object{{"object", "list"}, {"data", std::move(data)}, {"has_more", false}};
}

boost::asio::awaitable<void> Door::conversations(http::Exchange& exchange) {
  const auto method = exchange.request().method();
  const bool get = method == bhttp::verb::get || method == bhttp::verb::head;
  const std::string_view path = exchange.path();
  if (path == kCollection) {
    if (!get)
      co_return co_await respond_error(
          exchange, http::Status::method_not_allowed,
          fmt::format("method {} is not allowed on {}",
                      std::string_view(exchange.request().method_string()), kCollection),
          "method_not_allowed", "GET, HEAD");
    const json::object body = conversation_list(sessions_.list(), system_clock::now());
    co_return co_await respond_json(exchange, body);
  }

  const std::string_view public_id = path.substr(kCollection.size() + 1);
  if (!get && method != bhttp::verb::delete_)
    co_return co_await respond_error(
        exchange, http::Status::method_not_allowed,
        fmt::format("method {} is not allowed on a conversation",
                    std::string_view(exchange.request().method_string())),
        "method_not_allowed", "GET, HEAD, DELETE");
  const auto session_id = session_id_of(public_id);
  const auto session = session_id ? sessions_.find(*session_id) : nullptr;
  // Only a well-formed id is echoed: the path is the client's text.
  const std::string not_found =
      session_id ? fmt::format("No conversation found with id '{}'.", public_id)
                 : std::string(
                       "No conversation found with this id: conversation ids are conv_ "
                       "and letters and digits (see GET /v1/conversations).");
  if (!session || session->spare())
    co_return co_await respond_error(exchange, http::Status::not_found, not_found,
                                     "conversation_not_found");
  if (get) {
    for (const auto& view : sessions_.list())
      if (view.session_id == *session_id) {
        const json::object body = conversation_object(view, system_clock::now());
        co_return co_await respond_json(exchange, body);
      }
    co_return co_await respond_error(exchange, http::Status::not_found, not_found,
                                     "conversation_not_found");
  }
  sessions_.end(session, ExitCause::deleted);
  const json::object body{
      {"id", std::string(public_id)}, {"object", "conversation.deleted"}, {"deleted", true}};
  co_await respond_json(exchange, body);
}

}  // namespace ccgate::gateway
