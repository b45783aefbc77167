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
#include <boost/beast/core/string.hpp>
#include <boost/json.hpp>
#include <ctime>
#include <utility>

#include "claude/launch.hpp"
#include "gateway/init_check.hpp"
#include "http/auth.hpp"
#include "openai/chunks.hpp"
#include "openai/errors.hpp"
#include "translate/cli_input.hpp"
#include "translate/cli_stream.hpp"
#include "translate/ids.hpp"

namespace ccgate::gateway {
namespace asio = boost::asio;
namespace json = boost::json;
using namespace asio::experimental::awaitable_operators;
using translate::TurnEnd;

namespace {

struct OpenAiError {
  int status;
  std::string message;
  std::string type;
  std::string param;
  std::string code;
  std::optional<std::chrono::seconds> retry_after{};
};

asio::awaitable<void> respond_error(http::Exchange& exchange, const OpenAiError& error) {
  const std::string type =
      error.type.empty() ? std::string(openai::error_type_for_status(error.status)) : error.type;
  http::Fields fields;
  if (error.retry_after)
    fields.set(boost::beast::http::field::retry_after, std::to_string(error.retry_after->count()));
  co_await exchange.respond(static_cast<http::Status>(error.status),
                            openai::error_body(error.message, type, error.param, error.code),
                            "application/json", std::move(fields));
}

// Streams show the server-side tool calls as reasoning text when this header says true (or,
// without it, when the client's key says so: gateway: client_keys: tool_activity:).
constexpr std::string_view kToolActivityHeader = "x-ccgate-tool-activity";

// Nullopt for a header value that is neither true nor false.
std::optional<bool> tool_activity_asked(const http::Exchange& exchange, const ClientKey* client) {
  const std::string_view value = exchange.header(kToolActivityHeader);
  if (value.empty()) return client != nullptr && client->tool_activity;
  if (boost::beast::iequals(value, "true")) return true;
  if (boost::beast::iequals(value, "false")) return false;
  return std::nullopt;
}

// When every session is busy, how long a client should wait before it tries again: turns
// usually take seconds, and the SDKs' automatic retries honour it.
constexpr std::chrono::seconds kBusyRetryAfter{5};

std::string seconds_text(std::chrono::milliseconds duration) {
  return fmt::format("{:g} s", std::chrono::duration<double>(duration).count());
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

// A new session's identity (fresh id and MCP secret) and how its CLI is launched.
struct SessionPlan {
  Session::Identity identity;
  claude::LaunchSettings launch;
};

SessionPlan plan_session(const Settings& settings, const LaunchKey& key,
                         std::shared_ptr<const ToolSet> tools,
                         std::vector<OperatorMcpServer> mcp_servers) {
  SessionPlan plan{
      .identity = {translate::random_id(""), translate::random_id(""), key.model, key.system_prompt,
                   std::move(tools), std::move(mcp_servers)},
  };
  auto& launch = plan.launch;
  launch.cli_path = key.cli_path;
  launch.effort = key.effort;
  launch.base_url = settings.cli_base_url;
  launch.api_key = settings.cli_api_key;
  launch.mcp_tool_timeout = settings.tool_call_timeout + std::chrono::seconds(30);
  launch.mcp_start_timeout = settings.mcp_start_timeout;
  launch.mcp_config = mcp_config_json(settings.mcp_base_url, plan.identity.id, plan.identity.secret,
                                      settings.tool_call_timeout, plan.identity.mcp_servers);
  return plan;
}

}  // namespace

// A client that leaves before it has the whole reply ends the conversation: nothing is left
// running (or waiting for tool results) for nobody.
class Door::TurnGuard {
 public:
  TurnGuard(SessionManager& sessions, std::shared_ptr<Session> session)
      : sessions_(sessions), session_(std::move(session)) {}
  ~TurnGuard() {
    if (!kept_) sessions_.end(session_);
  }
  TurnGuard(const TurnGuard&) = delete;
  TurnGuard& operator=(const TurnGuard&) = delete;

