#include "gateway/executors.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <system_error>

#include "claude/launch.hpp"
#include "claude/process.hpp"
#include "gateway/builtin_tools.hpp"
#include "translate/text.hpp"
#include "translate/tool_names.hpp"

namespace ccgate::gateway {
namespace asio = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;
using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto as_result = asio::as_tuple(asio::use_awaitable);
// What an error result quotes of a failed tool's own words (its stderr, or an error answer).
constexpr std::size_t kQuotedDetail = 1000;

long long elapsed_ms(Clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
}

std::string quoted_detail(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  if (text.size() > kQuotedDetail) text.remove_prefix(text.size() - kQuotedDetail);
  while (!text.empty() && translate::is_utf8_continuation(text.front())) text.remove_prefix(1);
  return text.empty() ? std::string() : ": " + translate::valid_utf8(text);
}

// PATH, LANG and LC_* from ccgate's own environment, HOME private to the conversation, then the
// tool's own variables: nothing else of ccgate's (keys, secrets) reaches the command.
claude::Environment command_environment(const CommandRun& command, const fs::path& home) {
  claude::Environment environment;
  bool has_path = false;
  for (const auto& entry : claude::current_environment()) {
    const std::string_view name = std::string_view(entry).substr(0, entry.find('='));
    if (name == "PATH" || name == "LANG" || name.starts_with("LC_")) {
      environment.push_back(entry);
      has_path = has_path || name == "PATH";
    }
  }
  if (!has_path) environment.emplace_back("PATH=/usr/local/bin:/usr/bin:/bin");
  environment.push_back("HOME=" + home.string());
  for (const auto& [name, value] : command.env) {
    std::erase_if(environment, [&](const std::string& entry) {
      return entry.starts_with(name) && entry.size() > name.size() && entry[name.size()] == '=';
    });
    environment.push_back(name + "=" + value);
  }
  return environment;
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(as_result);
}

// The input on stdin, then end of input. A command that exits without reading it is fine.
asio::awaitable<void> feed(claude::Process& process, std::string input) {
  try {
    co_await process.write(input);
  } catch (const boost::system::system_error&) {
  }
  process.close_stdin();
}

struct OutputTooLarge {};

struct Finished {
  enum class Failure { none, output_too_large, unreadable };
  std::string output;
  int status = 0;
  Failure failure = Failure::none;
  std::string error{};  // unreadable: why
};

// Stdout to its end (at most max_output bytes), then the exit status.
asio::awaitable<Finished> collect(claude::Process& process, std::size_t max_output) {
  Finished finished;
  bool first = true;
  while (auto line = co_await process.read_line()) {
    if (!first) finished.output += '\n';
    first = false;
    finished.output += *line;
    if (finished.output.size() > max_output) throw OutputTooLarge{};
  }
  finished.status = co_await process.wait();
  co_return finished;
}

// The exchange with the command, its failures as values: an awaitable `||` ends at the first
// branch that succeeds, not at one that throws.
asio::awaitable<Finished> exchange(claude::Process& process, std::string input,
                                   std::size_t max_output) {
  try {
    co_return co_await (feed(process, std::move(input)) && collect(process, max_output));
  } catch (const OutputTooLarge&) {
    co_return Finished{.failure = Finished::Failure::output_too_large};
  } catch (const boost::system::system_error& error) {
    if (error.code() == asio::error::operation_aborted) throw;  // cancelled: another branch won
    if (error.code() == asio::error::message_size)
      co_return Finished{.failure = Finished::Failure::output_too_large};
    co_return Finished{.failure = Finished::Failure::unreadable, .error = error.what()};
  }
}

}  // namespace

// A cancellation of the MCP call, carried to the command's own coroutine on the gateway's loop.
struct Executors::StopRequest : std::enable_shared_from_this<StopRequest> {
  explicit StopRequest(asio::any_io_executor loop)
      : timer(std::move(loop), asio::steady_timer::time_point::max()) {}
  // Any thread.
  void request() {
    asio::post(timer.get_executor(), [self = shared_from_this()] {
      self->requested = true;
      self->timer.cancel();
    });
  }
  // The loop only.
  asio::awaitable<void> wait() {
    while (!requested) co_await timer.async_wait(as_result);
  }
  asio::steady_timer timer;
  bool requested = false;
};

