#include "claude/process.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <variant>
#include <vector>

#include "claude/line_buffer.hpp"
#include "claude/unique_fd.hpp"

namespace ccgate::claude {
namespace {

using boost::system::error_code;
using Descriptor = asio::posix::stream_descriptor;

constexpr auto as_result = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadChunk = 64 * 1024;
// A stderr "line" longer than this is handed over in pieces, so a flood without newlines cannot
// grow memory.
constexpr std::size_t kMaxStderrLine = 64 * 1024;

[[noreturn]] void throw_errno(int error, const std::string& what) {
  throw std::system_error(error, std::generic_category(), what);
}

// Both ends at 3 or above, so that dup2 onto 0, 1 and 2 in the child can never clobber one
// another, whatever this process has closed.
struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

UniqueFd above_standard_streams(UniqueFd fd) {
  if (fd.get() > STDERR_FILENO) return fd;
  UniqueFd moved(::fcntl(fd.get(), F_DUPFD_CLOEXEC, STDERR_FILENO + 1));
  if (!moved) throw_errno(errno, "cannot duplicate a pipe descriptor");
  return moved;
}

Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno(errno, "cannot create a pipe");
  Pipe pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
  pipe.read = above_standard_streams(std::move(pipe.read));
  pipe.write = above_standard_streams(std::move(pipe.write));
  return pipe;
}

class SpawnActions {
 public:
  SpawnActions() { ::posix_spawn_file_actions_init(&actions_); }
  ~SpawnActions() { ::posix_spawn_file_actions_destroy(&actions_); }
  SpawnActions(const SpawnActions&) = delete;
  SpawnActions& operator=(const SpawnActions&) = delete;
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

class SpawnAttributes {
 public:
  SpawnAttributes() { ::posix_spawnattr_init(&attributes_); }
  ~SpawnAttributes() { ::posix_spawnattr_destroy(&attributes_); }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
  posix_spawnattr_t* get() { return &attributes_; }

