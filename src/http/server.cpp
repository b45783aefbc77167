#include "http/server.hpp"

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <list>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <variant>

namespace ccgate::http {

namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;

namespace {

using namespace std::chrono_literals;
using asio::use_awaitable;
constexpr auto as_result = asio::as_tuple(asio::use_awaitable);

using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

constexpr std::uint32_t kHeaderLimit = 64 * 1024;
constexpr std::size_t kFirstReadSize = 16 * 1024;
constexpr auto kErrorReplyTimeout = 5s;
// After refusing a request, read (and drop) what the client is still sending for a moment, so
// that closing with unread data does not reset the connection before the client reads our reply.
constexpr auto kLingerTime = 1s;
constexpr std::size_t kLingerBytes = 1024 * 1024;
constexpr auto kAcceptRetryDelay = 100ms;

std::string json_quoted(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          std::array<char, 8> escaped{};
          std::snprintf(escaped.data(), escaped.size(), "\\u%04x", static_cast<unsigned>(c));
          out += escaped.data();
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::pair<std::string, std::string> default_error_body(int, std::string_view message,
                                                       std::string_view) {
  return {"application/json", R"({"error":{"message":)" + json_quoted(message) + "}}"};
}

asio::ip::address unmapped(asio::ip::address address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  return address;
}

std::string peer_address(const tcp::socket& socket) {
  error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) return {};
  return unmapped(endpoint.address()).to_string();
}

std::uint16_t peer_port(const tcp::socket& socket) {
  error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

template <class Body>
void set_common_fields(http::response<Body>& response, std::string_view content_type,
                       const Fields& extra) {
  response.set(http::field::server, "ccgate");
  if (!content_type.empty()) response.set(http::field::content_type, content_type);
  for (const auto& field : extra) {
    if (field.name() == http::field::server || field.name() == http::field::content_type)
      response.set(field.name(), field.value());
    else
      response.insert(field.name_string(), field.value());
  }
}

bool is_parse_error(const error_code& ec) {
  static const auto& category = http::make_error_code(http::error::bad_method).category();
  return ec.category() == category && ec != http::error::end_of_stream &&
         ec != http::error::partial_message;
}

bool expects_continue(const Request& request) {
  return request.version() >= 11 && beast::iequals(request[http::field::expect], "100-continue");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Exchange

Exchange::Exchange(beast::tcp_stream& stream, Request& request, std::string remote,
                   std::uint16_t remote_port)
    : stream_(stream),
      request_(request),
      remote_(std::move(remote)),
      remote_port_(remote_port),
      head_only_(request.method() == http::verb::head),
      request_allows_keep_alive_(request.keep_alive()) {}

std::string_view Exchange::path() const {
  const std::string_view whole = target();
  return whole.substr(0, whole.find('?'));
}

std::string_view Exchange::query() const {
  const std::string_view whole = target();
  const auto mark = whole.find('?');
  return mark == std::string_view::npos ? std::string_view{} : whole.substr(mark + 1);
}

std::string_view Exchange::header(std::string_view name) const {
  return request_[name];
}

bool Exchange::loopback_peer() const {
  error_code ec;
  const auto address = asio::ip::make_address(remote_, ec);
  return !ec && unmapped(address).is_loopback();
}

bool Exchange::keep_alive() const {
  return request_allows_keep_alive_ && !client_gone_ &&
         !(server_draining_ != nullptr && *server_draining_);
}

unsigned Exchange::response_version() const {
  return request_.version() == 10 ? 10 : 11;
}

asio::awaitable<void> Exchange::respond(Status status, std::string body,
                                        std::string_view content_type, Fields extra) {
  if (started_) throw std::logic_error("ccgate::http::Exchange: response already started");
  http::response<http::string_body> response{status, response_version()};
  set_common_fields(response, content_type, extra);
  response.keep_alive(keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  const auto body_size = response.body().size();

  started_ = true;
  status_ = status;
  http::response_serializer<http::string_body> serializer{response};
  if (head_only_) {
    co_await http::async_write_header(stream_, serializer, use_awaitable);
  } else {
    co_await http::async_write(stream_, serializer, use_awaitable);
    bytes_sent_ += body_size;
  }
  finished_ = true;
}

asio::awaitable<void> Exchange::begin_stream(Status status, std::string_view content_type,
                                             Fields extra) {
  if (started_) throw std::logic_error("ccgate::http::Exchange: response already started");
  http::response<http::empty_body> response{status, response_version()};
  set_common_fields(response, content_type, extra);
  if (request_.version() >= 11) {
    response.chunked(true);
    chunked_ = true;
  } else {
    request_allows_keep_alive_ =
        false;  // HTTP/1.0 has no chunks: the body ends with the connection
  }
  response.keep_alive(keep_alive());

  started_ = true;
  streaming_ = true;
  status_ = status;
  http::response_serializer<http::empty_body> serializer{response};
  co_await http::async_write_header(stream_, serializer, use_awaitable);
}

asio::awaitable<void> Exchange::write(std::string_view bytes) {
  if (!streaming_ || finished_)
    throw std::logic_error("ccgate::http::Exchange: write() outside an open stream");
  // An empty chunk would end the stream, so an empty write sends nothing.
  if (bytes.empty() || head_only_) co_return;
  const asio::const_buffer payload(bytes.data(), bytes.size());
  if (chunked_)
    co_await asio::async_write(stream_, http::make_chunk(payload), use_awaitable);
  else
    co_await asio::async_write(stream_, payload, use_awaitable);
  bytes_sent_ += bytes.size();
}

asio::awaitable<void> Exchange::end_stream() {
  if (!streaming_) throw std::logic_error("ccgate::http::Exchange: end_stream() without a stream");
  if (finished_) co_return;
  if (chunked_ && !head_only_)
    co_await asio::async_write(stream_, http::make_chunk_last(), use_awaitable);
  finished_ = true;
}

// ---------------------------------------------------------------------------------------------
// Server internals. Everything a worker owns is touched only on that worker's thread.

namespace detail {

struct ServerWorker;

struct ServerShared {
  explicit ServerShared(ServerOptions server_options) : options(std::move(server_options)) {
    if (!options.error_body) options.error_body = default_error_body;
  }

  ServerOptions options;
  std::atomic<std::size_t> open_connections{0};
  std::atomic<std::size_t> workers_draining{0};
  std::function<void()> on_all_drained;  // called on the thread of the last worker to drain
};

enum class HandlerEnd { returned, threw };
enum class ClientPresence { still_there, gone, sent_more };

struct ServerConnection {
  ServerConnection(ServerWorker& owner, tcp::socket socket);
  ~ServerConnection();
  ServerConnection(const ServerConnection&) = delete;
  ServerConnection& operator=(const ServerConnection&) = delete;

  asio::awaitable<void> serve();
  // Shutdown: a connection waiting for its next request is closed at once.
  void close_if_idle();
  // The shutdown grace is over: whatever runs is cancelled and the connection closed.
  void force_stop();

  ServerWorker& worker;
  const ServerOptions& options;
  std::shared_ptr<const Handler> handler;  // shared so a handler outlives every exchange it runs
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  std::string remote;
  std::uint16_t remote_port;
  asio::steady_timer stop_signal;  // fires on force_stop()
  bool idle = true;
  bool forced_stop = false;
  std::list<ServerConnection*>::iterator registration;

 private:
  asio::awaitable<bool> await_request(std::chrono::milliseconds timeout);
  asio::awaitable<bool> serve_request();
  asio::awaitable<bool> refuse(error_code ec, Request& partial);
  asio::awaitable<void> reply_error(int status, std::string_view message, Request& partial);
  asio::awaitable<void> linger_close();
  asio::awaitable<bool> run_exchange(Request& request);
  asio::awaitable<HandlerEnd> run_handler(Exchange& exchange);
  asio::awaitable<bool> complete_response(Exchange& exchange, HandlerEnd end);
  asio::awaitable<void> watch_client();
  ClientPresence peek_client();
  void report(const Exchange& exchange, Clock::time_point started) const;
};

struct ServerWorker {
  explicit ServerWorker(ServerShared& server_shared) : shared(server_shared) {}
  // Coroutines still suspended when the io_context dies (after an immediate stop) are destroyed
  // inside its destructor: from then on a closing connection must only unregister itself.
  ~ServerWorker() { tearing_down = true; }
  ServerWorker(const ServerWorker&) = delete;
  ServerWorker& operator=(const ServerWorker&) = delete;

  asio::awaitable<void> accept_loop();
  void begin_shutdown();
  void forget(std::list<ServerConnection*>::iterator registration);

  ServerShared& shared;
  bool tearing_down = false;
  bool draining = false;
  bool drained = false;
  std::list<ServerConnection*> connections;  // declared before ioc: outlives its coroutines
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  asio::steady_timer grace_timer{ioc};
  std::shared_ptr<const Handler> handler;

 private:
  asio::awaitable<void> enforce_grace();
  void finish_drain();
};

// --- ServerConnection ------------------------------------------------------------------------

ServerConnection::ServerConnection(ServerWorker& owner, tcp::socket socket)
    : worker(owner),
      options(owner.shared.options),
      handler(owner.handler),
      stream(std::move(socket)),
      remote(peer_address(stream.socket())),
      remote_port(peer_port(stream.socket())),
      stop_signal(owner.ioc, asio::steady_timer::time_point::max()) {
  registration = worker.connections.insert(worker.connections.end(), this);
  ++worker.shared.open_connections;
}

ServerConnection::~ServerConnection() {
  worker.forget(registration);
}

void ServerConnection::close_if_idle() {
  if (!idle) return;
  error_code ignored;
  stream.socket().close(ignored);
}

void ServerConnection::force_stop() {
  forced_stop = true;
  stop_signal.expires_at(asio::steady_timer::time_point::min());
  error_code ignored;
  stream.socket().close(ignored);
}

asio::awaitable<void> ServerConnection::serve() {
  try {
    auto wait = options.header_timeout;  // a new connection must send its request promptly
    while (co_await await_request(wait)) {
      if (!co_await serve_request()) break;
      wait = options.idle_timeout;
    }
  } catch (const std::exception&) {
    // The connection failed; closing it below is all there is to do.
  }
  stream.close();
}

// Waits for the first bytes of the next request; false when the connection should close.
asio::awaitable<bool> ServerConnection::await_request(std::chrono::milliseconds timeout) {
  if (buffer.size() > 0) co_return !forced_stop;  // a pipelined request is already here
  if (worker.draining || forced_stop) co_return false;
  idle = true;
  stream.expires_after(timeout);
  auto [ec, received] = co_await stream.async_read_some(buffer.prepare(kFirstReadSize), as_result);
  idle = false;
  if (ec) co_return false;
  buffer.commit(received);
  co_return !forced_stop;
}

// Reads one request and answers it; true when the connection stays open for the next one.
asio::awaitable<bool> ServerConnection::serve_request() {
  http::request_parser<http::string_body> parser;
  parser.header_limit(kHeaderLimit);
  parser.body_limit(options.body_limit);
  stream.expires_after(options.header_timeout);

  if (auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, as_result); ec)
    co_return co_await refuse(ec, parser.get());
  if (!parser.is_done() && expects_continue(parser.get())) {
    http::response<http::empty_body> go_on{http::status::continue_, 11};
    if (auto [ec, n] = co_await http::async_write(stream, go_on, as_result); ec) co_return false;
  }
  if (!parser.is_done()) {
    if (auto [ec, n] = co_await http::async_read(stream, buffer, parser, as_result); ec)
      co_return co_await refuse(ec, parser.get());
  }
  stream.expires_never();
  Request request = parser.release();
  co_return co_await run_exchange(request);
}

asio::awaitable<bool> ServerConnection::refuse(error_code ec, Request& partial) {
  if (ec == http::error::body_limit)
    co_await reply_error(413, "request body too large", partial);
  else if (ec == http::error::header_limit)
    co_await reply_error(431, "request header fields too large", partial);
  else if (is_parse_error(ec))
    co_await reply_error(400, "malformed HTTP request", partial);
  // Anything else (timeout, the client closing, a reset) ends the connection without a word.
  co_return false;
}

asio::awaitable<void> ServerConnection::reply_error(int status, std::string_view message,
                                                    Request& partial) {
  const auto started = Clock::now();
  Exchange exchange(stream, partial, remote, remote_port);
  exchange.request_allows_keep_alive_ = false;
  auto [content_type, body] = options.error_body(status, message, exchange.path());
  stream.expires_after(kErrorReplyTimeout);
  try {
    co_await exchange.respond(static_cast<Status>(status), std::move(body), content_type);
  } catch (const std::exception&) {
    exchange.client_gone_ = true;
  }
  report(exchange, started);
  if (!exchange.client_gone_) co_await linger_close();
}

asio::awaitable<void> ServerConnection::linger_close() {
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.expires_after(kLingerTime);
  std::array<char, 16 * 1024> sink{};
  for (std::size_t drained = 0; drained < kLingerBytes;) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), as_result);
    if (ec) break;
    drained += n;
  }
}

asio::awaitable<bool> ServerConnection::run_exchange(Request& request) {
  using namespace asio::experimental::awaitable_operators;
  const auto started = Clock::now();
  Exchange exchange(stream, request, remote, remote_port);
  exchange.server_draining_ = &worker.draining;

  // Whichever finishes first cancels the other: a client that leaves cancels its handler.
  const auto first = co_await (run_handler(exchange) || watch_client());
  bool keep_alive = false;
  if (first.index() == 1 || forced_stop)
    exchange.client_gone_ = true;
  else
    keep_alive = co_await complete_response(exchange, std::get<0>(first));
  report(exchange, started);
  co_return keep_alive;
}

asio::awaitable<HandlerEnd> ServerConnection::run_handler(Exchange& exchange) {
  try {
    co_await (*handler)(exchange);
    co_return HandlerEnd::returned;
  } catch (const std::exception& error) {
    exchange.handler_error_ = error.what();
  } catch (...) {
    exchange.handler_error_ = "unknown exception";
  }
  co_return HandlerEnd::threw;
}

// Answers for a handler that did not finish its response; true when the connection may be reused.
asio::awaitable<bool> ServerConnection::complete_response(Exchange& exchange, HandlerEnd end) {
  try {
    if (!exchange.response_started()) {
      const auto message =
          end == HandlerEnd::threw ? "internal server error" : "the server produced no response";
      auto [content_type, body] = options.error_body(500, message, exchange.path());
      co_await exchange.respond(Status::internal_server_error, std::move(body), content_type);
    } else if (!exchange.response_finished()) {
      // A stream cut short by an exception must not look complete: closing tells the client.
      if (end == HandlerEnd::threw || !exchange.streaming_) co_return false;
      co_await exchange.end_stream();
    }
  } catch (const std::exception&) {
    co_return false;
  }
  co_return exchange.keep_alive();
}

// Completes when the client has left (EOF or error on its socket) or the server forces a stop.
// A client that half-closes its side counts as gone.
asio::awaitable<void> ServerConnection::watch_client() {
  if (buffer.size() == 0) {
    for (;;) {
      if (forced_stop) co_return;
      auto [ec] = co_await stream.socket().async_wait(tcp::socket::wait_read, as_result);
      if (ec) co_return;
      const auto presence = peek_client();
      if (presence == ClientPresence::gone) co_return;
      if (presence == ClientPresence::sent_more) break;
    }
  }
  // The next request is already arriving, so the client is still there; only a forced stop
  // ends this exchange early now.
  if (!forced_stop) co_await stop_signal.async_wait(as_result);
}

ClientPresence ServerConnection::peek_client() {
  char byte = 0;
  const auto n = ::recv(stream.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0) return ClientPresence::sent_more;
  if (n == 0) return ClientPresence::gone;
  return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? ClientPresence::still_there
                                                                   : ClientPresence::gone;
}

void ServerConnection::report(const Exchange& exchange, Clock::time_point started) const {
  if (!options.on_exchange_done) return;
  try {
    options.on_exchange_done(exchange, Clock::now() - started);
  } catch (...) {
    // A failing log hook must not take the connection down.
  }
}

// --- ServerWorker ----------------------------------------------------------------------------

namespace {

asio::awaitable<void> serve_connection(std::unique_ptr<ServerConnection> connection) {
  co_await connection->serve();
}

}  // namespace

asio::awaitable<void> ServerWorker::accept_loop() {
  while (!draining) {
    auto [ec, socket] = co_await acceptor.async_accept(as_result);
    if (draining) co_return;
    if (ec == asio::error::connection_aborted) continue;
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      // Out of descriptors or memory: pause instead of spinning on the same error.
      asio::steady_timer pause(ioc, kAcceptRetryDelay);
      co_await pause.async_wait(as_result);
      continue;
    }
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto connection = std::make_unique<ServerConnection>(*this, std::move(socket));
    asio::co_spawn(ioc, serve_connection(std::move(connection)), asio::detached);
  }
}

void ServerWorker::begin_shutdown() {
  if (draining) return;
  draining = true;
  error_code ignored;
  acceptor.close(ignored);
  for (auto* connection : connections) connection->close_if_idle();
  if (connections.empty())
    finish_drain();
  else
    asio::co_spawn(ioc, enforce_grace(), asio::detached);
}

asio::awaitable<void> ServerWorker::enforce_grace() {
  if (drained) co_return;
  grace_timer.expires_after(shared.options.shutdown_grace);
  auto [ec] = co_await grace_timer.async_wait(as_result);
  if (ec) co_return;  // every exchange finished in time
  for (auto* connection : connections) connection->force_stop();
}

void ServerWorker::forget(std::list<ServerConnection*>::iterator registration) {
  connections.erase(registration);
  --shared.open_connections;
  if (draining && connections.empty() && !tearing_down) finish_drain();
}

void ServerWorker::finish_drain() {
  if (drained) return;
  drained = true;
  grace_timer.cancel();
  if (--shared.workers_draining == 0 && shared.on_all_drained) shared.on_all_drained();
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Server

namespace {

std::string describe(const ServerOptions& options) {
  const bool ipv6 = options.host.find(':') != std::string::npos;
  return (ipv6 ? "[" + options.host + "]" : options.host) + ":" + std::to_string(options.port);
}

[[noreturn]] void fail_to_listen(const error_code& ec, const ServerOptions& options) {
  throw std::system_error(std::error_code(ec), "cannot listen on " + describe(options));
}

tcp::endpoint listen_endpoint(const ServerOptions& options) {
  const std::string host = options.host.empty() ? "0.0.0.0" : options.host;
  error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (!ec) return {address, options.port};
  // A name, resolved once at start-up before any event loop runs.
  asio::io_context resolver_context;
  tcp::resolver resolver(resolver_context);
  const auto results =
      resolver.resolve(host, std::to_string(options.port), tcp::resolver::passive, ec);
  if (ec || results.empty())
    fail_to_listen(ec ? ec : make_error_code(asio::error::host_not_found), options);
  return results.begin()->endpoint();
}

void open_acceptor(tcp::acceptor& acceptor, const tcp::endpoint& endpoint, bool share_port,
                   const ServerOptions& options) {
  error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec && share_port) acceptor.set_option(reuse_port(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) fail_to_listen(ec, options);
}

// SO_REUSEPORT would let us bind next to another server already listening on the port (the
// kernel would then split connections between the two): check first that the port is free.
void ensure_port_free(const tcp::endpoint& endpoint, const ServerOptions& options) {
  asio::io_context probe_context;
  tcp::acceptor probe(probe_context);
  open_acceptor(probe, endpoint, false, options);
}

}  // namespace

struct Server::Impl {
  Impl(ServerOptions options, HandlerFactory factory)
      : shared(std::move(options)), make_handler(std::move(factory)) {}

  void request_shutdown() {
    std::lock_guard lock(mutex);
    stop_requested = true;
    for (auto& worker : workers) asio::post(worker->ioc, [&w = *worker] { w.begin_shutdown(); });
  }

  asio::awaitable<void> watch_signals() {
    if (auto [ec, number] = co_await signals->async_wait(as_result); ec) co_return;
    request_shutdown();
    if (auto [ec, number] = co_await signals->async_wait(as_result); ec) co_return;
    for (auto& worker : workers) worker->ioc.stop();  // a second signal: stop now
  }

  detail::ServerShared shared;
  HandlerFactory make_handler;
  std::mutex mutex;  // orders listen()/run() against shutdown() from other threads
  bool stop_requested = false;
  std::uint16_t port = 0;
  std::vector<std::unique_ptr<detail::ServerWorker>> workers;
  std::optional<asio::signal_set> signals;  // on the first worker's context; destroyed before it
};

Server::Server(ServerOptions options, HandlerFactory make_handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(make_handler))) {}

Server::~Server() = default;

std::uint16_t Server::listen() {
  std::lock_guard lock(impl_->mutex);
  if (!impl_->workers.empty()) return impl_->port;
  const ServerOptions& options = impl_->shared.options;
  const unsigned count =
      options.threads != 0 ? options.threads : std::max(1U, std::thread::hardware_concurrency());

  tcp::endpoint endpoint = listen_endpoint(options);
  const bool share_port = count > 1;
  if (share_port && endpoint.port() != 0) ensure_port_free(endpoint, options);

  std::vector<std::unique_ptr<detail::ServerWorker>> workers;
  for (unsigned i = 0; i < count; ++i) {
    auto worker = std::make_unique<detail::ServerWorker>(impl_->shared);
    open_acceptor(worker->acceptor, endpoint, share_port, options);
    if (i == 0) endpoint.port(worker->acceptor.local_endpoint().port());
    workers.push_back(std::move(worker));
  }
  for (auto& worker : workers)
    worker->handler = std::make_shared<const Handler>(impl_->make_handler(worker->ioc));
  impl_->workers = std::move(workers);
  impl_->port = endpoint.port();
  return impl_->port;
}

void Server::run(std::function<void()> on_ready) {
  listen();
  Impl& impl = *impl_;
  detail::ServerWorker& first = *impl.workers.front();

  impl.shared.workers_draining = impl.workers.size();
  impl.shared.on_all_drained = [&impl, &first] {
    asio::post(first.ioc, [&impl] {
      if (impl.signals) impl.signals->cancel();
    });
  };
  for (auto& worker : impl.workers)
    asio::co_spawn(worker->ioc, worker->accept_loop(), asio::detached);
  impl.signals.emplace(first.ioc, SIGINT, SIGTERM);
  asio::co_spawn(first.ioc, impl.watch_signals(), asio::detached);
  if (on_ready) on_ready();
  {
    std::lock_guard lock(impl.mutex);
    if (impl.stop_requested) {  // shutdown() came before run(): the posts may have had no worker
      for (auto& worker : impl.workers)
        asio::post(worker->ioc, [&w = *worker] { w.begin_shutdown(); });
    }
  }
  {
    std::vector<std::jthread> threads;
    for (std::size_t i = 1; i < impl.workers.size(); ++i)
      threads.emplace_back([&worker = *impl.workers[i]] { worker.ioc.run(); });
    first.ioc.run();
  }
  impl.signals.reset();
}

void Server::shutdown() {
  impl_->request_shutdown();
}

std::size_t Server::open_connections() const {
  return impl_->shared.open_connections.load();
}

}  // namespace ccgate::http
