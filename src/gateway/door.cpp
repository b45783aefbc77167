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
#include "gateway/conversation_api.hpp"
#include "gateway/init_check.hpp"
#include "http/auth.hpp"
#include "openai/chunks.hpp"
#include "openai/errors.hpp"
#include "translate/cli_input.hpp"
#include "translate/cli_stream.hpp"
#include "translate/ids.hpp"
#include "translate/text.hpp"

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
  bool retryable = true;  // false: the SDKs are told not to retry (x-should-retry: false)
};

// The `type` the client gets in the error body.
std::string_view error_type_of(const OpenAiError& error) {
  return error.type.empty() ? openai::error_type_for_status(error.status)
                            : std::string_view(error.type);
}

asio::awaitable<void> respond_error(http::Exchange& exchange, const OpenAiError& error) {
  const std::string type(error_type_of(error));
  http::Fields fields;
  if (error.retry_after)
    fields.set(boost::beast::http::field::retry_after, std::to_string(error.retry_after->count()));
  if (!error.retryable) fields.set("x-should-retry", "false");
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

// A line of the model's answer as the CLI relays it (its stream events, or a whole assistant
// message), as opposed to the CLI's own lines (init, the tool results it echoes, status).
bool is_model_output(const json::object& line) {
  const auto* type = line.if_contains("type");
  return type != nullptr && type->is_string() &&
         (type->get_string() == "stream_event" || type->get_string() == "assistant");
}

// The turn's tokens, as Claude Code reported them, under the gateway's provider label. With
// CLAUDE_CODE_BASE_URL=self the same tokens are also counted by the proxy door, under the
// provider that served them.
void count_tokens_used(const Meters& meters, std::string_view model,
                       const openai::ChatUsage& usage) {
  const auto add = [&](std::string_view kind, std::int64_t tokens) {
    if (tokens > 0)
      meters.instruments.tokens.with({kGatewayProvider, model, kind})
          .inc(static_cast<std::uint64_t>(tokens));
  };
  add("in", usage.prompt_tokens - usage.cached_tokens);
  add("out", usage.completion_tokens);
  add("cache_read", usage.cached_tokens);
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
      .identity = {.id = translate::random_id(""),
                   .secret = translate::random_id(""),
                   .model = key.model,
                   .system_prompt = key.system_prompt,
                   .tools = std::move(tools),
                   .builtin_tools = key.builtin_tools,
                   .mcp_servers = std::move(mcp_servers)},
  };
  auto& launch = plan.launch;
  launch.cli_path = key.cli_path;
  launch.effort = key.effort;
  launch.base_url = settings.cli_base_url;
  launch.api_key = settings.cli_api_key;
  // The CLI waits for an MCP call as long as the slowest tool may take: a client's, or one that
  // ccgate runs itself.
  const auto call_timeout =
      std::max(settings.tool_call_timeout, longest_timeout(settings.extensions.executors.tools));
  launch.mcp_tool_timeout = call_timeout + std::chrono::seconds(30);
  launch.mcp_start_timeout = settings.mcp_start_timeout;
  launch.mcp_config = mcp_config_json(settings.mcp_base_url, plan.identity.id, plan.identity.secret,
                                      call_timeout, plan.identity.mcp_servers);
  launch.builtin_tools = key.builtin_tools;
  return plan;
}

// A conversation name reserved for the session a request starts: given back unless bound to it.
class NameReservation {
 public:
  NameReservation(SessionManager& sessions, ConversationKey key)
      : sessions_(sessions), key_(std::move(key)) {}
  ~NameReservation() {
    if (!bound_) sessions_.release_name(key_);
  }
  NameReservation(const NameReservation&) = delete;
  NameReservation& operator=(const NameReservation&) = delete;
  void bind(const std::shared_ptr<Session>& session) {
    sessions_.bind_name(key_, session);
    bound_ = true;
  }

 private:
  SessionManager& sessions_;
  ConversationKey key_;
  bool bound_ = false;
};

OpenAiError named_conversation_refusal(SessionManager::NamedTurn::Outcome outcome,
                                       const ConversationKey& key) {
  if (outcome == SessionManager::NamedTurn::Outcome::busy)
    return OpenAiError{409,
                       fmt::format("conversation '{}' is busy with another request; send the next "
                                   "request once that one has its reply",
                                   key.name),
                       "invalid_request_error", "", "conversation_busy"};
  return OpenAiError{
      .status = 409,
      .message = fmt::format("the messages of this request do not continue conversation '{}': they "
                             "must repeat its history, its last reply included, and add to it (to "
                             "start another conversation, use another {} name)",
                             key.name, kConversationHeader),
      .type = "invalid_request_error",
      .param = "messages",
      .code = "conversation_conflict",
      .retryable = false};
}

}  // namespace