 private:
  posix_spawnattr_t attributes_;
};

// Its own process group (so one signal reaches everything it starts), no blocked signals, and
// default dispositions: ignored signals would otherwise survive exec (a SIGPIPE this process
// ignores, a SIGTERM the test ignores).
void configure(SpawnAttributes& attributes) {
  sigset_t none;
  sigemptyset(&none);
  sigset_t standard;
  sigemptyset(&standard);
  for (int signal = 1; signal < 32; ++signal)
    if (signal != SIGKILL && signal != SIGSTOP) sigaddset(&standard, signal);
  ::posix_spawnattr_setflags(
      attributes.get(), POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  ::posix_spawnattr_setpgroup(attributes.get(), 0);
  ::posix_spawnattr_setsigmask(attributes.get(), &none);
  ::posix_spawnattr_setsigdefault(attributes.get(), &standard);
}

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (const auto& string : strings) pointers.push_back(const_cast<char*>(string.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

int status_of(const siginfo_t& info) {
  return info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
}

// write(2) with SIGPIPE held back: a child that closed its stdin must give this process EPIPE,
// not kill it. SIGPIPE from a pipe write goes to the writing thread, so blocking it here and
// consuming it before unblocking leaves every other thread and handler untouched.
ssize_t write_without_sigpipe(int fd, std::string_view bytes) {
  sigset_t pipe_signal;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  sigset_t pending;
  sigpending(&pending);
  const bool already_pending = sigismember(&pending, SIGPIPE) == 1;
  sigset_t previous;
  ::pthread_sigmask(SIG_BLOCK, &pipe_signal, &previous);
  const ssize_t written = ::write(fd, bytes.data(), bytes.size());
  const int error = errno;
  if (written < 0 && error == EPIPE && !already_pending) {
    const timespec no_wait{};
    while (::sigtimedwait(&pipe_signal, nullptr, &no_wait) < 0 && errno == EINTR) {
    }
  }
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  errno = error;
  return written;
}

}  // namespace

namespace detail {

struct ProcessState {
  using LineHandler = Process::LineHandler;

  ProcessState(const asio::any_io_executor& executor, std::size_t max_line)
      : stdin_pipe(executor),
        stdout_pipe(executor),
        stderr_pipe(executor),
        pidfd(executor),
        stdout_lines(max_line),
        exited(executor, asio::steady_timer::time_point::max()),
        stderr_ended(executor, asio::steady_timer::time_point::max()) {}

  pid_t pid = -1;
  Descriptor stdin_pipe;
  Descriptor stdout_pipe;
  Descriptor stderr_pipe;
  Descriptor pidfd;  // readable once the child has exited
  LineBuffer stdout_lines;
  bool stdout_ended = false;
  std::optional<int> status;        // set once reaped
  asio::steady_timer exited;        // never expires; cancelled when status is set, waking waiters
  asio::steady_timer stderr_ended;  // likewise, cancelled when stderr has been drained
  bool stderr_done = false;
  LineHandler on_stderr;
  bool abandoned = false;  // the owner let go: no more callbacks

  void signal_group(int signal) const {
    if (!status) ::kill(-pid, signal);  // the unreaped child keeps the group id from reuse
  }

  bool has_exited() const {
    siginfo_t info{};
    return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           info.si_pid != 0;
  }

  // Kills what is left of the group first, while the child (a zombie, or about to be one) still
  // holds the group id, then reaps the child. Its pidfd and stdin have served then: closed.
  // (Stdout and stderr stay open until read to their end.)
  void kill_group_and_reap() {
    if (status) return;
    ::kill(-pid, SIGKILL);
    siginfo_t info{};
    while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED) != 0 && errno == EINTR) {
    }
    status = status_of(info);
    exited.cancel();
    error_code ignored;
    pidfd.close(ignored);
    stdin_pipe.close(ignored);
  }

  void deliver_stderr(std::string_view line) const {
    if (abandoned || !on_stderr) return;
    try {
      on_stderr(line);
    } catch (const std::exception& error) {
      spdlog::warn("claude[{}]: the stderr handler threw: {}", pid, error.what());
    }
  }

  void abandon() {
    abandoned = true;
    on_stderr = nullptr;
    kill_group_and_reap();
    error_code ignored;
    stdin_pipe.close(ignored);
    stdout_pipe.close(ignored);
    stderr_pipe.close(ignored);
    pidfd.close(ignored);
  }
};

}  // namespace detail

namespace {

using detail::ProcessState;

asio::awaitable<void> watch_exit(std::shared_ptr<ProcessState> state) {
  while (!state->status) {
    auto [error] = co_await state->pidfd.async_wait(Descriptor::wait_read, as_result);
    if (error || state->status) co_return;  // closed: the owner reaped it
    if (state->has_exited()) state->kill_group_and_reap();
  }
}

asio::awaitable<void> deliver_stderr_lines(const std::shared_ptr<ProcessState>& state) {
  LineBuffer lines(kMaxStderrLine);
  for (;;) {
    auto room = lines.prepare(kReadChunk);
    auto [error, size] = co_await state->stderr_pipe.async_read_some(
        asio::buffer(room.data(), room.size()), as_result);
    lines.commit(size);
    if (state->abandoned) co_return;
    while (auto line = lines.next_line()) state->deliver_stderr(*line);
    if (lines.overflowed() || (error && lines.pending() > 0))
      state->deliver_stderr(lines.take_rest());
    if (error) co_return;
  }
}

asio::awaitable<void> drain_stderr(std::shared_ptr<ProcessState> state) {
  co_await deliver_stderr_lines(state);
  error_code ignored;
  state->stderr_pipe.close(ignored);
  state->stderr_done = true;
  state->stderr_ended.cancel();
}

asio::awaitable<int> wait_until_reaped(std::shared_ptr<ProcessState> state) {
  while (!state->status) co_await state->exited.async_wait(as_result);
  co_return *state->status;
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(as_result);
}

asio::awaitable<std::optional<int>> wait_until_reaped_for(std::shared_ptr<ProcessState> state,
                                                          std::chrono::milliseconds timeout) {
  using namespace asio::experimental::awaitable_operators;
  if (state->status) co_return state->status;
  auto outcome = co_await (wait_until_reaped(state) || sleep_for(timeout));
  if (outcome.index() == 0) co_return std::get<0>(outcome);
  co_return std::nullopt;
}

ProcessState& checked(const std::shared_ptr<ProcessState>& state) {
  if (!state) throw std::logic_error("use of a moved-from claude::Process");
  return *state;
}

}  // namespace

Process Process::spawn(asio::any_io_executor executor, const LaunchSpec& spec,
                       LineHandler on_stderr, std::size_t max_line) {
  Pipe input = make_pipe();
  Pipe output = make_pipe();
  Pipe errors = make_pipe();

  SpawnActions actions;
  ::posix_spawn_file_actions_adddup2(actions.get(), input.read.get(), STDIN_FILENO);
  ::posix_spawn_file_actions_adddup2(actions.get(), output.write.get(), STDOUT_FILENO);
  ::posix_spawn_file_actions_adddup2(actions.get(), errors.write.get(), STDERR_FILENO);
  if (!spec.cwd.empty()) ::posix_spawn_file_actions_addchdir_np(actions.get(), spec.cwd.c_str());
  // Descriptors this process opened without O_CLOEXEC (other libraries) stay out of the child.
  ::posix_spawn_file_actions_addclosefrom_np(actions.get(), STDERR_FILENO + 1);
  SpawnAttributes attributes;
  configure(attributes);

  const std::vector<std::string> argv =
      spec.argv.empty() ? std::vector<std::string>{spec.path.string()} : spec.argv;
  auto argv_pointers = c_strings(argv);
  auto envp_pointers = c_strings(spec.envp);
  pid_t pid = -1;
  if (const int error = ::posix_spawn(&pid, spec.path.c_str(), actions.get(), attributes.get(),
                                      argv_pointers.data(), envp_pointers.data());
      error != 0) {
    const auto where = spec.cwd.empty() ? std::string() : " in " + spec.cwd.string();
    throw_errno(error, fmt::format("cannot start {}{}", spec.path.string(), where));
  }

  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  auto state = std::make_shared<ProcessState>(executor, max_line);
  state->pid = pid;
  if (!pidfd) {
    const int error = errno;
    state->kill_group_and_reap();
    throw_errno(error, "pidfd_open failed (Linux 5.3 or later is required)");
  }
  state->stdin_pipe.assign(input.write.release());
  state->stdout_pipe.assign(output.read.release());
  state->stderr_pipe.assign(errors.read.release());
  state->pidfd.assign(pidfd.release());
  state->stdin_pipe.native_non_blocking(true);
  state->on_stderr = on_stderr ? std::move(on_stderr) : [pid](std::string_view line) {
    spdlog::debug("claude[{}] stderr: {}", pid, line);
  };

  asio::co_spawn(executor, watch_exit(state), asio::detached);
  asio::co_spawn(executor, drain_stderr(state), asio::detached);
  return Process(std::move(state));
}

Process::Process(Process&& other) noexcept = default;

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    if (state_) state_->abandon();
    state_ = std::move(other.state_);
  }
  return *this;
}

