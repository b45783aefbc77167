#include "gateway/session_manager.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/algorithm/string/trim.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "translate/cli_stream.hpp"
#include "translate/sha256.hpp"

namespace ccgate::gateway {

std::string conversation_digest(const std::vector<openai::Message>& messages, std::size_t count) {
  std::string framed;  // each field length-prefixed, so no two conversations frame alike
  auto add = [&](std::string_view text) { framed += fmt::format("{}:{}", text.size(), text); };
  for (std::size_t i = 0; i < count && i < messages.size(); ++i) {
    const auto& message = messages[i];
    add(openai::role_name(message.role));
    add(boost::algorithm::trim_copy(openai::text_of(message)));
    for (const auto& call : message.tool_calls) {
      add(call.id);
      add(call.name);
    }
    add(message.tool_call_id);
  }
  return translate::sha256_hex(framed);
}

SessionManager::~SessionManager() {
  end_all();
}

std::shared_ptr<Session> SessionManager::find(std::string_view id) const {
  std::lock_guard lock(mutex_);
  const auto found = sessions_.find(id);
  return found == sessions_.end() ? nullptr : found->second;
}

namespace {

bool launched_like(const Session& session, const openai::ChatRequest& request, const ToolSet& tools,
                   std::string_view system_prompt, const std::vector<std::string>& mcp_servers) {
  const auto& identity = session.identity();
  return identity.model == request.model && identity.tools->signature == tools.signature &&
         identity.system_prompt == system_prompt &&
         server_names(identity.mcp_servers) == mcp_servers;
}

// The request's messages are the session's conversation and more.
bool extends_conversation(const Session& session, const openai::ChatRequest& request) {
  const std::size_t known = session.known_messages();
  return known != 0 && known < request.messages.size() &&
         conversation_digest(request.messages, known) == session.conversation_digest();
}

}  // namespace

std::shared_ptr<Session> SessionManager::find_by_conversation(
    const openai::ChatRequest& request, const ToolSet& tools, std::string_view system_prompt,
    const std::vector<std::string>& mcp_servers, std::string_view client_scope) const {
  std::vector<std::shared_ptr<Session>> candidates;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, session] : sessions_) candidates.push_back(session);
  }
  for (const auto& session : candidates) {
    if (session->conversation_key()) continue;  // found by its name only
    if (session->busy() || session->expired() || session->closed()) continue;
    if (session->client_scope() != client_scope) continue;  // another client's
    if (launched_like(*session, request, tools, system_prompt, mcp_servers) &&
        extends_conversation(*session, request))
      return session;
  }
  return nullptr;
}

SessionManager::NamedTurn SessionManager::begin_named_turn(
    const ConversationKey& key, const openai::ChatRequest& request, const ToolSet& tools,
    std::string_view system_prompt, const std::vector<std::string>& mcp_servers) {
  using Outcome = NamedTurn::Outcome;
  std::shared_ptr<Session> session;
  bool gone = false;
  {
    std::lock_guard lock(mutex_);
    auto [named, reserved] = names_.try_emplace(key, nullptr);
    if (reserved) return {Outcome::start, nullptr};
    if (!named->second) return {Outcome::busy, nullptr};
    session = named->second;
    if (!session->try_begin_turn()) {
      // Running a turn; else closing, expired or exited: it cannot go on, the name starts anew.
      if (session->busy() && !session->expired() && !session->closed())
        return {Outcome::busy, nullptr};
      named->second = nullptr;
      gone = true;
    }
  }
  if (gone) {
    end(session, session->expired() ? ExitCause::tool_call_timeout : ExitCause::crashed);
    return {Outcome::start, nullptr};
  }
  // Its turn is this request's: nothing changes its conversation while it is checked.
  if (!extends_conversation(*session, request)) {
    release_turn(session);
    return {Outcome::conflict, nullptr};
  }
  if (launched_like(*session, request, tools, system_prompt, mcp_servers))
    return {Outcome::continued, session};
  {
    std::lock_guard lock(mutex_);
    auto& named = names_[key];
    if (named != session) return {Outcome::busy, nullptr};  // ended and taken meanwhile
    named = nullptr;
  }
  spdlog::info(
      "session {}: its conversation goes on with another model, tool set or system "
      "prompt in a new session",
      session->id().substr(0, 8));
  end(session, ExitCause::replaced);
  return {Outcome::start, nullptr};
}