  const std::shared_ptr<Session>& session() const { return session_; }
  // The client has the whole reply: the conversation may go on.
  void keep() { kept_ = true; }

 private:
  SessionManager& sessions_;
  std::shared_ptr<Session> session_;
  bool kept_ = false;
};

Door::Door(Settings settings, const metrics::Instruments& instruments)
    : settings_(std::move(settings)),
      instruments_(instruments),
      client_keys_(settings_.extensions.operator_mcp.client_keys),
      tools_(settings_.tool_cache_ttl),
      sessions_(settings_, loop_.get_executor(), tool_calls_),
      gateway_backend_(sessions_, tool_calls_, settings_),
      approval_backend_(sessions_),
      gateway_endpoint_({"ccgate-gateway", CCGATE_VERSION, settings_.keepalive,
                         settings_.max_json_depth + translate::kCliEnvelopeDepth},
                        gateway_backend_),
      auth_endpoint_({"ccgate-auth", CCGATE_VERSION, settings_.keepalive,
                      settings_.max_json_depth + translate::kCliEnvelopeDepth},
                     approval_backend_),
      sweep_timer_(loop_) {
  asio::co_spawn(loop_, sweep_loop(), asio::detached);
  thread_ = std::jthread([this] { loop_.run(); });
}

Door::~Door() {
  sessions_.begin_shutdown();
  sessions_.end_all();
  asio::post(loop_, [this] {
    stopping_ = true;
    sweep_timer_.cancel();
  });
  thread_.join();  // returns once every session's process is reaped and its dir removed
}

void Door::begin_shutdown() {
  sessions_.begin_shutdown();
}

void Door::release_turn(const std::shared_ptr<Session>& session) {
  if (session->end_turn() || sessions_.shutting_down()) sessions_.end(session);
}

asio::awaitable<bool> Door::interrupt_turn(const std::shared_ptr<Session>& session) {
  auto end = Session::TurnEnd::ended;
  try {
    co_await session->interrupt();
    end = co_await session->skip_to_turn_end(settings_.interrupt_timeout);
  } catch (const boost::system::system_error& error) {
    if (error.code() == asio::error::operation_aborted) throw;  // the client left
    spdlog::debug("session {}: interrupting claude failed: {}", session->id().substr(0, 8),
                  error.what());
  }
  if (end == Session::TurnEnd::timed_out)
    spdlog::warn(
        "session {}: Claude Code did not end its interrupted turn within INTERRUPT_TIMEOUT ({}); "
        "ending it",
        session->id().substr(0, 8), seconds_text(settings_.interrupt_timeout));
  co_return end == Session::TurnEnd::result;
}

asio::awaitable<void> Door::sweep_loop() {
  const auto shortest = settings_.spare_sessions > 0
                            ? std::min(settings_.session_idle_timeout, settings_.spare_idle_timeout)
                            : settings_.session_idle_timeout;
  const auto period =
      std::clamp(shortest / 4, std::chrono::milliseconds(1000), std::chrono::milliseconds(30'000));
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

// The client's key was checked by the app's admission, from the request head.
asio::awaitable<void> Door::chat_completions(http::Exchange& exchange, http::RequestLog& log) {
  std::optional<OpenAiError> rejected;
  openai::ChatRequest request;
  try {
    request = openai::parse_chat_request_body(exchange.request().body(), settings_.max_json_depth);
  } catch (const openai::InvalidRequest& invalid) {
    rejected =
        OpenAiError{400, invalid.what(), "invalid_request_error", invalid.param(), invalid.code()};
  }
  const ClientKey* client = client_keys_.identify(http::bearer_token(exchange));
  const auto tool_activity = tool_activity_asked(exchange, client);
  if (!rejected && !tool_activity)
    rejected = OpenAiError{400, fmt::format("{}: expected true or false", kToolActivityHeader),
                           "invalid_request_error", std::string(kToolActivityHeader), ""};
  if (rejected) co_return co_await respond_error(exchange, *rejected);
  log.model = request.model;
  log.target = "claude";

  std::shared_ptr<Session> session;
  std::function<void()> start_spare;
  const auto answers = translate::tool_results_of(request);
  if (!answers.results.empty()) {
    // The conversation is the one that handed out these tool calls, and no other.
    std::optional<std::string> owner;
    for (const auto* result : answers.results)
      if ((owner = tool_calls_.session_of(result->tool_call_id))) break;
    if (owner) session = sessions_.find(*owner);
    if (!session || session->expired()) {
      rejected =
          OpenAiError{404,
                      fmt::format("tool_call_id '{}' does not belong to a live conversation: "
                                  "it is unknown, or its tool call expired (results must "
                                  "arrive within TOOL_CALL_TIMEOUT)",
                                  answers.results.front()->tool_call_id),
                      "invalid_request_error", "messages", "tool_call_not_found"};
    } else if (!session->try_begin_turn()) {
      rejected = OpenAiError{409, "this conversation is busy with another request", "", "", ""};
    } else {
      session->set_tools_allowed(request.tool_choice.mode != openai::ToolChoice::Mode::none);
      // Messages after the results join the running turn (the CLI shows them to the model with
      // the results) only when written while the CLI runs its tools, before the results reach it;
      // written earlier, the CLI may keep them for a turn of their own. A fast client can answer
      // before the CLI's call comes, so wait for it (bounded like the call itself).
      if (answers.first_added < request.messages.size()) {
        const auto added =
            translate::cli_turn(request, session->tools().names, answers.first_added);
        try {
          if (!co_await tool_calls_.await_parked(session->id(), settings_.tool_call_timeout))
            spdlog::warn(
                "session {}: no tool call of it is waiting; the client's new messages "
                "may reach the model after this turn",
                session->id().substr(0, 8));
          co_await session->write(added.line);
          session->set_user_lines_in_flight(session->user_lines_in_flight() + 1);
        } catch (const std::exception& failed) {
          sessions_.end(session);
          session = nullptr;
          rejected = OpenAiError{
              503, fmt::format("Claude Code stopped accepting input: {}", failed.what()),
              "server_error", "", "claude_code_unavailable"};
        }
      }
      for (const auto* result : answers.results) {
        if (!session) break;
        tool_calls_.deliver(session->id(), result->tool_call_id,
                            mcp::CallResult{openai::text_of(*result), false});
      }
    }
  } else {
    const std::string system_prompt = combined_system_prompt(settings_, request);
    // Built, not cached: only an admitted request's tools are cached (below).
    const auto tools = tools_.tool_set(request.tools);
    auto mcp_servers = servers_for(settings_.extensions.operator_mcp, client, request.model);
    session =
        sessions_.find_by_conversation(request, *tools, system_prompt, server_names(mcp_servers));
    std::size_t known = 0;
    if (session && session->try_begin_turn()) {
      known = session->known_messages();
    } else {
      session = nullptr;
      const auto cli =
          claude::find_cli(settings_.cli_path, claude::project_root_of("/proc/self/exe"));
      if (!cli) {
        spdlog::warn("the Claude Code CLI was not found; tried {}", cli.tried);
        rejected = OpenAiError{503, fmt::format("Claude Code cannot start: {}", cli.error),
                               "server_error", "", "claude_code_unavailable"};
      } else {
        const LaunchKey key{
            .cli_path = cli.path.string(),
            .model = request.model,
            .effort = translate::effort_for(request.reasoning_effort.value_or("")).value_or(""),
            .system_prompt = system_prompt,
            .tools_signature = tools->signature,
            .mcp_servers = server_names(mcp_servers),
        };
        // Its first turn is begun: it is this request's.
        session = sessions_.adopt_spare(key);
        try {
          if (!session) {
            auto plan = plan_session(settings_, key, tools, mcp_servers);
            session = co_await sessions_.start(std::move(plan.identity), std::move(plan.launch));
          }
        } catch (const TooManySessions& full) {
          rejected = OpenAiError{.status = 429,
                                 .message = full.what(),
                                 .type = "rate_limit_error",
                                 .code = "too_many_sessions",
                                 .retry_after = kBusyRetryAfter};
        } catch (const ShuttingDown& closing) {
          rejected = OpenAiError{503, closing.what(), "server_error", "", "shutting_down"};
        } catch (const std::exception& failed) {
          // The reason names paths of this server: for its log, not for the client.
          spdlog::warn("Claude Code cannot start: {}", failed.what());
          rejected = OpenAiError{503, "Claude Code cannot start on this server; its log says why",
                                 "server_error", "", "claude_code_unavailable"};
        }
        // The next conversation like this one will find a CLI ready. Started once this one has
        // its first token: a CLI starting sooner would slow this one down (both want the CPU).
        if (session && settings_.spare_sessions > 0) {
          start_spare = [this, key, tools, mcp_servers] {
            auto spare = plan_session(settings_, key, tools, mcp_servers);
            sessions_.start_spare(key, std::move(spare.identity), std::move(spare.launch));
          };
        }
      }
    }
    if (session) {
      tools_.remember(tools);
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
  if (rejected) co_return co_await respond_error(exchange, *rejected);
  log.session = session->id().substr(0, 8);
  // From here on, whatever ends this request early (the client leaving, even before run_turn's
  // first line runs) ends the conversation.
  TurnGuard guard(sessions_, std::move(session));
  co_await run_turn(exchange, log, request, guard, std::move(start_spare), *tool_activity);
}

asio::awaitable<void> Door::run_turn(http::Exchange& exchange, http::RequestLog& log,
                                     const openai::ChatRequest& request, TurnGuard& guard,
                                     std::function<void()> first_token, bool tool_activity) {
  const std::shared_ptr<Session> session = guard.session();
  const auto settings = translate::run_settings(request);
  translate::CliStreamTranslator translator(
      {.id = translate::unique_id("chatcmpl-"),
       .model = request.model,
       .created = static_cast<std::int64_t>(std::time(nullptr)),
       .stream = request.stream,
       .include_reasoning = settings_.include_reasoning,
       .include_usage = request.include_usage,
       .tools = session->tools().names,
       .client_tools = request.tool_choice.mode != openai::ToolChoice::Mode::none,
       .make_call_id = translate::random_id,
       .user_lines_in_flight = session->user_lines_in_flight(),
       .stop = settings.stop,
       .max_tokens = settings.max_tokens,
       .tool_activity = tool_activity,
       .server_tools_in_flight = session->server_tools_in_flight()});
  const auto& mcp_servers = session->identity().mcp_servers;
  // The operator's servers connect when the CLI starts, and its first turn's init line says
  // whether they did (the CLI waits up to MCP_SERVER_START_TIMEOUT for them): no keep-alive
  // commits a 200 before it has been read, so that a server that failed is a 503.
  const bool hold_keepalives = !mcp_servers.empty() && session->known_messages() == 0;

  std::string out;
  bool stream_begun = false;
  auto begin_stream = [&]() -> asio::awaitable<void> {
    if (stream_begun) co_return;
    stream_begun = true;
    http::Fields fields;
    fields.set(boost::beast::http::field::cache_control, "no-cache");
    co_await exchange.begin_stream(http::Status::ok, "text/event-stream", std::move(fields));
  };

  std::optional<TurnEnd> end;
  bool saw_init = false;
  const auto deadline = Session::Clock::now() + settings_.turn_timeout;
  const std::size_t cli_line_depth = settings_.max_json_depth + translate::kCliEnvelopeDepth;
  while (!end) {
    const auto now = Session::Clock::now();
    if (now >= deadline) {
      end = TurnEnd{TurnEnd::Kind::error, 504,
                    fmt::format("Claude Code did not finish this turn within TURN_TIMEOUT ({}); "
                                "the conversation was ended",
                                seconds_text(settings_.turn_timeout))};
      break;
    }
    const auto wait =
        std::min(settings_.keepalive, std::chrono::ceil<std::chrono::milliseconds>(deadline - now));
    auto output = co_await session->next_output(wait);
    if (output.kind == Session::Output::Kind::idle) {
      if (request.stream && Session::Clock::now() < deadline && !(hold_keepalives && !saw_init)) {
        co_await begin_stream();
        co_await exchange.write(": keepalive\n\n");
      }
      continue;
    }
    if (output.kind == Session::Output::Kind::end) {
      if (output.ended == asio::error::message_size) {
        end = TurnEnd{TurnEnd::Kind::error, 502,
                      fmt::format("Claude Code wrote an output line longer than MAX_LINE_SIZE "
                                  "({} bytes); the conversation was ended",
                                  settings_.max_line_size)};
        break;
      }
      end = translator.end_without_result(saw_init ? "Claude Code exited in the middle of the turn"
                                                   : "Claude Code exited before it started");
      if (!saw_init) end->status = 503;
      break;
    }
    auto parsed = translate::parse_cli_line(output.line, cli_line_depth);
    if (parsed.kind == translate::CliLine::Kind::unreadable) {
      end = TurnEnd{TurnEnd::Kind::error, 502, parsed.problem};
      break;
    }
    if (parsed.kind != translate::CliLine::Kind::message) continue;
    const auto& object = parsed.message;
    if (is_init_line(object)) {
      saw_init = true;
      auto problem = init_problem(object, session->tools());
      if (!problem) problem = operator_servers_problem(object, mcp_servers);
      if (problem) {
        end = TurnEnd{TurnEnd::Kind::error, 503, *problem};
        break;
      }
      continue;
    }
    end = translator.on_line(object, out);
    record_server_tool_calls(session->id(), mcp_servers, translator.take_server_tool_results(),
                             instruments_.server_tool_calls);
    if (request.stream && !out.empty()) {
      co_await begin_stream();
      log.mark_first_byte();
      co_await exchange.write(out);
      out.clear();
    }
    if (first_token && (!out.empty() || !translator.content().empty() || end))
      std::exchange(first_token, nullptr)();
  }

  // The reply ended before the CLI's turn did (a stop string, max_tokens): the CLI is stopped and
  // read to the end of its turn before the response ends, so that the client's next message
  // finds it ready (or, past INTERRUPT_TIMEOUT, ended).
  session->set_user_lines_in_flight(translator.user_lines_in_flight());
  session->set_server_tools_in_flight(translator.server_tools_in_flight());
  bool cli_turn_over = true;
  if ((end->kind == TurnEnd::Kind::stop || end->kind == TurnEnd::Kind::length) &&
      translator.ended_before_cli())
    cli_turn_over = co_await interrupt_turn(session);

  switch (end->kind) {
    case TurnEnd::Kind::tool_calls: {
      for (const auto& call : translator.tool_calls())
        tool_calls_.hand_out(session->id(), call.id, call.cli_id);
      session->remember_conversation(request.messages.size() + 1,
                                     digest_after_reply(request, translator));
      release_turn(session);
      break;
    }
    case TurnEnd::Kind::stop:
    case TurnEnd::Kind::length:
      session->remember_conversation(request.messages.size() + 1,
                                     digest_after_reply(request, translator));
      if (cli_turn_over)
        release_turn(session);
      else
        sessions_.end(session);
      break;
    case TurnEnd::Kind::error:
      sessions_.end(session);
      break;
  }
  const auto usage = translator.usage();
  log.finish = translate::finish_reason_for(end->kind);
  log.tokens_in = usage.prompt_tokens;
  log.tokens_out = usage.completion_tokens;

  if (!request.stream || (end->kind == TurnEnd::Kind::error && !stream_begun)) {
    const auto status = end->kind == TurnEnd::Kind::error ? static_cast<http::Status>(end->status)
                                                          : http::Status::ok;
    std::string body = json::serialize(translator.completion(*end));
    log.mark_first_byte();
    co_await exchange.respond(status, std::move(body), "application/json");
  } else {
    translator.finish(*end, out);
    co_await begin_stream();
    co_await exchange.write(out);
    co_await exchange.end_stream();
  }
  guard.keep();
}

}  // namespace ccgate::gateway
