#include "proxy/door.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>

#include "anthropic/errors.hpp"
#include "openai/errors.hpp"
#include "proxy/errors.hpp"
#include "proxy/stream_relay.hpp"
#include "translate/json_access.hpp"
#include "translate/json_arena.hpp"
#include "translate/response.hpp"
#include "translate/route_traits.hpp"
#include "translate/token_estimate.hpp"

namespace ccgate::proxy {
namespace json = boost::json;

namespace {

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

// Who answered: "provider/model" (on errors, the last target tried).
constexpr std::string_view kUpstreamHeader = "x-ccgate-upstream";

void note_usage(http::RequestLog& log, const translate::Usage& usage) {
  log.tokens_in = usage.input_tokens + usage.cache_read_input_tokens;
  log.tokens_out = usage.output_tokens;
}

// A 400 invalid_request_error. (The ClientError is a named local: GCC 12 mishandles braced
// temporaries inside co_await expressions.)
asio::awaitable<void> reject(http::Exchange& exchange, std::string message) {
  const ClientError error{400, std::move(message), {}};
  co_await respond_error(exchange, error);
}

void count_tokens_used(const metrics::Instruments& metrics, std::string_view provider,
                       std::string_view model, const translate::Usage& usage) {
  if (!usage.present) return;
  const auto add = [&](std::string_view kind, std::int64_t tokens) {
    if (tokens > 0)
      metrics.tokens.with({provider, model, kind}).inc(static_cast<std::uint64_t>(tokens));
  };
  add("in", usage.input_tokens);
  add("out", usage.output_tokens);
  add("cache_read", usage.cache_read_input_tokens);
}

// An event stream being written, for the open-streams gauge.
class OpenStream {
 public:
  explicit OpenStream(metrics::Gauge& gauge) : gauge_(gauge) { gauge_.inc(); }
  OpenStream(const OpenStream&) = delete;
  OpenStream& operator=(const OpenStream&) = delete;
  ~OpenStream() { gauge_.dec(); }

 private:
  metrics::Gauge& gauge_;
};

routing::Decision decide(const routing::Catalog& catalog, const translate::RouteTraits& traits,
                         const json::value& body) {
  std::optional<std::int64_t> tokens;
  if (routing::needs_token_estimate(catalog)) tokens = translate::estimate_input_tokens(body);
  return routing::decide(catalog, traits, tokens);
}

// Why a target is passed over without being tried: at its cap, or (when another target waits)
// every key cooling down. nullopt: try it.
std::optional<upstream::Failure> reason_to_skip(const routing::Provider& provider,
                                                routing::ProviderState& state,
                                                const upstream::ConcurrencyCap::Permit& slot,
                                                bool can_fall_back) {
  if (!slot)
    return upstream::Failure(
        upstream::Failure::Kind::unavailable, 0,
        fmt::format("the provider {} is at its max_concurrent ({} requests in flight)",
                    provider.name, state.cap.cap()));
  if (can_fall_back && state.keys.usable() == 0)
    return upstream::Failure(
        upstream::Failure::Kind::status, 429,
        fmt::format("every key of the provider {} is cooling down or refused", provider.name));
  return std::nullopt;
}

}  // namespace

struct Door::Answer {
  translate::TranslatedRequest request;   // its body already sent
  std::string target;                     // "provider/model"
  upstream::ConcurrencyCap::Permit slot;  // held until the answer is delivered
  std::optional<http::Response> upstream;
  std::string first_bytes;  // streaming: what was read while checking for an event stream
  std::string message;      // not streaming: the Anthropic message, serialized
  translate::Usage usage;   // not streaming
};

struct Door::Attempts {
  std::string_view request_id;  // sent upstream as x-request-id with every attempt
  std::string client_model;
  std::string_view provider;  // the target tried (or passed over) last, for the metrics
  std::string_view model;
  std::string last_target;  // the last one tried, named in an error's x-ccgate-upstream
  std::string passed;       // "openai/gpt-4o: HTTP 429, …": the targets passed over, for the log
  std::optional<upstream::Failure> failure;  // the last target's

  void passed_over(std::string target, const upstream::Failure& why) {
    if (!passed.empty()) passed += ", ";
    fmt::format_to(std::back_inserter(passed), "{}: {}", target, reason(why));
    last_target = std::move(target);
    failure = why;
  }

  // What the log line says of the routing: model, target, route and what was passed over.
  void note(http::RequestLog& log, std::string_view target, std::string_view route) const {
    log.model = client_model;
    log.target = target;
    log.route = route;
    log.passed_over = passed;
  }