void SessionManager::bind_name(const ConversationKey& key,
                               const std::shared_ptr<Session>& session) {
  session->set_conversation_key(key);
  std::lock_guard lock(mutex_);
  names_[key] = session;
}

void SessionManager::release_name(const ConversationKey& key) {
  std::lock_guard lock(mutex_);
  const auto named = names_.find(key);
  if (named != names_.end() && !named->second) names_.erase(named);
}

void SessionManager::forget_name_locked(const std::shared_ptr<Session>& session) {
  const auto key = session->conversation_key();
  if (!key) return;
  const auto named = names_.find(*key);
  if (named != names_.end() && named->second == session) names_.erase(named);
}

void SessionManager::report_end(const Session& session, ExitCause cause, bool first) const {
  if (first && !session.spare() && end_hook_) end_hook_(session, cause);
}

asio::awaitable<std::shared_ptr<Session>> SessionManager::start(Session::Identity identity,
                                                                claude::LaunchSettings launch) {
  std::shared_ptr<Session> evicted;
  {
    std::lock_guard lock(mutex_);
    if (shutting_down_) throw ShuttingDown("ccgate is shutting down; no new conversation starts");
    if (sessions_.size() + starting_ >= settings_.max_sessions) {
      evicted = make_room_locked();
      if (evicted && !evicted->spare()) meters_.sessions_evicted.inc();
      if (!evicted) {
        meters_.sessions_refused.inc();
        throw TooManySessions(fmt::format(
            "all {} Claude Code sessions are busy (MAX_SESSIONS): each is running a turn or "
            "waiting for a tool result; try again shortly",
            settings_.max_sessions));
      }
    }
    ++starting_;  // holds the place while the CLI starts, so concurrent starts cannot overshoot
  }
  if (evicted) {
    spdlog::info("session {} makes room for a new conversation (MAX_SESSIONS={})",
                 evicted->id().substr(0, 8), settings_.max_sessions);
    end(evicted, ExitCause::evicted);
  }
  const std::string id = identity.id;
  std::shared_ptr<Session> session;
  try {
    session = co_await Session::start(home_, std::move(identity), std::move(launch), setup(false));
  } catch (...) {
    std::lock_guard lock(mutex_);
    if (sessions_.erase(id) == 0) --starting_;  // failed before it was announced
    throw;
  }
  std::lock_guard lock(mutex_);
  spdlog::info("session {} started ({} sessions live)", id.substr(0, 8), sessions_.size());
  co_return session;
}

Session::Setup SessionManager::setup(bool spare) {
  return Session::Setup{
      .max_line_size = settings_.max_line_size,
      .max_line_depth = settings_.max_json_depth + translate::kCliEnvelopeDepth,
      // Registered before the CLI starts: a fast CLI's first MCP request must find its session.
      .announce =
          [this](const std::shared_ptr<Session>& created) {
            std::lock_guard lock(mutex_);
            --starting_;
            sessions_.emplace(created->id(), created);
          },
      .output_ended =
          [this](const std::shared_ptr<Session>& exited) {
            spdlog::info("session {}: Claude Code exited {}", exited->id().substr(0, 8),
                         exited->spare() ? "while a spare" : "between turns");
            end(exited, ExitCause::crashed);
          },
      .spare = spare,
      .ready = [&started = spare ? meters_.cli_start_spare : meters_.cli_start_conversation](
                   Session::Clock::duration took) { started.observe(took); },
      .exited = [&meters = meters_](ExitCause cause) { meters.cli_exit(cause).inc(); },
  };
}

