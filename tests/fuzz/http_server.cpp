// The HTTP server's request handling, end to end: the fuzzer's bytes are sent to a real
// http::Server (one worker, loopback, a 4 KiB body limit) over a TCP connection, the client
// half-closes, and reads what comes back. That runs the server's own code (request parsing with
// its limits, 100-continue, pipelining, the errors it answers by itself, the linger before
// closing, the client-gone watch, handlers that throw or never answer) and not only Beast's
// parser, at the price of a loopback round trip per input.
//
// The handler answers by path: /stream streams, /throw throws, /silent returns without a
// response, /unfinished begins a stream and returns; anything else echoes the request line.
//
// Properties, besides ASan/UBSan: the server closes a half-closed connection within 5 s
// (no hang); what it sends starts with a well-formed HTTP/1.x response whose status is one it
// may send; and the server keeps serving (each input opens a new connection).

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>

#include "fuzz_support.hpp"
#include "http/server.hpp"

namespace {

namespace asio = boost::asio;
namespace http = ccgate::http;
using ccgate::fuzz::require;
using ccgate::fuzz::violated;
using namespace std::chrono_literals;

constexpr auto kCloseDeadline = 5s;

asio::awaitable<void> handle(http::Exchange& exchange) {
  const auto path = exchange.path();
  const std::string echo = std::string(exchange.request().method_string()) + " " +
                           std::string(exchange.target()) + " " +
                           std::to_string(exchange.request().body().size());
  if (path == "/throw") throw std::runtime_error("the handler failed");
  if (path == "/silent") co_return;
  if (path == "/stream" || path == "/unfinished") {
    co_await exchange.begin_stream(http::Status::ok, "text/event-stream");
    co_await exchange.write("data: " + echo + "\n\n");
    if (path == "/unfinished") co_return;
    co_await exchange.write(exchange.request().body());
    co_await exchange.end_stream();
    co_return;
  }
  co_await exchange.respond(http::Status::ok, echo, "text/plain");
}

// One server for the whole run, on its own thread.
class ServerUnderTest {
 public:
  ServerUnderTest() {
    http::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 1;
    options.body_limit = 4096;
    options.header_timeout = 2s;
    options.idle_timeout = 2s;
    server_ = std::make_unique<http::Server>(
        options, [](asio::io_context&) -> http::Handler { return handle; });
    port_ = server_->listen();
    thread_ = std::thread([this] {
      server_->run();
      // Only a signal stops it (Server::run handles SIGINT/SIGTERM): end the run the same way.
      std::fprintf(stderr, "http_server: the server under test stopped; exiting\n");
      std::_Exit(0);
    });
  }

  std::uint16_t port() const { return port_; }

 private:
  std::unique_ptr<http::Server> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  require(fd >= 0, "a client socket can be opened");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    // A signal (libFuzzer's timer) can interrupt a blocking connect, which then goes on by
    // itself: wait for it instead of taking the harness's EINTR for the server's refusal.
    int error = errno;
    if (error == EINTR) {
      pollfd writable{.fd = fd, .events = POLLOUT, .revents = 0};
      while (::poll(&writable, 1, -1) < 0 && errno == EINTR) {
      }
      socklen_t length = sizeof error;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
    }
    if (error != 0) violated("the server keeps accepting connections", std::strerror(error));
  }
  return fd;
}

// Closes without leaving the client's port in TIME_WAIT (the server has closed its side by now):
// at thousands of connections a second, TIME_WAIT would use up the ephemeral ports.
void close_at_once(int fd) {
  const linger abort_on_close{.l_onoff = 1, .l_linger = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
  ::close(fd);
}

void send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const auto sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return;  // the server closed early (after refusing the request): fine
    bytes.remove_prefix(static_cast<std::size_t>(sent));
  }
}

// Everything the server sends until it closes; a violated property if it does not close.
std::string read_until_closed(int fd) {
  std::string received;
  const auto deadline = std::chrono::steady_clock::now() + kCloseDeadline;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    require(left.count() > 0, "the server closes a half-closed connection within 5 s", received);
    pollfd wait{.fd = fd, .events = POLLIN, .revents = 0};
    const int ready = ::poll(&wait, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char buffer[16384];
    const auto n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return received;  // closed (or reset after a refusal)
    received.append(buffer, static_cast<std::size_t>(n));
  }
}

void check_first_response(const std::string& received) {
  if (received.empty()) return;  // the client was gone before an answer (half-close)
  namespace beast_http = boost::beast::http;
  beast_http::response_parser<beast_http::string_body> parser;
  parser.skip(true);  // the body's framing depends on the request (HEAD): the head is enough
  boost::system::error_code ec;
  parser.put(boost::asio::buffer(received), ec);
  require(!ec || ec == beast_http::error::need_more, "the server's answer is well-formed HTTP",
          received);
  if (!parser.is_header_done()) return;  // cut short: the client half-closed first
  const unsigned status = parser.get().result_int();
  require(status == 100 || status == 200 || status == 400 || status == 413 || status == 431 ||
              status == 500,
          "the server answers 100, 200, 400, 413, 431 or 500", received);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Never destroyed: its thread runs until the process exits.
  static const auto* server = new ServerUnderTest;
  const int fd = connect_to(server->port());
  send_all(fd, std::string_view(reinterpret_cast<const char*>(data), size));
  ::shutdown(fd, SHUT_WR);
  const std::string received = read_until_closed(fd);
  close_at_once(fd);
  check_first_response(received);
  return 0;
}