Executors::Executors(std::vector<ToolExecutor> tools, asio::any_io_executor loop,
                     WebhookClient& webhooks)
    : tools_(std::move(tools)), loop_(std::move(loop)), webhooks_(webhooks) {}

std::vector<mcp::Tool> Executors::mcp_tools() const {
  std::vector<mcp::Tool> listed;
  for (const auto& tool : tools_)
    listed.push_back(mcp::Tool{
        .name = tool.name, .description = tool.description, .input_schema = tool.input_schema});
  return listed;
}

const ToolExecutor* Executors::find(std::string_view name) const {
  const auto found = std::ranges::find(tools_, name, &ToolExecutor::name);
  return found == tools_.end() ? nullptr : &*found;
}

std::optional<std::string> Executors::name_clash(
    const std::vector<openai::Tool>& client_tools) const {
  if (tools_.empty() || client_tools.empty()) return std::nullopt;
  std::vector<std::string> names;
  for (const auto& tool : client_tools) names.push_back(tool.name);
  const translate::ToolNames mapped(names);
  for (const auto& name : names) {
    const std::string seen = mapped.safe_for(name).value_or(name);
    if (!find(name) && !find(seen)) continue;
    return fmt::format(
        "tools: the client tool '{}' has the name of a tool this gateway runs itself{}; give it "
        "another name",
        name, seen == name ? "" : fmt::format(" (the model would see it as '{}')", seen));
  }
  return std::nullopt;
}

asio::awaitable<mcp::CallResult> Executors::call(const ToolExecutor& tool,
                                                 std::shared_ptr<Session> session,
                                                 json::object input) {
  std::string body = json::serialize(input);
  if (const auto* webhook = std::get_if<WebhookRun>(&tool.run))
    co_return co_await call_webhook(tool, *webhook, *session, std::move(body));

  // The command runs on the gateway's loop (its process belongs there). This call's
  // cancellation reaches it as a StopRequest posted to that loop.
  auto stop = std::make_shared<StopRequest>(loop_);
  auto slot = (co_await asio::this_coro::cancellation_state).slot();
  if (slot.is_connected()) slot.assign([stop](asio::cancellation_type) { stop->request(); });
  struct ClearSlot {
    asio::cancellation_slot slot;
    ~ClearSlot() {
      if (slot.is_connected()) slot.clear();
    }
  } clear{slot};
  auto task =
      run_command(tool, std::get<CommandRun>(tool.run), std::move(session), std::move(body), stop);
  co_return co_await asio::co_spawn(
      loop_, std::move(task),
      asio::bind_cancellation_slot(asio::cancellation_slot(), asio::use_awaitable));
}

asio::awaitable<mcp::CallResult> Executors::call_webhook(const ToolExecutor& tool,
                                                         const WebhookRun& webhook,
                                                         const Session& session,
                                                         std::string input) {
  const auto started = Clock::now();
  WebhookCall call{.url = webhook.url,
                   .headers = webhook.headers,
                   .body = std::move(input),
                   .timeout = webhook.timeout,
                   .max_answer = webhook.max_output};
  call.headers.emplace_back("x-ccgate-tool", tool.name);
  call.headers.emplace_back("x-ccgate-conversation", session.id().substr(0, 8));
  const auto answer = co_await webhooks_.post(std::move(call));
  const auto outcome = !answer.error.empty() ? answer.error : fmt::format("HTTP {}", answer.status);
  spdlog::info("session {} server-side tool {} (webhook): {} in {} ms", session.id().substr(0, 8),
               tool.name, outcome, elapsed_ms(started));
  if (answer.ok()) co_return mcp::CallResult{translate::valid_utf8(answer.body), false};
  if (answer.error.starts_with("not reached"))  // the details name the server's network: logged
    co_return mcp::CallResult{
        fmt::format("{} failed: its service could not be reached.", tool.name), true};
  if (!answer.error.empty())
    co_return mcp::CallResult{
        fmt::format("{} failed: its service gave {}.", tool.name, answer.error), true};
  co_return mcp::CallResult{fmt::format("{} failed: its service answered HTTP {}{}", tool.name,
                                        answer.status, quoted_detail(answer.body)),
                            true};
}