  // The log names an error status itself; every other reason in the metrics' words.
  static std::string reason(const upstream::Failure& failure) {
    if (failure.kind() == upstream::Failure::Kind::status && !failure.context_too_long())
      return fmt::format("HTTP {}", failure.upstream_status());
    return std::string(upstream::metric_reason(failure));
  }
};

// What one request tells the metrics when it ends, however it ends: a client that leaves
// cancels the handler, and the destructor still runs.
class Door::Outcome {
 public:
  // route: the routing route; attempts: the provider and model tried last (both read when the
  // request ends, so a request cancelled midway is counted with what it had reached).
  Outcome(const metrics::Instruments& metrics, const http::Exchange& exchange,
          const http::RequestLog& log, const std::string_view& route, const Attempts* attempts)
      : metrics_(metrics), exchange_(exchange), log_(log), route_(route), attempts_(attempts) {}
  Outcome(const Outcome&) = delete;
  Outcome& operator=(const Outcome&) = delete;

  std::string stream_error;  // the error event a stream that broke ended with

  ~Outcome() {
    const auto now = http::RequestLog::Clock::now();
    const bool started = exchange_.response_started();
    const int status = started ? static_cast<int>(exchange_.status()) : 499;
    std::string_view error_type;
    if (!exchange_.response_finished())
      error_type = "client_closed";
    else if (status >= 400)
      error_type = anthropic::error_type_for_status(status);
    else
      error_type = stream_error;
    const std::string_view provider = attempts_ ? attempts_->provider : std::string_view();
    const std::string_view model = attempts_ ? attempts_->model : std::string_view();
    metrics_.requests
        .with({"proxy", route_, provider, model, metrics::status_class(status), error_type})
        .inc();
    metrics_.request_duration.with({"proxy", provider}).observe(now - log_.started);
    if (started)
      metrics_.time_to_first_byte.with({"proxy", provider})
          .observe(log_.first_byte.value_or(now) - log_.started);
  }

