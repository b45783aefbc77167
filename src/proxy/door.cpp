#include "proxy/door.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>

#include "openai/errors.hpp"
#include "proxy/errors.hpp"
#include "proxy/stream_relay.hpp"
#include "translate/json_access.hpp"
#include "translate/json_arena.hpp"
#include "translate/response.hpp"
#include "translate/token_estimate.hpp"

namespace ccgate::proxy {
namespace json = boost::json;

namespace {

http::Fields response_fields(const http::RequestLog& log) {
  http::Fields fields;
  fields.set("request-id", log.id);
  return fields;
}

json::parse_options depth_limited(std::size_t max_depth) {
  json::parse_options options;
  options.max_depth = max_depth;
  return options;
}

std::optional<json::value> parse_body(std::string_view body, json::storage_ptr storage,
                                      std::size_t max_depth, std::string& error) {
  boost::system::error_code ec;
  json::value value = json::parse(body, ec, std::move(storage), depth_limited(max_depth));
  if (ec == json::error::too_deep) {
    error =
        fmt::format("request body nests deeper than MAX_JSON_DEPTH ({} levels) allows", max_depth);
    return std::nullopt;
  }
  if (ec) {
    error = fmt::format("request body is not valid JSON: {}", ec.message());
    return std::nullopt;
  }
  if (!value.is_object()) {
    error = "request body must be a JSON object";
    return std::nullopt;
  }
  if (!translate::numbers_are_finite(value)) {  // would go upstream as `Infinity`
    error = "request body is not valid JSON: a number is too large for a double";
    return std::nullopt;
  }
  return value;
}

void summarize(http::RequestLog& log, const translate::TranslatedRequest& request,
               const translate::Usage& usage) {
  log.summary =
      fmt::format("{} → {} in={} out={}", request.client_model, request.upstream_model,
                  usage.input_tokens + usage.cache_read_input_tokens, usage.output_tokens);
}

// A 400 invalid_request_error. (The ClientError is a named local: GCC 12 mishandles braced
// temporaries inside co_await expressions.)
asio::awaitable<void> reject(http::Exchange& exchange, const http::RequestLog& log,
                             std::string message) {
  const ClientError error{400, std::move(message), {}};
  co_await respond_error(exchange, log, error);
}

}  // namespace

asio::awaitable<void> Door::messages(http::Exchange& exchange, http::RequestLog& log) const {
  std::string error;
  translate::TranslatedRequest request;
  {
    // The parsed request lives in one arena, freed at once when translation is done: a large
    // Claude Code turn then costs no allocation and no free per JSON node, and is not held
    // while the answer streams.
    translate::JsonArena arena;
    auto body = parse_body(exchange.request().body(), &arena, settings_.max_json_depth, error);
    if (body) {
      try {
        request = translate::to_openai_request(*body, settings_.translation,
                                               exchange.request().body().size());
      } catch (const translate::InvalidRequest& invalid) {
        error = invalid.what();
      }
    }
  }
  if (!error.empty()) co_return co_await reject(exchange, log, std::move(error));
  exchange.discard_request_body();
  log.summary = fmt::format("{} → {}", request.client_model, request.upstream_model);

  std::optional<ClientError> failed;
  try {
    // Not held while the answer streams: a Claude Code turn can be megabytes.
    std::string upstream_body = std::exchange(request.body, {});
    http::Response upstream =
        co_await provider_.chat(std::move(upstream_body), request.upstream_model);
    if (request.stream)
      co_await stream(exchange, request, std::move(upstream), log);
    else
      co_await reply(exchange, request, std::move(upstream), log);
  } catch (const upstream::Failure& failure) {
    failed = client_error_for(failure);
  }
  if (failed) co_await respond_error(exchange, log, *failed);
}

asio::awaitable<void> Door::reply(http::Exchange& exchange,
                                  const translate::TranslatedRequest& request,
                                  http::Response upstream, http::RequestLog& log) const {
  const std::string text = co_await upstream::read_answer(upstream, settings_.max_response_size);
  boost::system::error_code ec;
  translate::JsonArena arena;  // one block for a usual answer, not an allocation per node
  json::value answer = json::parse(text, ec, &arena, depth_limited(settings_.max_json_depth));
  if (ec == json::error::too_deep)
    throw upstream::Failure(upstream::Failure::Kind::protocol, upstream.status(),
                            fmt::format("the answer nests deeper than MAX_JSON_DEPTH ({} levels)",
                                        settings_.max_json_depth));
  if (ec)
    throw upstream::Failure(upstream::Failure::Kind::protocol, upstream.status(),
                            fmt::format("the response is not JSON ({}): {}", ec.message(),
                                        openai::error_message_from_body(text)));

  json::object message;
  try {
    message = translate::to_anthropic_message(
        answer, {.client_model = request.client_model, .stop_sequences = request.stop_sequences});
  } catch (const translate::InvalidUpstreamResponse& invalid) {
    throw upstream::Failure(upstream::Failure::Kind::protocol, upstream.status(), invalid.what());
  }
  const json::value* usage = answer.is_object() ? answer.as_object().if_contains("usage") : nullptr;
  summarize(log, request, translate::usage_from_openai(usage));
  log.mark_first_byte();
  co_await exchange.respond(http::Status::ok, json::serialize(message), "application/json",
                            response_fields(log));
}

asio::awaitable<void> Door::stream(http::Exchange& exchange,
                                   const translate::TranslatedRequest& request,
                                   http::Response upstream, http::RequestLog& log) const {
  // Nothing is committed to the client before the answer is known to be an event stream: an
  // HTML page or a JSON body is a 502, not a 200 stream that ends in an error event.
  std::string first_bytes = co_await expect_event_stream(upstream, settings_.max_line_size);
  translate::StreamTranslator translator(
      {.client_model = request.client_model, .stop_sequences = request.stop_sequences});
  http::Fields fields = response_fields(log);
  fields.set(boost::beast::http::field::cache_control, "no-cache");
  // The relay writes message_start at once: head and event leave in one write.
  co_await exchange.begin_stream(http::Status::ok, "text/event-stream", std::move(fields),
                                 http::Exchange::HeadWrite::with_first_chunk);
  const RelayLimits limits{.ping_interval = settings_.ping_interval,
                           .max_line_size = settings_.max_line_size,
                           .max_json_depth = settings_.max_json_depth};
  co_await relay_stream(exchange, std::move(upstream), std::move(first_bytes), translator, limits,
                        log);
  summarize(log, request, translator.usage());
}

asio::awaitable<void> Door::count_tokens(http::Exchange& exchange, http::RequestLog& log) const {
  std::string error;
  translate::JsonArena arena;
  auto body = parse_body(exchange.request().body(), &arena, settings_.max_json_depth, error);
  if (body) {
    try {
      translate::validate_count_tokens_request(*body);
    } catch (const translate::InvalidRequest& invalid) {
      error = invalid.what();
    }
  }
  if (!error.empty()) co_return co_await reject(exchange, log, std::move(error));
  const auto tokens = translate::estimate_input_tokens(*body);
  log.summary = fmt::format("estimate={}", tokens);
  json::object answer;
  answer["input_tokens"] = tokens;
  co_await exchange.respond(http::Status::ok, json::serialize(answer), "application/json",
                            response_fields(log));
}

}  // namespace ccgate::proxy
