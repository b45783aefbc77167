#include "gateway/session.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <stdexcept>

#include "mcp/server.hpp"
#include "translate/cli_stream.hpp"

namespace ccgate::gateway {
namespace json = boost::json;
using boost::system::error_code;

namespace {

// Lines queued between the CLI's stdout and its reader: a reader that stops (a stalled client)
// stops the CLI at its stdout instead of growing the queue.
constexpr std::size_t kLineQueue = 256;
constexpr std::chrono::milliseconds kTerminateGrace{2'000};
constexpr auto as_result = asio::as_tuple(asio::use_awaitable);

Session::Clock::time_point deadline_after(std::chrono::milliseconds wait) {
  const auto now = Session::Clock::now();
  if (wait >= std::chrono::duration_cast<std::chrono::milliseconds>(
                  Session::Clock::time_point::max() - now))
    return Session::Clock::time_point::max();
  return now + wait;
}

}  // namespace

std::string_view exit_cause_name(ExitCause cause) {
  static constexpr std::string_view kNames[kExitCauses] = {
      "client_closed", "turn_error", "crashed",  "timeout", "tool_call_timeout",
      "idle",          "evicted",    "shutdown", "deleted", "replaced"};
  return kNames[static_cast<std::size_t>(cause)];
}

std::string mcp_config_json(std::string_view mcp_base_url, std::string_view session_id,
                            std::string_view secret, std::chrono::milliseconds tool_call_timeout,
                            const std::vector<OperatorMcpServer>& operator_servers) {
  json::object headers{{mcp::kSecretHeader, secret}};
  auto server = [&](std::string_view name) {
    return json::object{{"type", "http"},
                        {"url", fmt::format("{}/mcp/{}/{}", mcp_base_url, name, session_id)},
                        {"headers", headers},
                        {"timeout", tool_call_timeout.count() + 30'000},
                        {"alwaysLoad", true}};
  };
  json::object servers{{"gateway", server("gateway")}, {"auth", server("auth")}};
  add_operator_servers(servers, operator_servers);
  return json::serialize(json::object{{"mcpServers", std::move(servers)}});
}

asio::awaitable<std::shared_ptr<Session>> Session::start(asio::any_io_executor home,
                                                         Identity identity,
                                                         claude::LaunchSettings launch,
                                                         Setup setup) {
  auto on_home = [](asio::any_io_executor home, Identity identity, claude::LaunchSettings launch,
                    Setup setup) -> asio::awaitable<std::shared_ptr<Session>> {
    const auto began = Clock::now();
    claude::TempDir dir = claude::TempDir::create("ccgate-session-");
    launch.session_dir = dir.path();
    launch.model = identity.model;
    launch.append_system_prompt = identity.system_prompt;
    claude::create_session_layout(claude::SessionLayout{dir.path()});
    claude::write_launch_files(launch);
    const auto spec = claude::build_launch(launch, claude::current_environment());
    std::shared_ptr<Session> session(new Session(home, std::move(identity), std::move(dir)));
    session->max_line_depth_ = setup.max_line_depth;
    session->spare_ = setup.spare;
    session->starting_ = began;
    session->ready_ = std::move(setup.ready);
    session->exited_ = std::move(setup.exited);
    if (setup.announce) setup.announce(session);
    session->spawn(spec, setup.max_line_size);
    asio::co_spawn(
        home,
        [session, ended = std::move(setup.output_ended)]() -> asio::awaitable<void> {
          co_await session->read_stdout(ended);
        },
        asio::detached);
    co_return session;
  };
  auto task = on_home(home, std::move(identity), std::move(launch), std::move(setup));
  // Not cancellable: once begun, the start completes and its caller owns the session.
  co_return co_await asio::co_spawn(
      home, std::move(task),
      asio::bind_cancellation_slot(asio::cancellation_slot(), asio::use_awaitable));
}

Session::Session(asio::any_io_executor home, Identity identity, claude::TempDir dir)
    : home_(std::move(home)),
      identity_(std::move(identity)),
      dir_(std::move(dir)),
      layout_{dir_.path()},
      stop_tasks_(home_, asio::steady_timer::time_point::max()),
      tasks_done_(home_, asio::steady_timer::time_point::max()),
      lines_(home_, kLineQueue) {}

Session::Task::Task(std::shared_ptr<Session> session) : session_(std::move(session)) {
  ++session_->tasks_;
}

Session::Task::~Task() {
  if (--session_->tasks_ == 0) session_->tasks_done_.cancel();
}

asio::awaitable<void> Session::Task::stopped() const {
  while (!session_->closed()) co_await session_->stop_tasks_.async_wait(as_result);
}

Session::~Session() {
  // Normally shut_down() has ended the process on its loop; if not, it is ended there now.
  if (process_) asio::post(home_, [process = std::move(*process_)] {});
}

void Session::spawn(const claude::LaunchSpec& spec, std::size_t max_line_size) {
  process_.emplace(claude::Process::spawn(
      home_, spec,
      [id = id().substr(0, 8)](std::string_view line) {
        spdlog::debug("session {} claude stderr: {}", id, line);
      },
      max_line_size));
}

asio::awaitable<void> Session::read_stdout(Hook output_ended) {
  error_code ended = asio::error::eof;
  try {
    for (;;) {
      if (!process_) {
        ended = asio::error::operation_aborted;
        break;
      }
      auto line = co_await process_->read_line();
      if (!line) break;
      if (line->empty()) continue;
      auto [error] = co_await lines_.async_send(error_code{}, std::move(*line), as_result);
      if (error) co_return;  // closed: nobody reads any more
    }
  } catch (const boost::system::system_error& error) {
    ended = error.code();
    spdlog::debug("session {} stdout ended: {}", id().substr(0, 8), error.what());
  }
  if (output_has_ended() && output_ended) output_ended(shared_from_this());
  // The end reaches the reader after every line before it.
  co_await lines_.async_send(ended, std::string(), as_result);
}

bool Session::output_has_ended() {
  std::lock_guard lock(mutex_);
  output_ended_ = true;
  return (!busy_ || spare_) && !closing_;
}

asio::awaitable<Session::Output> Session::next_output(std::chrono::milliseconds idle) {
  if (reading_.exchange(true))
    throw std::logic_error("two readers of one Claude Code session's output at once");
  struct Done {
    std::atomic<bool>& reading;
    ~Done() { reading = false; }
  } done{reading_};
  {
    std::lock_guard lock(mutex_);
    if (end_) co_return Output{Output::Kind::end, {}, *end_};
  }

  // A line already queued (the CLI writes in bursts) is taken without a wait and its timer.
  error_code received;
  std::string line;
  if (lines_.try_receive([&](error_code error, std::string queued) {
        received = error;
        line = std::move(queued);
      }))
    co_return take(received, std::move(line));

  asio::steady_timer timer(co_await asio::this_coro::executor, deadline_after(idle));
  // Both results are kept: a line that completes as the timer fires is still returned (an
  // operator|| would drop the loser's result).
  auto [order, waited_for, waited_line, waited] =
      co_await asio::experimental::make_parallel_group(lines_.async_receive(asio::deferred),
                                                       timer.async_wait(asio::deferred))
          .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
  const bool cancelled = waited_for == asio::experimental::error::channel_cancelled ||
                         waited_for == asio::error::operation_aborted;
  if (cancelled && order[0] == 1 && !waited) co_return Output{Output::Kind::idle, {}, {}};
  if (waited_for &&
      (co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none)
    throw boost::system::system_error(asio::error::operation_aborted);
  co_return take(waited_for, std::move(waited_line));
}

Session::Output Session::take(error_code received, std::string line) {
  std::lock_guard lock(mutex_);
  if (!received) {
    last_active_ = Clock::now();
    return Output{Output::Kind::line, std::move(line), {}};
  }
  // The end: stdout closed or failed, or the queue cancelled or closed (the session ended).
  const bool gone = received == asio::experimental::error::channel_cancelled ||
                    received == asio::error::operation_aborted ||
                    received == asio::experimental::error::channel_closed;
  end_ = gone ? error_code(asio::error::operation_aborted) : received;
  return Output{Output::Kind::end, {}, *end_};
}

asio::awaitable<std::optional<std::string>> Session::next_line() {
  for (;;) {
    auto output = co_await next_output(std::chrono::milliseconds::max());
    if (output.kind == Output::Kind::line) co_return std::move(output.line);
    if (output.kind == Output::Kind::end) co_return std::nullopt;
  }
}

asio::awaitable<Session::TurnEnd> Session::skip_to_turn_end(std::chrono::milliseconds limit) {
  const auto deadline = deadline_after(limit);
  for (;;) {
    const auto now = Clock::now();
    if (now >= deadline) co_return TurnEnd::timed_out;
    auto output =
        co_await next_output(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now) +
                             std::chrono::milliseconds(1));
    if (output.kind == Output::Kind::end) co_return TurnEnd::ended;
    if (output.kind == Output::Kind::idle) continue;
    const auto parsed = translate::parse_cli_line(output.line, max_line_depth_);
    if (parsed.kind == translate::CliLine::Kind::message &&
        translate::is_result_line(parsed.message))
      co_return TurnEnd::result;
  }
}

asio::awaitable<void> Session::write_on_home(std::shared_ptr<Session> self, std::string bytes) {
  if (!self->process_)
    throw boost::system::system_error(asio::error::broken_pipe, "the Claude Code session ended");
  co_await self->process_->write(bytes);
}

asio::awaitable<void> Session::write(std::string bytes) {
  // A named task, not a lambda temporary: GCC 12 destroys temporaries inside a co_await
  // expression twice.
  auto task = write_on_home(shared_from_this(), std::move(bytes));
  co_await asio::co_spawn(home_, std::move(task), asio::use_awaitable);
}

asio::awaitable<void> Session::interrupt() {
  std::uint64_t number = 0;
  {
    std::lock_guard lock(mutex_);
    number = ++interrupts_;
  }
  co_await write(fmt::format(
      R"({{"type":"control_request","request_id":"ccgate_interrupt_{}","request":{{"subtype":"interrupt"}}}})"
      "\n",
      number));
}

bool Session::close(ExitCause cause) {
  {
    std::lock_guard lock(mutex_);
    if (closing_) return false;
    closing_ = true;
    exit_cause_ = cause;
  }
  asio::co_spawn(
      home_, [self = shared_from_this()] { return self->shut_down(); }, asio::detached);
  return true;
}

asio::awaitable<void> Session::shut_down() {
  // The session's tasks end first (their processes work in its dir).
  stop_tasks_.cancel();
  while (tasks_ > 0) co_await tasks_done_.async_wait(as_result);
  // Cancel first (close() would leave a blocked sender waiting forever), then close: the stdout
  // reader and any waiting consumer wake up, and nothing is queued any more.
  lines_.cancel();
  lines_.close();
  if (process_) {
    try {
      const int status = co_await process_->terminate(kTerminateGrace);
      spdlog::debug("session {} claude exited with status {}", id().substr(0, 8), status);
    } catch (const std::exception& error) {
      spdlog::warn("session {}: ending claude failed: {}", id().substr(0, 8), error.what());
    }
    process_.reset();  // its descriptors are closed here, on the loop they belong to
    if (exited_) exited_(exit_cause());
  }
  dir_.remove();
}

ExitCause Session::exit_cause() const {
  std::lock_guard lock(mutex_);
  return exit_cause_;
}

void Session::mark_ready() {
  std::function<void(Clock::duration)> ready;
  {
    std::lock_guard lock(mutex_);
    ready.swap(ready_);
  }
  if (ready) ready(Clock::now() - starting_);
}

bool Session::closed() const {
  std::lock_guard lock(mutex_);
  return closing_;
}

bool Session::try_begin_turn() {
  std::lock_guard lock(mutex_);
  if (busy_ || closing_ || expired_ || output_ended_) return false;
  busy_ = true;
  last_active_ = Clock::now();
  return true;
}

bool Session::try_begin_drain() {
  std::lock_guard lock(mutex_);
  if (busy_ || closing_) return false;
  busy_ = true;
  return true;
}

bool Session::end_turn() {
  std::lock_guard lock(mutex_);
  busy_ = false;
  last_active_ = Clock::now();
  return expired_ || output_ended_;
}

bool Session::busy() const {
  std::lock_guard lock(mutex_);
  return busy_;
}

bool Session::idle_locked() const {
  return !busy_ && !closing_;
}

bool Session::idle() const {
  std::lock_guard lock(mutex_);
  return idle_locked();
}

bool Session::retire(const std::function<std::size_t()>& unanswered_calls) {
  std::lock_guard lock(mutex_);
  if (!idle_locked() || unanswered_calls() != 0) return false;
  busy_ = true;  // no request can begin a turn on it any more
  return true;
}

bool Session::claim_spare() {
  std::lock_guard lock(mutex_);
  if (!spare_ || closing_ || output_ended_) return false;
  spare_ = false;
  last_active_ = Clock::now();
  conversation_started_ = std::chrono::system_clock::now();
  return true;
}

bool Session::spare() const {
  std::lock_guard lock(mutex_);
  return spare_;
}

void Session::set_tools_allowed(bool allowed) {
  std::lock_guard lock(mutex_);
  tools_allowed_ = allowed;
}

bool Session::tools_allowed() const {
  std::lock_guard lock(mutex_);
  return tools_allowed_;
}

void Session::set_user_lines_in_flight(std::size_t count) {
  std::lock_guard lock(mutex_);
  user_lines_in_flight_ = count;
}

std::size_t Session::user_lines_in_flight() const {
  std::lock_guard lock(mutex_);
  return user_lines_in_flight_;
}

void Session::set_server_tools_in_flight(std::map<std::string, std::string> calls) {
  std::lock_guard lock(mutex_);
  server_tools_in_flight_ = std::move(calls);
}

std::map<std::string, std::string> Session::server_tools_in_flight() const {
  std::lock_guard lock(mutex_);
  return server_tools_in_flight_;
}

void Session::remember_conversation(std::size_t message_count, std::string digest) {
  std::lock_guard lock(mutex_);
  known_messages_ = message_count;
  conversation_digest_ = std::move(digest);
}

std::size_t Session::known_messages() const {
  std::lock_guard lock(mutex_);
  return known_messages_;
}

const std::string Session::conversation_digest() const {
  std::lock_guard lock(mutex_);
  return conversation_digest_;
}

Session::Clock::time_point Session::last_active() const {
  std::lock_guard lock(mutex_);
  return last_active_;
}

void Session::mark_expired() {
  std::lock_guard lock(mutex_);
  expired_ = true;
}

bool Session::expired() const {
  std::lock_guard lock(mutex_);
  return expired_;
}

void Session::set_conversation_key(ConversationKey key) {
  std::lock_guard lock(mutex_);
  conversation_key_ = std::move(key);
}

void Session::set_client_scope(std::string scope) {
  std::lock_guard lock(mutex_);
  client_scope_ = std::move(scope);
}

std::string Session::client_scope() const {
  std::lock_guard lock(mutex_);
  return client_scope_;
}

std::optional<ConversationKey> Session::conversation_key() const {
  std::lock_guard lock(mutex_);
  return conversation_key_;
}

void Session::count_turn(std::uint64_t prompt_tokens, std::uint64_t completion_tokens) {
  std::lock_guard lock(mutex_);
  ++stats_.turns;
  stats_.prompt_tokens += prompt_tokens;
  stats_.completion_tokens += completion_tokens;
}

ConversationStats Session::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

std::chrono::system_clock::time_point Session::conversation_started() const {
  std::lock_guard lock(mutex_);
  return conversation_started_;
}

}  // namespace ccgate::gateway