// A client that leaves before it has the whole reply ends the conversation: nothing is left
// running (or waiting for tool results) for nobody.
class Door::TurnGuard {
 public:
  TurnGuard(SessionManager& sessions, std::shared_ptr<Session> session)
      : sessions_(sessions), session_(std::move(session)) {}
  ~TurnGuard() {
    if (!kept_) sessions_.end(session_, ExitCause::client_closed);
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

// What one request tells the metrics when it ends, however it ends: a client that leaves cancels
// the handler, and the destructor still runs. Labels: route says how the request reached a Claude
// Code session (see README, Monitoring), provider is claude-code, model the client's.
class Door::Outcome {
 public:
  Outcome(const Meters& meters, const http::Exchange& exchange, const http::RequestLog& log)
      : meters_(meters), exchange_(exchange), log_(log) {}
  Outcome(const Outcome&) = delete;
  Outcome& operator=(const Outcome&) = delete;

  std::string_view route;  // "" (refused before), new, spare, continue, tool_results
  std::string error_type;  // the `type` of the OpenAI error the client got, in a body or a chunk

  ~Outcome() {
    const auto now = http::RequestLog::Clock::now();
    const bool started = exchange_.response_started();
    const int status = started ? static_cast<int>(exchange_.status()) : 499;
    const std::string_view error =
        exchange_.response_finished() ? std::string_view(error_type) : "client_closed";
    meters_.instruments.requests
        .with(
            {"gateway", route, kGatewayProvider, log_.model, metrics::status_class(status), error})
        .inc();
    meters_.request_duration.observe(now - log_.started);
    if (started) meters_.time_to_first_byte.observe(log_.first_byte.value_or(now) - log_.started);
  }

 private:
  const Meters& meters_;
  const http::Exchange& exchange_;
  const http::RequestLog& log_;
};

Door::Door(Settings settings, const metrics::Instruments& metrics)
    : settings_(std::move(settings)),
      meters_(metrics),
      client_keys_(settings_.extensions.operator_mcp.client_keys),
      executors_(settings_.extensions.executors.tools, loop_.get_executor(), webhooks_),
      tools_(settings_.tool_cache_ttl, executors_.mcp_tools()),
      tool_calls_(meters_),
      sessions_(settings_, loop_.get_executor(), tool_calls_, meters_),
      policy_(settings_.extensions.policy, webhooks_, &metrics.tool_policy_decisions),
      gateway_backend_(sessions_, tool_calls_, settings_, &executors_),
      approval_backend_(sessions_, policy_),
      gateway_endpoint_({"ccgate-gateway", CCGATE_VERSION, settings_.keepalive,
                         settings_.max_json_depth + translate::kCliEnvelopeDepth},
                        gateway_backend_),
      auth_endpoint_({"ccgate-auth", CCGATE_VERSION, settings_.keepalive,
                      settings_.max_json_depth + translate::kCliEnvelopeDepth},
                     approval_backend_),
      sweep_timer_(loop_) {
  sessions_.set_end_hook([this](const Session& session, ExitCause cause) {
    conversation_events_.ended(session, cause);
  });
  asio::co_spawn(loop_, sweep_loop(), asio::detached);
  thread_ = std::jthread([this] { loop_.run(); });
}

Door::~Door() {
  sessions_.begin_shutdown();
  sessions_.end_all();
  conversation_events_.close();  // the loop below runs until they are delivered, within a bound
  asio::post(loop_, [this] {
    stopping_ = true;
    sweep_timer_.cancel();
  });
  thread_.join();  // returns once every session's process is reaped and its dir removed
}

void Door::begin_shutdown() {
  sessions_.begin_shutdown();
}

asio::awaitable<Session::TurnEnd> Door::interrupt_turn(const std::shared_ptr<Session>& session) {
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
        session->id().substr(0, 8), translate::seconds_text(settings_.interrupt_timeout));
  co_return end;
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
  Outcome outcome(meters_, exchange, log);
  std::optional<OpenAiError> rejected;
  openai::ChatRequest request;
  try {
    request = openai::parse_chat_request_body(exchange.request().body(), settings_.max_json_depth);
  } catch (const openai::InvalidRequest& invalid) {
    rejected =
        OpenAiError{400, invalid.what(), "invalid_request_error", invalid.param(), invalid.code()};
  }
  if (!rejected)
    if (auto clash = executors_.name_clash(request.tools))
      rejected = OpenAiError{400, std::move(*clash), "invalid_request_error", "tools",
                             "tool_name_reserved"};
  const ClientKey* client = client_keys_.identify(http::bearer_token(exchange));
  const auto tool_activity = tool_activity_asked(exchange, client);
  if (!rejected && !tool_activity)
    rejected = OpenAiError{400, fmt::format("{}: expected true or false", kToolActivityHeader),
                           "invalid_request_error", std::string(kToolActivityHeader), ""};
  if (rejected) {
    outcome.error_type = error_type_of(*rejected);
    co_return co_await respond_error(exchange, *rejected);
  }
  log.model = request.model;
  log.target = "claude";
  const NamedRequest named = conversation_named_by(exchange);
  if (!named.problem.empty()) {
    rejected =
        OpenAiError{400, named.problem, "invalid_request_error", "", "invalid_conversation_name"};
    co_return co_await respond_error(exchange, *rejected);
  }
  const std::optional<ConversationKey>& conversation = named.key;
  const std::string scope = client_scope(http::bearer_token(exchange));

  std::shared_ptr<Session> session;
  std::function<void()> start_spare;
  const auto answers = translate::tool_results_of(request);
  if (!answers.results.empty()) {
    outcome.route = "tool_results";
    // The conversation is the one that handed out these tool calls, and no other.
    std::optional<std::string> owner;
    for (const auto* result : answers.results)
      if ((owner = tool_calls_.session_of(result->tool_call_id))) break;
    if (owner) session = sessions_.find(*owner);
    if (session && session->client_scope() != scope) session = nullptr;  // as if unknown
    if (session && conversation && session->conversation_key() != conversation) {
      rejected = OpenAiError{
          .status = 409,
          .message = fmt::format("tool_call_id '{}' belongs to another "
                                 "conversation than '{}'",
                                 answers.results.front()->tool_call_id, conversation->name),
          .type = "invalid_request_error",
          .param = "messages",
          .code = "conversation_conflict",
          .retryable = false};
    } else if (!session || session->expired()) {
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
          sessions_.end(session, ExitCause::crashed);
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
    std::size_t known = 0;
    std::optional<NameReservation> reservation;
    if (conversation) {
      auto turn = sessions_.begin_named_turn(*conversation, request, *tools, system_prompt,
                                             server_names(mcp_servers));
      using Outcome = SessionManager::NamedTurn::Outcome;
      if (turn.outcome == Outcome::start)
        reservation.emplace(sessions_, *conversation);
      else if (turn.outcome == Outcome::continued)
        session = std::move(turn.session);
      else
        rejected = named_conversation_refusal(turn.outcome, *conversation);
    } else {
      session = sessions_.find_by_conversation(request, *tools, system_prompt,
                                               server_names(mcp_servers), scope);
      if (session && !session->try_begin_turn()) session = nullptr;
    }
    if (session) {
      known = session->known_messages();
      outcome.route = "continue";
    } else if (!rejected) {
      outcome.route = "new";
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
            .builtin_tools =
                builtin_tools_for(settings_.extensions.executors.builtin_tools, request.model),
            .mcp_servers = server_names(mcp_servers),
        };
        // Its first turn is begun: it is this request's.
        session = sessions_.adopt_spare(key);
        if (session) outcome.route = "spare";
        try {
          if (!session) {
            auto plan = plan_session(settings_, key, tools, mcp_servers);
            session = co_await sessions_.start(std::move(plan.identity), std::move(plan.launch));
          }
          session->set_client_scope(scope);
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
        if (session) {
          if (reservation) reservation->bind(session);
          conversation_events_.started(*session, exchange.request_id());
        }
      }
    }
    if (session) {
      tools_.remember(tools);
      const auto turn = translate::cli_turn(request, tools->names, known);
      session->set_tools_allowed(turn.offer_tools);
      session->policy_ledger().begin_turn();
      try {
        co_await session->write(turn.line);
      } catch (const std::exception& failed) {
        sessions_.end(session, ExitCause::crashed);
        session = nullptr;
        rejected =
            OpenAiError{503, fmt::format("Claude Code stopped accepting input: {}", failed.what()),
                        "server_error", "", "claude_code_unavailable"};
      }
    }
  }
  if (rejected) {
    outcome.error_type = error_type_of(*rejected);
    co_return co_await respond_error(exchange, *rejected);
  }
  log.session = session->id().substr(0, 8);
  // From here on, whatever ends this request early (the client leaving, even before run_turn's
  // first line runs) ends the conversation.
  TurnGuard guard(sessions_, std::move(session));
  co_await run_turn(exchange, log, request, guard, std::move(start_spare), outcome, *tool_activity);
}

asio::awaitable<void> Door::run_turn(http::Exchange& exchange, http::RequestLog& log,
                                     const openai::ChatRequest& request, TurnGuard& guard,
                                     std::function<void()> first_token, Outcome& outcome,
                                     bool tool_activity) {
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
       .hold_tool_calls = policy_.enabled(),
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
  ExitCause error_cause = ExitCause::turn_error;  // why the session ends, should the turn fail
  bool saw_init = false;
  // The "upstream" time to first byte: from the turn handed to the CLI (its message written, or
  // its tool results delivered; again at its init line, so a new CLI's start-up is left out) to
  // the first line of the model's answer.
  auto handed_to_cli = Session::Clock::now();
  bool model_answered = false;
  const auto deadline = Session::Clock::now() + settings_.turn_timeout;
  const std::size_t cli_line_depth = settings_.max_json_depth + translate::kCliEnvelopeDepth;
  while (!end) {
    const auto now = Session::Clock::now();
    if (now >= deadline) {
      end = TurnEnd{TurnEnd::Kind::error, 504,
                    fmt::format("Claude Code did not finish this turn within TURN_TIMEOUT ({}); "
                                "the conversation was ended",
                                translate::seconds_text(settings_.turn_timeout))};
      error_cause = ExitCause::timeout;
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
      if (session->closed() && session->exit_cause() == ExitCause::deleted) {
        end = TurnEnd{TurnEnd::Kind::error, 410,
                      fmt::format("conversation {} was deleted through the admin API while "
                                  "this request was running",
                                  public_conversation_id(session->id()))};
        break;
      }
      if (output.ended == asio::error::message_size) {
        end = TurnEnd{TurnEnd::Kind::error, 502,
                      fmt::format("Claude Code wrote an output line longer than MAX_LINE_SIZE "
                                  "({} bytes); the conversation was ended",
                                  settings_.max_line_size)};
        break;
      }
      end = translator.end_without_result(saw_init ? "Claude Code exited in the middle of the turn"
                                                   : "Claude Code exited before it started");
      error_cause = ExitCause::crashed;
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
      handed_to_cli = Session::Clock::now();
      auto problem = init_problem(object, session->tools());
      if (!problem) problem = operator_servers_problem(object, mcp_servers);
      if (problem) {
        end = TurnEnd{TurnEnd::Kind::error, 503, *problem};
        break;
      }
      continue;
    }
    if (!model_answered && is_model_output(object)) {
      model_answered = true;
      meters_.upstream_time_to_first_byte.observe(Session::Clock::now() - handed_to_cli);
    }
    end = translator.on_line(object, out);
    if (!end && translator.awaiting_decisions())
      end = co_await policy_.release_held(
          *session, translator, out,
          std::chrono::ceil<std::chrono::milliseconds>(deadline - Session::Clock::now()));
    record_server_tool_calls(session->id(), mcp_servers, translator.take_server_tool_results(),
                             meters_.instruments.server_tool_calls);
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
  auto cli_turn = Session::TurnEnd::result;
  if ((end->kind == TurnEnd::Kind::stop || end->kind == TurnEnd::Kind::length) &&
      translator.ended_before_cli())
    cli_turn = co_await interrupt_turn(session);

  // Counted before the session may end: its end event carries them.
  session->count_turn(translator.usage().prompt_tokens, translator.usage().completion_tokens);
  switch (end->kind) {
    case TurnEnd::Kind::tool_calls: {
      for (const auto& call : translator.tool_calls())
        tool_calls_.hand_out(session->id(), call.id, call.cli_id);
      session->remember_conversation(request.messages.size() + 1,
                                     digest_after_reply(request, translator));
      sessions_.release_turn(session);
      break;
    }
    case TurnEnd::Kind::stop:
    case TurnEnd::Kind::length:
      session->remember_conversation(request.messages.size() + 1,
                                     digest_after_reply(request, translator));
      if (cli_turn == Session::TurnEnd::result)
        sessions_.release_turn(session);
      else
        sessions_.end(session, cli_turn == Session::TurnEnd::timed_out ? ExitCause::timeout
                                                                       : ExitCause::crashed);
      break;
    case TurnEnd::Kind::error:
      sessions_.end(session, error_cause);
      // The client gets it in a body or, once streaming, in a chunk: the same type either way.
      outcome.error_type = openai::error_type_for_status(end->status);
      break;
  }
  const auto usage = translator.usage();
  log.finish = translate::finish_reason_for(end->kind);
  log.tokens_in = usage.prompt_tokens;
  log.tokens_out = usage.completion_tokens;
  count_tokens_used(meters_, request.model, usage);

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
