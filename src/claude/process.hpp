#pragma once
// One child process (the Claude Code CLI) in its own process group: stdin, stdout and stderr as
// pipes on the event loop, exit observed through a pidfd (no SIGCHLD handler), and the whole
// group ended and reaped whatever path its owner takes, so no zombie or orphan is left behind.
//
// Like any Asio I/O object, a Process is spawned, used and destroyed on the thread that runs its
// executor (its descriptors belong to that event loop) and must be destroyed before the
// io_context. One read_line() and one write() may be in flight at a time. Each descriptor is
// closed as soon as it has served: the pidfd and stdin once the child is reaped, stdout and
// stderr at their end; the destructor closes whatever is left.

#include <sys/types.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "claude/launch.hpp"
#include "claude/line_buffer.hpp"

namespace ccgate::claude {

namespace asio = boost::asio;

namespace detail {
struct ProcessState;
}

class Process {
 public:
  // Receives each stderr line (without its '\n'); overlong lines arrive in pieces. Never called
  // after the Process is destroyed.
  using LineHandler = std::function<void(std::string_view line)>;
  static constexpr std::size_t kUnlimitedLine = LineBuffer::kUnlimited;

  // Starts spec.path (no PATH search) with spec.argv, spec.envp, in spec.cwd (if set). Stderr
  // is read continuously and handed to `on_stderr` (default: logged at debug level), so a
  // chatty stderr can never block the child. A stdout line may be at most `max_line` bytes (see
  // read_line()). Throws std::system_error whose message names the program when it cannot be
  // started.
  static Process spawn(asio::any_io_executor executor, const LaunchSpec& spec,
                       LineHandler on_stderr = {}, std::size_t max_line = kUnlimitedLine);

  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  // If the child is still alive: SIGKILL to its group, then reap it (immediate after SIGKILL).
  ~Process();

  // The next stdout line without its '\n'; an unterminated last line is returned too;
  // std::nullopt at end of stream. Throws boost::system::system_error on a read error, and with
  // asio::error::message_size for a line longer than max_line (never buffering more than
  // max_line + 1 bytes of it).
  asio::awaitable<std::optional<std::string>> read_line();

  // Writes all of `bytes` to stdin, which stays open across calls. Throws
  // boost::system::system_error (broken_pipe once the child has gone; SIGPIPE is never raised).
  asio::awaitable<void> write(std::string_view bytes);

  // End of input: the CLI finishes its turn and exits.
  void close_stdin();

  // SIGINT to the group (no effect once the child has exited).
  void interrupt();

  // SIGTERM to the group; SIGKILL to the group if the child has not exited after `grace`; then
  // the exit status (see wait()).
  asio::awaitable<int> terminate(std::chrono::milliseconds grace);

  // Waits for the child to exit. The exit status: the exit code, or 128 + the signal number if
  // a signal ended it. When the child exits, whatever is left of its process group (processes it
  // started) is killed before the child is reaped.
  asio::awaitable<int> wait();

  // Like wait(), but gives up after `timeout`; std::nullopt if the child is still running.
  asio::awaitable<std::optional<int>> wait_for(std::chrono::milliseconds timeout);

  // Waits until stderr has reached its end and every line has been handed to the handler.
  asio::awaitable<void> stderr_closed();

  pid_t pid() const;
  // False once the child has exited (even if not yet reaped).
  bool running() const;
  // The exit status once the child has been reaped.
  std::optional<int> exit_status() const;

 private:
  explicit Process(std::shared_ptr<detail::ProcessState> state) : state_(std::move(state)) {}
  // Shared with the background coroutines (stderr, exit) and with suspended calls, so that
  // moving or destroying the Process never leaves them dangling.
  std::shared_ptr<detail::ProcessState> state_;
};

}  // namespace ccgate::claude