std::shared_ptr<Session> SessionManager::adopt_spare(const LaunchKey& key) {
  std::shared_ptr<Session> adopted;
  std::vector<std::shared_ptr<Session>> gone;  // exited or closing meanwhile
  {
    std::lock_guard lock(mutex_);
    if (shutting_down_) return nullptr;
    for (auto spare = spares_.begin(); spare != spares_.end();) {
      if (spare->key != key) {
        ++spare;
        continue;
      }
      auto session = std::move(spare->session);
      spare = spares_.erase(spare);
      if (session->claim_spare()) {
        adopted = std::move(session);
        break;
      }
      gone.push_back(std::move(session));
    }
  }
  for (const auto& session : gone) end(session, ExitCause::crashed);  // see claim_spare()
  if (adopted)
    spdlog::info("session {} (a spare) takes a new conversation", adopted->id().substr(0, 8));
  return adopted;
}

void SessionManager::start_spare(LaunchKey key, Session::Identity identity,
                                 claude::LaunchSettings launch) {
  {
    std::lock_guard lock(mutex_);
    if (shutting_down_ || spares_.size() + spares_starting_ >= settings_.spare_sessions ||
        sessions_.size() + starting_ >= settings_.max_sessions)
      return;
    ++starting_;
    ++spares_starting_;
  }
  asio::co_spawn(home_, prestart(std::move(key), std::move(identity), std::move(launch)),
                 asio::detached);
}

asio::awaitable<void> SessionManager::prestart(LaunchKey key, Session::Identity identity,
                                               claude::LaunchSettings launch) {
  const std::string id = identity.id;
  std::shared_ptr<Session> spare;
  try {
    spare = co_await Session::start(home_, std::move(identity), std::move(launch), setup(true));
  } catch (const std::exception& failed) {
    spdlog::warn("a spare Claude Code session cannot start: {}", failed.what());
  }
  bool kept = false;
  bool closing = false;
  {
    std::lock_guard lock(mutex_);
    --spares_starting_;
    if (!spare && sessions_.erase(id) == 0) --starting_;  // failed before it was announced
    // Shutdown may have begun, or its CLI exited already, while it started.
    kept = spare && !shutting_down_ && spare->spare() && !spare->closed();
    closing = shutting_down_;
    if (kept) spares_.push_back(Spare{std::move(key), spare});
  }
  if (kept)
    spdlog::info("spare session {} started ({} sessions live)", id.substr(0, 8), size());
  else if (spare)
    end(spare, closing ? ExitCause::shutdown : ExitCause::crashed);
}

std::size_t SessionManager::spares() const {
  std::lock_guard lock(mutex_);
  return spares_.size();
}

// A spare (the oldest), else the least recently used idle session, claimed and removed; null
// when every session is busy.
std::shared_ptr<Session> SessionManager::make_room_locked() {
  if (!spares_.empty()) {
    auto spare = std::move(spares_.front().session);
    spares_.erase(spares_.begin());
    sessions_.erase(spare->id());
    return spare;
  }
  std::vector<std::shared_ptr<Session>> idle;
  for (const auto& [id, session] : sessions_)
    if (session->idle()) idle.push_back(session);
  std::ranges::sort(idle, {}, [](const auto& session) { return session->last_active(); });
  for (const auto& session : idle) {
    // A session waiting for the client's tool results is not idle, whatever its turn says.
    const auto unanswered = [&] { return tool_calls_.unanswered(session->id()); };
    if (!session->retire(unanswered)) continue;  // it began a turn meanwhile
    sessions_.erase(session->id());
    return session;
  }
  return nullptr;
}

void SessionManager::end(const std::shared_ptr<Session>& session, ExitCause cause) {
  if (!session) return;
  {
    std::lock_guard lock(mutex_);
    std::erase_if(spares_, [&](const Spare& spare) { return spare.session == session; });
    forget_name_locked(session);
    if (sessions_.erase(session->id()) == 0 && session->closed()) return;
  }
  // Before the tool calls are cancelled: a turn reading the output then knows why it stopped.
  const bool first = session->close(cause);
  tool_calls_.cancel_session(session->id());
  spdlog::info("session {} ended ({})", session->id().substr(0, 8),
               exit_cause_name(session->exit_cause()));
  report_end(*session, cause, first);
}

