#pragma once
// The HTTP/1.1 server: one event loop per thread, keep-alive, limits, timeouts, graceful shutdown.
// It knows nothing of LLMs: a Handler receives an Exchange and answers it, whole or streamed.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ccgate::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using Request = beast::http::request<beast::http::string_body>;
using Status = beast::http::status;
using Fields = beast::http::fields;

namespace detail {
struct ServerConnection;
}

// One request and its response. A handler either calls respond() once, or begin_stream(),
// any number of write() calls and end_stream(). When the client hangs up, the handler's
// coroutine is cancelled (its pending asynchronous operations complete with operation_aborted).
// A client that accepts no bytes for write_timeout is dropped: the pending write throws.
// Responses to HEAD requests carry the head only; to HTTP/1.0 clients a stream is sent unchunked
// and ends with the connection.
class Exchange {
 public:
  Exchange(detail::ServerConnection& connection, Request& request);
  // An exchange on a bare stream, with no timeouts: for tests that need a peer address a
  // loopback socket cannot have.
  Exchange(beast::tcp_stream& stream, Request& request, std::string remote,
           std::uint16_t remote_port = 0);

  const Request& request() const { return request_; }
  // Frees the request body once the handler has what it needs from it: a long answer need not
  // hold a request of megabytes.
  void discard_request_body();
  std::string_view target() const { return request_.target(); }
  std::string_view path() const;                         // target without the query string
  std::string_view query() const;                        // after '?', empty if none
  std::string_view header(std::string_view name) const;  // empty if absent
  const std::string& remote_address() const;
  std::uint16_t remote_port() const;
  bool loopback_peer() const;
  // Added to whichever response this exchange sends (e.g. CORS headers decided at admission).
  void add_response_field(std::string_view name, std::string_view value);
  // The client's valid x-request-id, else a new one (ServerOptions::new_request_id); every
  // response carries it as x-request-id and request-id. Empty when the server makes no ids.
  const std::string& request_id() const { return request_id_; }

  asio::awaitable<void> respond(Status status, std::string body,
                                std::string_view content_type = "application/json",
                                Fields extra = {});
  // HeadWrite::with_first_chunk keeps the head until the first write() or end_stream(), which
  // then send head and chunk in one write: for a handler that writes at once, one system call
  // (and one wake-up of the client) fewer before its first event.
  enum class HeadWrite { now, with_first_chunk };
  asio::awaitable<void> begin_stream(Status status, std::string_view content_type,
                                     Fields extra = {}, HeadWrite head = HeadWrite::now);
  // Sent as one chunk; completes when the bytes are on the socket. Empty writes send nothing.
  asio::awaitable<void> write(std::string_view bytes);
  asio::awaitable<void> end_stream();  // idempotent

  bool response_started() const { return started_; }
  bool response_finished() const { return finished_; }
  Status status() const { return status_; }
  std::uint64_t bytes_sent() const { return bytes_sent_; }  // body bytes, framing excluded
  // Set by the server when the response cannot be completed (client gone): the
  // connection is closed instead of kept alive.
  bool keep_alive() const;
  // True when the client left (or the server was forced to stop) before the handler finished.
  bool client_gone() const { return client_gone_; }
  // What the handler threw, if it threw (for the app's log line).
  const std::string& handler_error() const { return handler_error_; }

 private:
  friend struct detail::ServerConnection;
  unsigned response_version() const;
  template <class Buffers>
  asio::awaitable<void> write_buffers(const Buffers& buffers);
  template <class Buffers>
  asio::awaitable<void> write_after_head(const Buffers& body);

  detail::ServerConnection* connection_ = nullptr;  // null on a bare stream
  beast::tcp_stream* bare_stream_ = nullptr;
  std::string bare_remote_;
  std::uint16_t bare_remote_port_ = 0;
  Request& request_;
  Fields added_fields_;
  std::string request_id_;
  Status status_ = Status::internal_server_error;
  bool started_ = false;
  bool finished_ = false;
  bool chunked_ = false;
  bool streaming_ = false;
  bool head_only_ = false;
  bool request_allows_keep_alive_ = false;
  bool client_gone_ = false;
  const bool* server_draining_ = nullptr;
  std::string handler_error_;
  std::string pending_head_;  // the stream's head until it is sent
  std::uint64_t bytes_sent_ = 0;
};

