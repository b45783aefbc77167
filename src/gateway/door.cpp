#include "gateway/door.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <ctime>

#include "claude/launch.hpp"
#include "gateway/init_check.hpp"
#include "http/auth.hpp"
#include "openai/chunks.hpp"
#include "openai/errors.hpp"
#include "translate/cli_input.hpp"
#include "translate/cli_stream.hpp"
#include "translate/ids.hpp"
#include "translate/json_access.hpp"

namespace ccgate::gateway {
namespace asio = boost::asio;
namespace json = boost::json;
using namespace asio::experimental::awaitable_operators;
using translate::TurnEnd;

namespace {

http::Fields request_id_fields(const http::RequestLog& log) {
  http::Fields fields;
  fields.set("x-request-id", log.id);
  return fields;
}

struct OpenAiError {
  int status;
  std::string message;
  std::string type;
  std::string param;
  std::string code;
};

asio::awaitable<void> respond_error(http::Exchange& exchange, const http::RequestLog& log,
                                    const OpenAiError& error) {
  const std::string type =
      error.type.empty() ? std::string(openai::error_type_for_status(error.status)) : error.type;
  co_await exchange.respond(static_cast<http::Status>(error.status),
                            openai::error_body(error.message, type, error.param, error.code),
                            "application/json", request_id_fields(log));
}

// The role:"tool" messages at the end of the conversation: the results of the last turn's calls.
std::vector<const openai::Message*> trailing_tool_results(const openai::ChatRequest& request) {
  std::vector<const openai::Message*> results;
  for (auto it = request.messages.rbegin();
       it != request.messages.rend() && it->role == openai::Role::tool; ++it)
    results.insert(results.begin(), &*it);
  return results;
}

std::string combined_system_prompt(const Settings& settings, const openai::ChatRequest& request) {
  std::string prompt = settings.system_prompt;
  const std::string client = translate::system_prompt(request);
  if (!client.empty()) prompt += (prompt.empty() ? "" : "\n\n") + client;
  return prompt;
}

// The conversation as the client will send it back: this request's messages and the reply.
std::string digest_after_reply(const openai::ChatRequest& request,
                               const translate::CliStreamTranslator& translator) {
  auto messages = request.messages;
  openai::Message reply;
  reply.role = openai::Role::assistant;
  if (!translator.content().empty())
    reply.content.push_back(openai::TextPart{translator.content()});
  for (const auto& call : translator.tool_calls())
    reply.tool_calls.push_back({call.id, call.client_name, call.arguments});
  messages.push_back(std::move(reply));
  return conversation_digest(messages, messages.size());
}

// Reads the CLI's output up to the end of its turn, so the session is ready for the next one.
asio::awaitable<void> drain_to_result(std::shared_ptr<Session> session) {
  co_await session->skip_to_turn_end();
  session->end_turn();
}

}  // namespace

Door::Door(Settings settings)
    : settings_(std::move(settings)),
      tools_(settings_.tool_cache_ttl),
      sessions_(settings_, loop_.get_executor(), tool_calls_),
      gateway_backend_(sessions_, tool_calls_, settings_),
      approval_backend_(sessions_),
      gateway_endpoint_({"ccgate-gateway", CCGATE_VERSION, settings_.keepalive}, gateway_backend_),
      auth_endpoint_({"ccgate-auth", CCGATE_VERSION, settings_.keepalive}, approval_backend_),
      sweep_timer_(loop_) {
  asio::co_spawn(loop_, sweep_loop(), asio::detached);
  thread_ = std::jthread([this] { loop_.run(); });
}

Door::~Door() {
  sessions_.end_all();
  asio::post(loop_, [this] {
    stopping_ = true;
    sweep_timer_.cancel();
  });
  thread_.join();  // returns once every session's process is reaped and its dir removed
}

asio::awaitable<void> Door::sweep_loop() {
  const auto period =
      std::clamp(settings_.session_idle_timeout / 4, std::chrono::milliseconds(1000),
                 std::chrono::milliseconds(30'000));
  while (!stopping_) {
    sweep_timer_.expires_after(period);
    boost::system::error_code ec;
    co_await sweep_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    (void)ec;
    if (stopping_) break;
    if (const auto ended = sessions_.sweep_idle())
      spdlog::info("ended {} idle session(s) (SESSION_IDLE_TIMEOUT)", ended);
    tools_.sweep();
  }
}

asio::awaitable<void> Door::mcp(http::Exchange& exchange, std::string_view server,
                                std::string_view session_id) {
  if (server == "gateway") co_return co_await gateway_endpoint_.handle(exchange, session_id);
  if (server == "auth") co_return co_await auth_endpoint_.handle(exchange, session_id);
  co_await exchange.respond(http::Status::not_found, R"({"error":"no such MCP server"})");
}

asio::awaitable<void> Door::chat_completions(http::Exchange& exchange, http::RequestLog& log) {
  if (!settings_.api_key.empty() &&
      !http::constant_time_equals(http::bearer_token(exchange), settings_.api_key)) {
    const OpenAiError error{401,
                            "Incorrect API key provided: this ccgate expects its GATEWAY_API_KEY.",
                            "invalid_request_error", "", "invalid_api_key"};
    co_return co_await respond_error(exchange, log, error);
  }

  std::optional<OpenAiError> rejected;
  openai::ChatRequest request;
  try {
    boost::system::error_code ec;
    const auto body = json::parse(exchange.request().body(), ec);
    if (ec)
      throw openai::InvalidRequest(
          fmt::format("We could not parse the JSON body of your request ({}).", ec.message()), "");
    if (!translate::numbers_are_finite(body))  // would reach the CLI as `Infinity`
      throw openai::InvalidRequest(
          "We could not parse the JSON body of your request (a number is too large for a double).",
          "");
    request = openai::parse_chat_request(body);
  } catch (const openai::InvalidRequest& invalid) {
    rejected =
        OpenAiError{400, invalid.what(), "invalid_request_error", invalid.param(), invalid.code()};
  }
  if (rejected) co_return co_await respond_error(exchange, log, *rejected);
  log.summary = fmt::format("{} → claude", request.model);

  const auto tools = tools_.register_tools(request.tools);
  std::shared_ptr<Session> session;
  const auto results = trailing_tool_results(request);
  if (!results.empty()) {
    session = sessions_.find_by_tool_call(results.front()->tool_call_id);
    if (!session || session->expired()) {
      rejected =
          OpenAiError{404,
                      fmt::format("tool_call_id '{}' does not belong to a live conversation: "
                                  "it is unknown, or its tool call expired (results must "
                                  "arrive within TOOL_CALL_TIMEOUT)",
                                  results.front()->tool_call_id),
                      "invalid_request_error", "messages", "tool_call_not_found"};
    } else if (!session->try_begin_turn()) {
      rejected = OpenAiError{409, "this conversation is busy with another request", "", "", ""};
    } else {
      for (const auto* result : results) {
        if (!session->expects(result->tool_call_id)) continue;
        session->tool_call_answered(result->tool_call_id);
        tool_calls_.deliver(session->id(), result->tool_call_id,
                            mcp::CallResult{openai::text_of(*result), false});
      }
    }
  } else {
    const std::string system_prompt = combined_system_prompt(settings_, request);
    session = sessions_.find_by_conversation(request, *tools, system_prompt);
    std::size_t known = 0;
    if (session && session->try_begin_turn()) {
      known = session->known_messages();
    } else {
      session = nullptr;
      try {
        const auto cli =
            claude::find_cli(settings_.cli_path, claude::project_root_of("/proc/self/exe"));
        if (!cli) throw std::runtime_error(cli.error);
        claude::LaunchSettings launch;
        launch.cli_path = cli.path;
        launch.effort = translate::effort_for(request.reasoning_effort.value_or("")).value_or("");
        launch.base_url = settings_.cli_base_url;
        launch.api_key = settings_.cli_api_key;
        launch.mcp_tool_timeout = settings_.tool_call_timeout + std::chrono::seconds(30);
        Session::Identity identity{translate::random_id(""), translate::random_id(""),
                                   request.model, system_prompt, tools};
        launch.mcp_config = mcp_config_json(settings_.mcp_base_url, identity.id, identity.secret,
                                            settings_.tool_call_timeout);
        session = sessions_.start(std::move(identity), std::move(launch));
        session->try_begin_turn();
      } catch (const TooManySessions& full) {
        rejected = OpenAiError{429, full.what(), "rate_limit_error", "", "too_many_sessions"};
      } catch (const std::exception& failed) {
        rejected = OpenAiError{503, fmt::format("Claude Code cannot start: {}", failed.what()),
                               "server_error", "", "claude_code_unavailable"};
      }
    }
    if (session) {
      const auto turn = translate::cli_turn(request, tools->names, known);
      session->set_tools_allowed(turn.offer_tools);
      try {
        co_await session->write(turn.line);
      } catch (const std::exception& failed) {
        sessions_.end(session);
        session = nullptr;
        rejected =
            OpenAiError{503, fmt::format("Claude Code stopped accepting input: {}", failed.what()),
                        "server_error", "", "claude_code_unavailable"};
      }
    }
  }
  if (rejected) co_return co_await respond_error(exchange, log, *rejected);
  log.summary = fmt::format("{} → claude session {}", request.model, session->id().substr(0, 8));
  co_await run_turn(exchange, log, request, std::move(session));
}

asio::awaitable<void> Door::run_turn(http::Exchange& exchange, http::RequestLog& log,
                                     const openai::ChatRequest& request,
                                     std::shared_ptr<Session> session) {
  const auto settings = translate::run_settings(request);
  translate::CliStreamTranslator translator(
      {.id = translate::unique_id("chatcmpl-"),
       .model = request.model,
       .created = static_cast<std::int64_t>(std::time(nullptr)),
       .stream = request.stream,
       .include_reasoning = settings_.include_reasoning,
       .include_usage = request.include_usage,
       .tools = session->tools().names,
       .stop = settings.stop,
       .max_tokens = settings.max_tokens});
  // A client that leaves mid-turn ends the conversation: nothing is left running for nobody.
  class EndIfAbandoned {
   public:
    EndIfAbandoned(SessionManager& sessions, std::shared_ptr<Session> session)
        : sessions_(sessions), session_(std::move(session)) {}
    ~EndIfAbandoned() {
      if (!done) sessions_.end(session_);
    }
    bool done = false;

   private:
    SessionManager& sessions_;
    std::shared_ptr<Session> session_;
  };
  EndIfAbandoned guard(sessions_, session);

  std::string out;
  bool stream_begun = false;
  auto begin_stream = [&]() -> asio::awaitable<void> {
    if (stream_begun) co_return;
    stream_begun = true;
    http::Fields fields = request_id_fields(log);
    fields.set(boost::beast::http::field::cache_control, "no-cache");
    co_await exchange.begin_stream(http::Status::ok, "text/event-stream", std::move(fields));
  };

  std::optional<TurnEnd> end;
  bool saw_init = false;
  asio::steady_timer keepalive(co_await asio::this_coro::executor);
  while (!end) {
    keepalive.expires_after(settings_.keepalive);
    // as_tuple: the timer, cancelled whenever a line comes first, must not throw (an exception
    // per line costs more than the whole translation).
    auto next = co_await (session->next_line() ||
                          keepalive.async_wait(asio::as_tuple(asio::use_awaitable)));
    if (next.index() == 1) {
      if (request.stream) {
        co_await begin_stream();
        co_await exchange.write(": keepalive\n\n");
      }
      continue;
    }
    auto line = std::get<0>(std::move(next));
    if (!line) {
      end = translator.end_without_result(saw_init ? "Claude Code exited in the middle of the turn"
                                                   : "Claude Code exited before it started");
      if (!saw_init) end->status = 503;
      break;
    }
    boost::system::error_code ec;
    auto parsed = json::parse(*line, ec);
    if (ec || !parsed.is_object()) continue;
    const auto& object = parsed.as_object();
    if (is_init_line(object)) {
      saw_init = true;
      if (auto problem = init_problem(object, session->tools())) {
        end = TurnEnd{TurnEnd::Kind::error, 503, *problem};
        break;
      }
      continue;
    }
    end = translator.on_line(object, out);
    if (request.stream && !out.empty()) {
      co_await begin_stream();
      log.mark_first_byte();
      co_await exchange.write(out);
      out.clear();
    }
  }

  guard.done = true;
  switch (end->kind) {
    case TurnEnd::Kind::tool_calls: {
      std::vector<std::string> ids;
      for (const auto& call : translator.tool_calls()) ids.push_back(call.id);
      session->expect_tool_calls(ids);
      session->remember_conversation(request.messages.size() + 1,
                                     digest_after_reply(request, translator));
      session->end_turn();
      break;
    }
    case TurnEnd::Kind::stop:
    case TurnEnd::Kind::length:
      session->remember_conversation(request.messages.size() + 1,
                                     digest_after_reply(request, translator));
      if (translator.ended_before_cli()) {
        session->interrupt();
        const auto executor = co_await asio::this_coro::executor;
        auto drain = drain_to_result(session);
        asio::co_spawn(executor, std::move(drain), asio::detached);
      } else {
        session->end_turn();
      }
      break;
    case TurnEnd::Kind::error:
      sessions_.end(session);
      break;
  }
  const auto usage = translator.usage();
  log.summary += fmt::format(" {} in={} out={}", translate::finish_reason_for(end->kind),
                             usage.prompt_tokens, usage.completion_tokens);

  if (!request.stream || (end->kind == TurnEnd::Kind::error && !stream_begun)) {
    const auto status = end->kind == TurnEnd::Kind::error ? static_cast<http::Status>(end->status)
                                                          : http::Status::ok;
    std::string body = json::serialize(translator.completion(*end));
    http::Fields fields = request_id_fields(log);
    log.mark_first_byte();
    co_return co_await exchange.respond(status, std::move(body), "application/json",
                                        std::move(fields));
  }
  translator.finish(*end, out);
  co_await begin_stream();
  co_await exchange.write(out);
  co_await exchange.end_stream();
}

}  // namespace ccgate::gateway