asio::awaitable<mcp::CallResult> Executors::run_command(const ToolExecutor& tool,
                                                        const CommandRun& command,
                                                        std::shared_ptr<Session> session,
                                                        std::string input,
                                                        std::shared_ptr<StopRequest> stop) {
  const std::string id = session->id().substr(0, 8);
  if (session->closed()) co_return mcp::CallResult{"This conversation has ended.", true};
  const Session::Task task(session);  // closing the session waits for this run to end
  const auto started = Clock::now();
  const auto& layout = session->layout();
  std::error_code made;
  fs::create_directories(layout.tool_home(), made);
  fs::permissions(layout.tool_home(), fs::perms::owner_all, fs::perm_options::replace, made);
  const claude::LaunchSpec spec{command.argv.front(), command.argv,
                                command_environment(command, layout.tool_home()), layout.work()};
  auto stderr_tail = std::make_shared<std::string>();
  auto on_stderr = [stderr_tail, id, name = tool.name](std::string_view line) {
    spdlog::debug("session {} server-side tool {} stderr: {}", id, name, line);
    *stderr_tail += line;
    *stderr_tail += '\n';
    if (stderr_tail->size() > 2 * kQuotedDetail)
      stderr_tail->erase(0, stderr_tail->size() - kQuotedDetail);
  };

  std::optional<claude::Process> process;
  try {
    process.emplace(claude::Process::spawn(loop_, spec, on_stderr, command.max_output));
  } catch (const std::exception& failed) {
    spdlog::warn("session {} server-side tool {} (command) cannot start: {}", id, tool.name,
                 failed.what());
    co_return mcp::CallResult{
        fmt::format("{} could not be started on this server; its log says why.", tool.name), true};
  }

  auto ended = co_await (exchange(*process, std::move(input), command.max_output) ||
                         sleep_for(command.timeout) || stop->wait() || task.stopped());
  std::string outcome;
  mcp::CallResult result{{}, true};
  switch (ended.index()) {
    case 0: {
      const auto& finished = std::get<0>(ended);
      if (finished.failure == Finished::Failure::output_too_large) {
        outcome = "output over max_output";
        result.text =
            fmt::format("{} wrote more than {} bytes of output (its max_output); it was stopped.",
                        tool.name, command.max_output);
      } else if (finished.failure == Finished::Failure::unreadable) {
        outcome = fmt::format("reading its output failed: {}", finished.error);
        result.text = fmt::format("{} failed: its output could not be read.", tool.name);
      } else if (finished.status == 0) {
        outcome = "exit status 0";
        result = mcp::CallResult{translate::valid_utf8(finished.output), false};
      } else {
        outcome = fmt::format("exit status {}", finished.status);
        const std::string& words = stderr_tail->empty() ? finished.output : *stderr_tail;
        result.text = fmt::format("{} failed (exit status {}){}", tool.name, finished.status,
                                  quoted_detail(words));
      }
      break;
    }
    case 1:
      outcome = "timed out";
      result.text = fmt::format("{} did not finish within {} (its timeout); it was stopped.",
                                tool.name, translate::seconds_text(command.timeout));
      break;
    case 2:
      outcome = "cancelled";
      result.text = "The call was cancelled.";
      break;
    default:
      outcome = "ended with its conversation";
      result.text = "This conversation has ended.";
      break;
  }
  process.reset();  // kills what is left of its process group, and reaps it
  spdlog::info("session {} server-side tool {} (command): {} in {} ms", id, tool.name, outcome,
               elapsed_ms(started));
  co_return result;
}

std::chrono::milliseconds longest_timeout(const std::vector<ToolExecutor>& tools) {
  std::chrono::milliseconds longest{0};
  for (const auto& tool : tools) longest = std::max(longest, tool.timeout());
  return longest;
}

std::optional<OwnToolVerdict> own_tool_verdict(const Session& session, std::string_view tool_name,
                                               const json::value& input) {
  constexpr std::string_view kPrefix = translate::ToolNames::kCliPrefix;
  if (tool_name.starts_with(kPrefix) &&
      session.tools().is_executor(tool_name.substr(kPrefix.size())))
    return OwnToolVerdict{.allowed = true, .input = input};
  const auto& builtins = session.identity().builtin_tools;
  if (std::ranges::find(builtins, tool_name) == builtins.end()) return std::nullopt;
  auto verdict = check_builtin_call(tool_name, input, session.layout().work());
  return OwnToolVerdict{.allowed = verdict.allowed,
                        .message = std::move(verdict.message),
                        .input = std::move(verdict.input)};
}

}  // namespace ccgate::gateway
