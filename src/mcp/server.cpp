#include "mcp/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/serialize.hpp>
#include <boost/system/system_error.hpp>

#include "http/sse.hpp"

namespace ccgate::mcp {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::size_t kLoggedSessionChars = 8;

std::string_view session_prefix(std::string_view session_id) {
  return session_id.substr(0, kLoggedSessionChars);
}

// An Mcp-Session-Id must be visible ASCII (MCP transports, "Session Management").
bool is_visible_ascii(std::string_view text) {
  if (text.empty()) return false;
  for (const char c : text)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

asio::awaitable<void> refuse(http::Exchange& exchange, http::Status status, jsonrpc::ErrorCode code,
                             std::string_view message, http::Fields extra = {}) {
  co_await exchange.respond(status, json::serialize(jsonrpc::make_error(nullptr, code, message)),
                            kJson, std::move(extra));
}

asio::awaitable<void> begin_event_stream(http::Exchange& exchange) {
  http::Fields headers;
  headers.set(boost::beast::http::field::cache_control, "no-cache");
  co_await exchange.begin_stream(http::Status::ok, "text/event-stream", std::move(headers));
}

std::string sse_message(const json::object& message) {
  std::string event;
  http::append_sse_event(event, "message", json::serialize(message));
  return event;
}

// A write that cancellation cannot cut in half: a chunk left half-written would corrupt the
// stream for whatever is written after it (the tool's result).
asio::awaitable<void> write_whole(http::Exchange& exchange, std::string_view bytes) {
  co_await asio::co_spawn(
      co_await asio::this_coro::executor, exchange.write(bytes),
      asio::bind_cancellation_slot(asio::cancellation_slot(), asio::use_awaitable));
}

}  // namespace

Endpoint::Endpoint(EndpointOptions options, Backend& backend)
    : options_(std::move(options)),
      info_{options_.server_name, options_.server_version},
      backend_(backend) {}

asio::awaitable<void> Endpoint::handle(http::Exchange& exchange, std::string_view session_id) {
  namespace beast_http = boost::beast::http;
  std::string session(session_id);
  if (!exchange.loopback_peer()) {
    co_await refuse(exchange, http::Status::forbidden, jsonrpc::ErrorCode::server_error,
                    "Forbidden: this MCP server accepts loopback connections only");
    co_return;
  }
  if (!backend_.authorized(session, exchange.header(kSecretHeader))) {
    co_await refuse(exchange, http::Status::not_found, jsonrpc::ErrorCode::session_not_found,
                    "Session not found");
    co_return;
  }

  switch (exchange.request().method()) {
    case beast_http::verb::post:
      co_await handle_post(exchange, std::move(session));
      break;
    case beast_http::verb::delete_:
      calls_.cancel_session(session);
      co_await exchange.respond(http::Status::ok, "", "");
      break;
    default: {
      // GET included: we offer no server-to-client stream, and 405 is how the client learns it.
      http::Fields allow;
      allow.set(beast_http::field::allow, "POST, DELETE");
      co_await refuse(exchange, http::Status::method_not_allowed, jsonrpc::ErrorCode::server_error,
                      "Method not allowed", std::move(allow));
    }
  }
}

asio::awaitable<void> Endpoint::handle_post(http::Exchange& exchange, std::string session_id) {
  auto parsed = jsonrpc::parse(exchange.request().body(), options_.max_json_depth);
  if (const auto* error = std::get_if<jsonrpc::Error>(&parsed)) {
    spdlog::debug("mcp {}: session {}: rejected body: {}", options_.server_name,
                  session_prefix(session_id), error->message);
    co_await exchange.respond(http::Status::bad_request,
                              json::serialize(jsonrpc::make_error(*error)), kJson);
    co_return;
  }
  const auto& message = std::get<jsonrpc::Message>(parsed);
  spdlog::debug("mcp {}: session {}: {} id={}", options_.server_name, session_prefix(session_id),
                message.kind == jsonrpc::Kind::response ? "(response)" : message.method,
                json::serialize(message.id));

  http::Fields extra;
  if (message.method == "initialize" && is_visible_ascii(session_id))
    extra.set("Mcp-Session-Id", session_id);
  Action action = decide(message, session_id, info_, backend_);

  if (auto* reply = std::get_if<ImmediateReply>(&action)) {
    if (!reply->as_event_stream) {
      co_await exchange.respond(http::Status::ok, json::serialize(reply->message), kJson,
                                std::move(extra));
      co_return;
    }
    co_await begin_event_stream(exchange);
    co_await exchange.write(sse_message(reply->message));
    co_await exchange.end_stream();
  } else if (auto* cancel = std::get_if<CancelCall>(&action)) {
    const bool found = calls_.cancel(session_id, cancel->request_id);
    spdlog::debug("mcp {}: session {}: cancel id={}: {}", options_.server_name,
                  session_prefix(session_id), json::serialize(cancel->request_id),
                  found ? "stopping the call" : "no such call waiting");
    co_await exchange.respond(http::Status::accepted, "", "");
  } else if (auto* call = std::get_if<StartCall>(&action)) {
    co_await stream_call(exchange, std::move(call->request));
  } else {
    co_await exchange.respond(http::Status::accepted, "", "");
  }
}

// Headers go out at once (the CLI aborts a POST whose response head takes over 60 s), then
// comments keep the stream alive until the backend answers, the client cancels, or it hangs up
// (then the server cancels this coroutine, and with it the backend's call).
asio::awaitable<void> Endpoint::stream_call(http::Exchange& exchange, CallRequest request) {
  using namespace asio::experimental::awaitable_operators;
  const auto registration =
      calls_.add(request.session_id, request.request_id, co_await asio::this_coro::executor);
  const std::string session_id = request.session_id;
  const json::value request_id = request.request_id;
  co_await begin_event_stream(exchange);

  auto outcome = co_await (answer_call(std::move(request)) || keep_alive(exchange) ||
                           registration.cancelled());
  if (const auto* answer = std::get_if<0>(&outcome)) {
    co_await exchange.write(sse_message(*answer));
  } else {
    spdlog::debug("mcp {}: session {}: call id={} cancelled by the client", options_.server_name,
                  session_prefix(session_id), json::serialize(request_id));
  }
  co_await exchange.end_stream();
}

asio::awaitable<json::object> Endpoint::answer_call(CallRequest request) {
  const json::value request_id = request.request_id;
  std::string failure;
  try {
    const CallResult result = co_await backend_.call_tool(std::move(request));
    co_return call_result_message(request_id, result);
  } catch (const std::exception& error) {
    failure = error.what();
  }
  // Cancelled: the exception is how cancellation ends the call, not a failure to report.
  const auto state = co_await asio::this_coro::cancellation_state;
  if (state.cancelled() != asio::cancellation_type::none)
    throw boost::system::system_error(asio::error::operation_aborted);
  spdlog::warn("mcp {}: call id={} failed: {}", options_.server_name, json::serialize(request_id),
               failure);
  co_return jsonrpc::make_error(request_id, jsonrpc::ErrorCode::internal_error,
                                "Internal error: " + failure);
}

asio::awaitable<void> Endpoint::keep_alive(http::Exchange& exchange) const {
  std::string comment;
  http::append_sse_comment(comment, "keepalive");
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    if (options_.keepalive > 0ms)
      timer.expires_after(options_.keepalive);
    else
      timer.expires_at(asio::steady_timer::time_point::max());
    co_await timer.async_wait(asio::use_awaitable);
    co_await write_whole(exchange, comment);
  }
}

std::optional<McpPath> parse_mcp_path(std::string_view path) {
  constexpr std::string_view kPrefix = "/mcp/";
  if (!path.starts_with(kPrefix)) return std::nullopt;
  path.remove_prefix(kPrefix.size());
  const auto slash = path.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const McpPath parts{path.substr(0, slash), path.substr(slash + 1)};
  if (parts.server.empty() || parts.session_id.empty() ||
      parts.session_id.find('/') != std::string_view::npos)
    return std::nullopt;
  return parts;
}

}  // namespace ccgate::mcp