void SessionManager::release_turn(const std::shared_ptr<Session>& session) {
  if (session->end_turn())
    end(session, session->expired() ? ExitCause::tool_call_timeout : ExitCause::crashed);
  else if (shutting_down())
    end(session, ExitCause::shutdown);
}

void SessionManager::end_all() {
  std::map<std::string, std::shared_ptr<Session>, std::less<>> all;
  {
    std::lock_guard lock(mutex_);
    all.swap(sessions_);
    spares_.clear();
    names_.clear();
  }
  for (auto& [id, session] : all) {
    const bool first = session->close(ExitCause::shutdown);
    tool_calls_.cancel_session(id);
    report_end(*session, ExitCause::shutdown, first);
  }
}

std::size_t SessionManager::sweep_idle(Session::Clock::time_point now) {
  std::vector<std::shared_ptr<Session>> idle;
  std::vector<std::shared_ptr<Session>> unused;  // spares
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, session] : sessions_)
      if (!session->busy() && now - session->last_active() > settings_.session_idle_timeout)
        idle.push_back(session);
    // Taken out of the pool here, so that no conversation adopts one on its way out.
    std::erase_if(spares_, [&](const Spare& spare) {
      if (now - spare.session->last_active() <= settings_.spare_idle_timeout) return false;
      unused.push_back(spare.session);
      return true;
    });
  }
  meters_.sessions_evicted.inc(idle.size());
  for (const auto& session : idle) end(session, ExitCause::idle);
  for (const auto& session : unused) end(session, ExitCause::idle);
  if (!unused.empty())
    spdlog::info("ended {} spare session(s) unused for SPARE_IDLE_TIMEOUT", unused.size());
  return idle.size();
}

std::size_t SessionManager::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

std::string_view state_name(SessionView::State state) {
  switch (state) {
    case SessionView::State::spare:
      return "spare";
    case SessionView::State::running:
      return "running a turn";
    case SessionView::State::waiting_for_tools:
      return "waiting for a tool result";
    default:
      return "idle";
  }
}

std::vector<SessionView> SessionManager::list(Session::Clock::time_point now) const {
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, session] : sessions_) live.push_back(session);
  }
  std::vector<SessionView> views;
  for (const auto& session : live) {
    // A turn ends when its tool calls are handed out, while the CLI still waits in its MCP call:
    // the unanswered calls, not the turn, tell that the session waits for the client.
    const std::size_t pending = tool_calls_.unanswered(session->id());
    const auto state = session->spare()  ? SessionView::State::spare
                       : pending != 0    ? SessionView::State::waiting_for_tools
                       : session->busy() ? SessionView::State::running
                                         : SessionView::State::idle;
    const auto key = session->conversation_key();
    views.push_back({.id = session->id().substr(0, 8),
                     .session_id = session->id(),
                     .name = key ? key->name : std::string(),
                     .model = session->identity().model,
                     .state = state,
                     .age = now - session->created(),
                     .idle_for = now - session->last_active(),
                     .pending_tool_calls = pending,
                     .started = session->conversation_started(),
                     .stats = session->stats()});
  }
  std::sort(views.begin(), views.end(),
            [](const SessionView& a, const SessionView& b) { return a.age > b.age; });
  return views;
}

void SessionManager::begin_shutdown() {
  std::vector<std::shared_ptr<Session>> all;
  std::vector<std::shared_ptr<Session>> spares;
  {
    std::lock_guard lock(mutex_);
    shutting_down_ = true;
    for (const auto& [id, session] : sessions_) all.push_back(session);
    for (const auto& spare : spares_) spares.push_back(spare.session);
    spares_.clear();
  }
  for (const auto& spare : spares) end(spare, ExitCause::shutdown);  // nobody will adopt it
  for (const auto& session : all) {
    tool_calls_.cancel_session(session->id());
    // No turn runs: nobody will continue it. A running turn ends it when it ends (the door asks
    // shutting_down()).
    if (session->try_begin_drain()) end(session, ExitCause::shutdown);
  }
}

bool SessionManager::shutting_down() const {
  std::lock_guard lock(mutex_);
  return shutting_down_;
}

}  // namespace ccgate::gateway