 private:
  const metrics::Instruments& metrics_;
  const http::Exchange& exchange_;
  const http::RequestLog& log_;
  const std::string_view& route_;
  const Attempts* attempts_;
};

asio::awaitable<void> Door::messages(http::Exchange& exchange, http::RequestLog& log) const {
  // The request keeps the catalog it started with, whatever a reload does meanwhile.
  const std::shared_ptr<const routing::LiveCatalog> live = catalogs_.current();
  std::string error;
  std::optional<Answer> answer;
  Attempts attempts{.request_id = exchange.request_id()};
  routing::Decision decision;
  Outcome outcome(metrics_, exchange, log, decision.route, &attempts);
  {
    // The parsed request lives in one arena: a large Claude Code turn then costs no allocation
    // per JSON node. It is kept while a target may still fail over to the next (each target
    // gets its own translation) and freed before the answer is relayed.
    translate::JsonArena arena;
    auto body = parse_body(exchange.request().body(), &arena, settings_.max_json_depth, error);
    if (body) {
      const translate::RouteTraits traits = translate::route_traits(*body);
      attempts.client_model = traits.model;
      decision = decide(live->catalog(), traits, *body);
      try {
        answer = co_await first_good_answer(*live, decision, *body,
                                            exchange.request().body().size(), attempts);
      } catch (const translate::InvalidRequest& invalid) {
        error = invalid.what();
      }
    }
  }
  if (!error.empty()) co_return co_await reject(exchange, std::move(error));
  exchange.discard_request_body();
  if (!answer) {
    attempts.note(log, attempts.last_target, decision.route);
    http::Fields fields;
    if (!attempts.last_target.empty()) fields.set(kUpstreamHeader, attempts.last_target);
    const ClientError failed = client_error_for(*attempts.failure);
    co_return co_await respond_error(exchange, failed, std::move(fields));
  }
  attempts.note(log, answer->target, decision.route);
  http::Fields fields;
  fields.set(kUpstreamHeader, answer->target);
  if (answer->request.stream) {
    fields.set(boost::beast::http::field::cache_control, "no-cache");
    // The relay writes message_start at once: head and event leave in one write.
    co_await exchange.begin_stream(http::Status::ok, "text/event-stream", std::move(fields),
                                   http::Exchange::HeadWrite::with_first_chunk);
    translate::StreamTranslator translator({.client_model = answer->request.client_model,
                                            .stop_sequences = answer->request.stop_sequences});
    const RelayLimits limits{.ping_interval = settings_.ping_interval,
                             .max_line_size = settings_.max_line_size,
                             .max_json_depth = settings_.max_json_depth};
    {
      const OpenStream open(open_streams_);
      co_await relay_stream(exchange, std::move(*answer->upstream), std::move(answer->first_bytes),
                            translator, limits, log);
    }
    outcome.stream_error = translator.error_type();
    note_usage(log, translator.usage());
    count_tokens_used(metrics_, attempts.provider, attempts.model, translator.usage());
    co_return;
  }
  note_usage(log, answer->usage);
  count_tokens_used(metrics_, attempts.provider, attempts.model, answer->usage);
  log.mark_first_byte();
  co_await exchange.respond(http::Status::ok, std::move(answer->message), "application/json",
                            std::move(fields));
}

asio::awaitable<std::optional<Door::Answer>> Door::first_good_answer(
    const routing::LiveCatalog& live, const routing::Decision& decision, const json::value& body,
    std::size_t body_size, Attempts& attempts) const {
  const routing::Catalog& catalog = live.catalog();
  if (decision.chain.empty())
    throw translate::InvalidRequest(fmt::format(
        "model: no route serves \"{}\" (routes.default is not set)", attempts.client_model));
  std::string_view fell_back_because;  // why the previous target was passed over
  for (std::size_t i = 0; i < decision.chain.size(); ++i) {
    const routing::Target& target = decision.chain[i];
    const routing::Provider& provider = catalog.providers[target.provider];
    routing::ProviderState& state = live.state(target.provider);
    const bool can_fall_back = i + 1 < decision.chain.size();
    if (!fell_back_because.empty())
      metrics_.fallbacks.with({attempts.provider, provider.name, fell_back_because}).inc();
    attempts.provider = provider.name;
    attempts.model = target.model;
    std::string name = routing::target_name(catalog, target);
    upstream::ConcurrencyCap::Permit slot = state.cap.try_permit();
    if (auto skip = reason_to_skip(provider, state, slot, can_fall_back)) {
      attempts.passed_over(std::move(name), *skip);
      fell_back_because = slot ? "keys_cooling" : "at_capacity";
      continue;
    }
    Answer answer{
        .request = translate::to_openai_request(
            body, settings_.translation,
            {.name = target.model, .quirks = provider.quirks_for(target.model)}, body_size),
        .target = std::move(name),
        .slot = std::move(slot)};
    try {
      const upstream::Provider sender(provider.name, provider.settings, state.keys, client_,
                                      &metrics_);
      answer.upstream.emplace(co_await sender.chat(std::exchange(answer.request.body, {}),
                                                   answer.request.upstream_model, can_fall_back,
                                                   attempts.request_id));
      // Nothing is committed to the client before the answer is known to be good: an HTML page
      // or a JSON body is a 502 (or the next target), not a 200 stream ending in an error.
      if (answer.request.stream)
        answer.first_bytes =
            co_await expect_event_stream(*answer.upstream, settings_.max_line_size);
      else
        answer.message = co_await translated_reply(*answer.upstream, answer.request, answer.usage);
      co_return answer;
    } catch (const upstream::Failure& failure) {
      attempts.passed_over(std::move(answer.target), failure);
      fell_back_because = upstream::metric_reason(failure);
      if (!upstream::worth_another_target(failure)) break;
    }
  }
  co_return std::nullopt;
}

asio::awaitable<std::string> Door::translated_reply(http::Response& upstream,
                                                    const translate::TranslatedRequest& request,
                                                    translate::Usage& usage) const {
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
  try {
    json::object message = translate::to_anthropic_message(
        answer, {.client_model = request.client_model, .stop_sequences = request.stop_sequences});
    const json::value* used =
        answer.is_object() ? answer.as_object().if_contains("usage") : nullptr;
    usage = translate::usage_from_openai(used);
    co_return json::serialize(message);
  } catch (const translate::InvalidUpstreamResponse& invalid) {
    throw upstream::Failure(upstream::Failure::Kind::protocol, upstream.status(), invalid.what());
  }
}

asio::awaitable<void> Door::count_tokens(http::Exchange& exchange, http::RequestLog& log) const {
  static constexpr std::string_view kRoute = "count_tokens";  // answered here: no routing
  const Outcome outcome(metrics_, exchange, log, kRoute, nullptr);
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
  if (!error.empty()) co_return co_await reject(exchange, std::move(error));
  const auto tokens = translate::estimate_input_tokens(*body);
  log.estimate = tokens;
  json::object answer;
  answer["input_tokens"] = tokens;
  co_await exchange.respond(http::Status::ok, json::serialize(answer), "application/json");
}

}  // namespace ccgate::proxy