using Handler = std::function<asio::awaitable<void>(Exchange&)>;

// A response the server sends on the application's behalf before the handler runs.
struct Reply {
  Status status = Status::forbidden;
  std::string body;
  std::string content_type = "application/json";
  Fields fields;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8082;
  std::size_t body_limit = 32 * 1024 * 1024;
  // A new connection must deliver its whole request head within header_timeout; so must a
  // keep-alive connection once the next request's first byte has arrived.
  std::chrono::milliseconds header_timeout{30'000};
  std::chrono::milliseconds body_timeout{60'000};    // between two reads of a request body
  std::chrono::milliseconds write_timeout{60'000};   // between two writes that make progress
  std::chrono::milliseconds idle_timeout{120'000};   // keep-alive connection with no request
  std::chrono::milliseconds shutdown_grace{10'000};  // streams may finish within this
  unsigned threads = 0;                              // 0: one per core
  // Client connections open at once, over all threads; past it a new connection is accepted
  // and closed at once. 0: no limit (accept still pauses on EMFILE/ENFILE).
  std::size_t max_connections = 0;
  // When not 0: a second listener on a free port of 127.0.0.1 (Server::private_port()) with a
  // budget of its own of this many connections, for the server's own helper processes, so that
  // clients filling max_connections cannot starve them.
  std::size_t private_connections = 0;

  // Sees each request's head (method, target, headers, peer) before 100 Continue and before any
  // of its body is read. A Reply answers the request instead of the handler; the connection is
  // then closed (after lingering so the client reads the reply). It may add response fields to
  // the exchange. Runs on the worker's thread for every request: keep it cheap.
  std::function<std::optional<Reply>(Exchange&)> admit;

  // Makes the id of a request that brings no valid x-request-id of its own (request_id.hpp).
  // Empty: requests have no id and responses no id headers.
  std::function<std::string()> new_request_id;

  // The {content_type, body} of the errors the server answers by itself: 400 (malformed
  // request), 408 (body_timeout passed), 413 (body over body_limit), 431 (head too large), 500
  // (the handler threw or did not respond). Empty: {"error":{"message":"…"}} as application/json.
  std::function<std::pair<std::string, std::string>(int status, std::string_view message,
                                                    const Exchange& exchange)>
      error_body;
  // Called once, on any thread, when a graceful shutdown begins.
  std::function<void()> on_shutdown;
  // Called on the first worker's thread each time SIGHUP arrives while the server runs. Empty:
  // SIGHUP keeps its default action.
  std::function<void()> on_hangup;
  // Called on the accepting worker's thread for each connection refused by max_connections or
  // (private_listener) private_connections, with the number that listener refused so far.
  std::function<void(bool private_listener, std::uint64_t refused)> on_connection_refused;
  // Called on the worker's thread after every exchange, including those the server answered
  // by itself. The place to log; http/ logs nothing.
  std::function<void(const Exchange&, std::chrono::steady_clock::duration)> on_exchange_done;
};

// The number of worker threads (event loops) a server with these options runs.
unsigned worker_count(const ServerOptions& options);

// Each worker thread has its own io_context and its own handler, built by make_handler on that
// thread's context (so per-thread state such as upstream connection pools needs no locks).
using HandlerFactory = std::function<Handler(asio::io_context&)>;

class Server {
 public:
  Server(ServerOptions options, HandlerFactory make_handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds (throws std::system_error naming the address on failure); returns the bound port.
  std::uint16_t listen();
  // The private listener's port (0 without one); valid after listen().
  std::uint16_t private_port() const;
  // Runs the worker threads until shutdown completes. Installs SIGINT/SIGTERM handling — the
  // first signal starts a graceful shutdown, a second one ends the grace at once — then calls
  // on_ready (so a signal sent by whoever waits for "ready" is always handled).
  void run(std::function<void()> on_ready = {});
  // Thread-safe: stop accepting, let open exchanges finish up to shutdown_grace, then stop.
  void shutdown();
  // Thread-safe: as shutdown(), with no grace: every open exchange is cancelled now and unwinds
  // (nothing is dropped while suspended), then run() returns.
  void force_shutdown();
  // Connections open now, across all threads and listeners (for tests and benchmarks).
  std::size_t open_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ccgate::http