Process::~Process() {
  if (state_) state_->abandon();
}

asio::awaitable<std::optional<std::string>> Process::read_line() {
  const auto state = state_;  // the object may be moved or destroyed while this waits
  auto& self = checked(state);
  for (;;) {
    if (auto line = self.stdout_lines.next_line()) co_return line;
    if (self.stdout_lines.overflowed())
      throw boost::system::system_error(
          asio::error::message_size,
          fmt::format("the Claude Code CLI wrote a stdout line longer than {} bytes",
                      self.stdout_lines.max_line()));
    if (self.stdout_ended) {
      if (self.stdout_lines.pending() > 0) co_return self.stdout_lines.take_rest();
      co_return std::nullopt;
    }
    auto room = self.stdout_lines.prepare(kReadChunk);
    auto [error, size] = co_await self.stdout_pipe.async_read_some(
        asio::buffer(room.data(), room.size()), as_result);
    self.stdout_lines.commit(size);
    if (error == asio::error::eof) {
      self.stdout_ended = true;
      error_code ignored;
      self.stdout_pipe.close(ignored);
    } else if (error) {
      throw boost::system::system_error(error, "reading the Claude Code CLI's stdout");
    }
  }
}

asio::awaitable<void> Process::write(std::string_view bytes) {
  const auto state = state_;
  auto& self = checked(state);
  while (!bytes.empty()) {
    if (!self.stdin_pipe.is_open())
      throw boost::system::system_error(asio::error::broken_pipe,
                                        "the Claude Code CLI's stdin is closed");
    const ssize_t written = write_without_sigpipe(self.stdin_pipe.native_handle(), bytes);
    if (written >= 0) {
      bytes.remove_prefix(static_cast<std::size_t>(written));
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      auto [error] = co_await self.stdin_pipe.async_wait(Descriptor::wait_write, as_result);
      if (error) throw boost::system::system_error(error, "writing to the Claude Code CLI");
    } else if (errno != EINTR) {
      throw boost::system::system_error(error_code(errno, boost::system::system_category()),
                                        "writing to the Claude Code CLI");
    }
  }
}

void Process::close_stdin() {
  error_code ignored;
  checked(state_).stdin_pipe.close(ignored);
}

void Process::interrupt() {
  checked(state_).signal_group(SIGINT);
}

asio::awaitable<int> Process::terminate(std::chrono::milliseconds grace) {
  const auto state = state_;
  checked(state).signal_group(SIGTERM);
  if (!co_await wait_until_reaped_for(state, grace)) state->signal_group(SIGKILL);
  co_return co_await wait_until_reaped(state);
}

asio::awaitable<void> Process::stderr_closed() {
  const auto state = state_;
  checked(state);
  while (!state->stderr_done) co_await state->stderr_ended.async_wait(as_result);
}

asio::awaitable<int> Process::wait() {
  const auto state = state_;
  checked(state);
  co_return co_await wait_until_reaped(state);
}

asio::awaitable<std::optional<int>> Process::wait_for(std::chrono::milliseconds timeout) {
  const auto state = state_;
  checked(state);
  co_return co_await wait_until_reaped_for(state, timeout);
}

pid_t Process::pid() const {
  return checked(state_).pid;
}

bool Process::running() const {
  const auto& self = checked(state_);
  return !self.status && !self.has_exited();
}

std::optional<int> Process::exit_status() const {
  return checked(state_).status;
}

}  // namespace ccgate::claude
