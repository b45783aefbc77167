#include "gateway/session.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "mcp/server.hpp"
#include "translate/cli_stream.hpp"

namespace ccgate::gateway {
namespace json = boost::json;

namespace {
constexpr std::size_t kLineQueue = 256;
constexpr std::chrono::milliseconds kTerminateGrace{2'000};
}  // namespace

std::string mcp_config_json(std::string_view mcp_base_url, std::string_view session_id,
                            std::string_view secret, std::chrono::milliseconds tool_call_timeout) {
  json::object headers{{mcp::kSecretHeader, secret}};
  auto server = [&](std::string_view name) {
    return json::object{{"type", "http"},
                        {"url", fmt::format("{}/mcp/{}/{}", mcp_base_url, name, session_id)},
                        {"headers", headers},
                        {"timeout", tool_call_timeout.count() + 30'000},
                        {"alwaysLoad", true}};
  };
  return json::serialize(json::object{
      {"mcpServers", json::object{{"gateway", server("gateway")}, {"auth", server("auth")}}}});
}

std::shared_ptr<Session> Session::start(asio::any_io_executor home, Identity identity,
                                        claude::LaunchSettings launch, const Announce& announce) {
  claude::TempDir dir = claude::TempDir::create("ccgate-session-");
  launch.session_dir = dir.path();
  launch.model = identity.model;
  launch.append_system_prompt = identity.system_prompt;
  claude::create_session_layout(claude::SessionLayout{dir.path()});
  const auto spec = claude::build_launch(launch, claude::current_environment());
  const std::string id = identity.id;
  std::shared_ptr<Session> session(new Session(home, std::move(identity), std::move(dir)));
  if (announce) announce(session);
  session->process_.emplace(claude::Process::spawn(home, spec, [id](std::string_view line) {
    spdlog::debug("session {} claude stderr: {}", id.substr(0, 8), line);
  }));
  asio::co_spawn(
      home, [session]() -> asio::awaitable<void> { co_await session->read_stdout(); },
      asio::detached);
  return session;
}

Session::Session(asio::any_io_executor home, Identity identity, claude::TempDir dir)
    : home_(std::move(home)),
      identity_(std::move(identity)),
      dir_(std::move(dir)),
      lines_(home_, kLineQueue) {}

Session::~Session() = default;  // Process and TempDir clean up whatever close() did not

asio::awaitable<void> Session::read_stdout() {
  try {
    while (auto line = co_await process_->read_line()) {
      if (line->empty()) continue;
      co_await lines_.async_send({}, std::move(*line), asio::use_awaitable);
    }
  } catch (const std::exception& error) {
    spdlog::debug("session {} stdout ended: {}", id().substr(0, 8), error.what());
  }
  lines_.try_send(asio::error::eof, std::string());
  lines_.close();
}

asio::awaitable<std::optional<std::string>> Session::next_line() {
  auto [ec, line] = co_await lines_.async_receive(asio::as_tuple(asio::use_awaitable));
  if (ec) co_return std::nullopt;
  {
    std::lock_guard lock(mutex_);
    last_active_ = Clock::now();
  }
  co_return std::move(line);
}

asio::awaitable<void> Session::skip_to_turn_end() {
  while (auto line = co_await next_line()) {
    boost::system::error_code ec;
    const auto parsed = json::parse(*line, ec);
    if (!ec && parsed.is_object() && translate::is_result_line(parsed.as_object())) co_return;
  }
}

asio::awaitable<void> Session::write_on_home(std::shared_ptr<Session> self, std::string bytes) {
  co_await self->process_->write(bytes);
}

asio::awaitable<void> Session::write(std::string bytes) {
  // A named task, not a lambda temporary: GCC 12 destroys temporaries inside a co_await
  // expression twice.
  auto task = write_on_home(shared_from_this(), std::move(bytes));
  co_await asio::co_spawn(home_, std::move(task), asio::use_awaitable);
}

void Session::interrupt() {
  asio::post(home_, [self = shared_from_this()] {
    if (self->process_) self->process_->interrupt();
  });
}

void Session::close() {
  {
    std::lock_guard lock(mutex_);
    if (closing_) return;
    closing_ = true;
  }
  asio::co_spawn(
      home_, [self = shared_from_this()] { return self->shut_down(); }, asio::detached);
}

asio::awaitable<void> Session::shut_down() {
  try {
    if (process_) {
      const int status = co_await process_->terminate(kTerminateGrace);
      spdlog::debug("session {} claude exited with status {}", id().substr(0, 8), status);
    }
  } catch (const std::exception& error) {
    spdlog::warn("session {}: ending claude failed: {}", id().substr(0, 8), error.what());
  }
  dir_.remove();
  lines_.close();
}

bool Session::closed() const {
  std::lock_guard lock(mutex_);
  return closing_;
}

bool Session::try_begin_turn() {
  std::lock_guard lock(mutex_);
  if (busy_ || closing_ || expired_) return false;
  busy_ = true;
  last_active_ = Clock::now();
  return true;
}

void Session::end_turn() {
  std::lock_guard lock(mutex_);
  busy_ = false;
  last_active_ = Clock::now();
}

bool Session::busy() const {
  std::lock_guard lock(mutex_);
  return busy_;
}

void Session::set_tools_allowed(bool allowed) {
  std::lock_guard lock(mutex_);
  tools_allowed_ = allowed;
}

bool Session::tools_allowed() const {
  std::lock_guard lock(mutex_);
  return tools_allowed_;
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

}  // namespace ccgate::gateway
