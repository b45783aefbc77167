#include "http/server.hpp"

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_cat.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
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
#include <utility>
#include <variant>
#include <vector>

#include "http/head.hpp"
#include "http/io_now.hpp"
#include "http/parse_read.hpp"
#include "http/request_id.hpp"

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
// After refusing a request, read (and drop) what the client is still sending for a moment, so
// that closing with unread data does not reset the connection before the client reads our reply.
constexpr auto kLingerTime = 1s;
constexpr std::size_t kLingerBytes = 1024 * 1024;
constexpr auto kAcceptRetryDelay = 100ms;

// Asio's reactor never frees the state it keeps for a descriptor (about 170 bytes): a closed
// socket's state goes to a free list for the next one. Allocated one at a time as connections
// open, among their buffers, the states end up one per heap page, and after a burst each pins
// its page: when 5,000 streams had closed, 40 MiB stayed that malloc_trim could not return.
// Allocated in batches ahead of the sockets that will use them, they share pages instead.
constexpr std::size_t kDescriptorStateBatch = 64;

void allocate_descriptor_states(asio::io_context& ioc, std::size_t count) {
  std::vector<tcp::socket> sockets;
  sockets.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    tcp::socket socket(ioc);
    error_code ec;
    socket.open(tcp::v4(), ec);
    if (ec) return;  // out of descriptors: the batch is only an optimisation
    sockets.push_back(std::move(socket));
  }
}  // closing the sockets hands their states, side by side, to the reactor's free list

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
                                                       const Exchange&) {
  return {"application/json", R"({"error":{"message":)" + json_quoted(message) + "}}"};
}

asio::ip::address unmapped(asio::ip::address address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  return address;
}

// The client's address (IPv4-mapped IPv6 shown as IPv4), or nullopt when the socket has none.
std::optional<tcp::endpoint> peer_of(const tcp::socket& socket) {
  error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) return std::nullopt;
  return tcp::endpoint(unmapped(endpoint.address()), endpoint.port());
}

template <class Body>
void set_common_fields(http::response<Body>& response, std::string_view content_type,
                       const Fields& extra, const Fields& added, std::string_view request_id) {
  response.set(http::field::server, "ccgate");
  if (!content_type.empty()) response.set(http::field::content_type, content_type);
  if (!request_id.empty()) {
    response.set(kRequestIdHeader, request_id);
    response.set(kAnthropicRequestIdHeader, request_id);
  }
  for (const Fields* fields : {&extra, &added}) {
    for (const auto& field : *fields) {
      if (field.name() == http::field::server || field.name() == http::field::content_type)
        response.set(field.name(), field.value());
      else
        response.insert(field.name_string(), field.value());
    }
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
// Server internals. Everything a worker owns is touched only on that worker's thread.

namespace detail {

struct ServerWorker;

// The connections one listener may hold at once, counted over all worker threads.
struct ConnectionBudget {
  std::atomic<std::size_t> open{0};
  std::atomic<std::uint64_t> refused{0};
  std::size_t limit = 0;  // 0: no limit
  bool private_listener = false;

  bool try_take() {
    const auto before = open.fetch_add(1, std::memory_order_relaxed);
    if (limit == 0 || before < limit) return true;
    open.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  void release() { open.fetch_sub(1, std::memory_order_relaxed); }
};

struct ServerShared {
  explicit ServerShared(ServerOptions server_options) : options(std::move(server_options)) {
    if (!options.error_body) options.error_body = default_error_body;
    public_budget.limit = options.max_connections;
    private_budget.limit = options.private_connections;
    private_budget.private_listener = true;
  }

  ServerOptions options;
  ConnectionBudget public_budget;
  ConnectionBudget private_budget;
  std::atomic<std::size_t> workers_draining{0};
  std::function<void()> on_all_drained;  // called on the thread of the last worker to drain
};

enum class HandlerEnd { returned, threw };
enum class ClientPresence { still_there, gone, sent_more };
// What a connection is waiting for; each has its own timeout.
enum class Phase : std::uint8_t { none, idle, head, body, write, linger };

struct ServerConnection {
  ServerConnection(ServerWorker& owner, ConnectionBudget& listener_budget, tcp::socket peer);
  ~ServerConnection();
  ServerConnection(const ServerConnection&) = delete;
  ServerConnection& operator=(const ServerConnection&) = delete;

  asio::awaitable<void> serve();
  // Shutdown: a connection waiting for its next request is closed at once.
  void close_if_idle();
  // The shutdown grace is over: whatever runs is cancelled and the connection closed.
  void force_stop();

  // Everything the server writes goes through these two, under write_timeout between two
  // writes that make progress.
  template <class Serializer>
  asio::awaitable<void> write_message(Serializer& serializer, bool header_only);
  template <class Buffers>
  asio::awaitable<void> write_buffers(const Buffers& buffers);

  ServerWorker& worker;
  const ServerOptions& options;
  ConnectionBudget& budget;
  std::shared_ptr<const Handler> handler;  // shared so a handler outlives every exchange it runs
  tcp::socket socket;
  beast::flat_buffer buffer;
  std::string remote;  // empty when unknown
  std::uint16_t remote_port = 0;
  bool loopback = false;
  bool idle = true;
  bool forced_stop = false;
  std::list<ServerConnection*>::iterator registration;

 private:
  asio::awaitable<void> serve_requests();
  asio::awaitable<bool> await_request(bool first);
  asio::awaitable<bool> wait_readable();
  asio::awaitable<bool> serve_request();
  void assign_request_id(Exchange& exchange, const http::request_parser<http::string_body>& parser,
                         error_code head_ec) const;
  asio::awaitable<bool> refuse(error_code ec, Exchange& exchange);
  asio::awaitable<void> reply_error(Exchange& exchange, int status, std::string_view message);
  asio::awaitable<void> answer_and_close(Exchange& exchange, Reply reply);
  asio::awaitable<void> linger_close();
  asio::awaitable<bool> run_exchange(Exchange& exchange);
  asio::awaitable<HandlerEnd> run_handler(Exchange& exchange);
  asio::awaitable<bool> complete_response(Exchange& exchange, HandlerEnd end);
  void watch_client();
  void on_client_readable(const error_code& ec, std::uint64_t watch);
  void stop_watching_client();
  ClientPresence peek_client();
  void report(const Exchange& exchange, Clock::time_point started) const;

  // One deadline for whatever the connection waits on now, enforced by the watchdog. Moving it
  // costs a clock read; the timer is re-armed only when the deadline comes closer than it.
  void arm(Phase phase, std::chrono::milliseconds timeout);
  void disarm() { phase_ = Phase::none; }
  asio::awaitable<void> watchdog();
  void expire();
  [[noreturn]] void throw_write_error(const error_code& ec) const;

  // The client watch runs beside the handler as a bare socket wait, not a coroutine: a client
  // that leaves cancels the exchange (serve_requests and the handler inside it) through
  // cancel_exchange_. A parallel group of two coroutines per request cost more than the rest of
  // the server's work for a small request.
  asio::cancellation_signal cancel_exchange_;
  asio::cancellation_signal cancel_watch_;
  bool exchange_running_ = false;
  bool watching_client_ = false;
  std::uint64_t watch_serial_ = 0;  // a stopped watch's late completion is not the current one's
  bool client_left_ = false;
  // The watch's completion may run after the connection is gone: it finds nullptr here then.
  std::shared_ptr<ServerConnection*> alive_ = std::make_shared<ServerConnection*>(this);
  asio::steady_timer watchdog_timer_;
  Clock::time_point deadline_ = Clock::time_point::max();
  Phase phase_ = Phase::none;
  Phase expired_ = Phase::none;  // the phase whose deadline passed
  bool finished_ = false;
};

struct ServerWorker {
  explicit ServerWorker(ServerShared& server_shared) : shared(server_shared) {}
  // Coroutines still suspended when the io_context dies are destroyed inside its destructor:
  // from then on a closing connection must only unregister itself.
  ~ServerWorker() { tearing_down = true; }
  ServerWorker(const ServerWorker&) = delete;
  ServerWorker& operator=(const ServerWorker&) = delete;

  asio::awaitable<void> accept_loop(tcp::acceptor& listener, ConnectionBudget& budget);
  void begin_shutdown();
  void force_stop_all();
  void forget(std::list<ServerConnection*>::iterator registration);

  ServerShared& shared;
  bool tearing_down = false;
  bool draining = false;
  bool drained = false;
  std::list<ServerConnection*> connections;  // declared before ioc: outlives its coroutines
  std::size_t descriptor_states = 0;         // allocated ahead, in batches
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  tcp::acceptor private_acceptor{ioc};
  asio::steady_timer grace_timer{ioc};
  std::shared_ptr<const Handler> handler;

 private:
  asio::awaitable<void> enforce_grace();
  void finish_drain();
};

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Exchange

Exchange::Exchange(detail::ServerConnection& connection, Request& request)
    : connection_(&connection),
      request_(request),
      head_only_(request.method() == http::verb::head),
      request_allows_keep_alive_(request.keep_alive()) {}

Exchange::Exchange(beast::tcp_stream& stream, Request& request, std::string remote,
                   std::uint16_t remote_port)
    : bare_stream_(&stream),
      bare_remote_(std::move(remote)),
      bare_remote_port_(remote_port),
      request_(request),
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

const std::string& Exchange::remote_address() const {
  return connection_ != nullptr ? connection_->remote : bare_remote_;
}

std::uint16_t Exchange::remote_port() const {
  return connection_ != nullptr ? connection_->remote_port : bare_remote_port_;
}

bool Exchange::loopback_peer() const {
  if (connection_ != nullptr) return connection_->loopback;
  error_code ec;
  const auto address = asio::ip::make_address(bare_remote_, ec);
  return !ec && unmapped(address).is_loopback();
}

namespace {

template <class Buffers>
asio::awaitable<void> write_bare_buffers(beast::tcp_stream& stream, const Buffers& buffers) {
  co_await asio::async_write(stream, buffers, use_awaitable);
}

}  // namespace

// Not a coroutine: it hands over the connection's own, which keeps the hot path one frame deep.
template <class Buffers>
asio::awaitable<void> Exchange::write_buffers(const Buffers& buffers) {
  if (connection_ != nullptr) return connection_->write_buffers(buffers);
  return write_bare_buffers(*bare_stream_, buffers);
}

void Exchange::discard_request_body() {
  std::string().swap(request_.body());
}

void Exchange::add_response_field(std::string_view name, std::string_view value) {
  added_fields_.insert(name, value);
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
  set_common_fields(response, content_type, extra, added_fields_, request_id_);
  response.keep_alive(keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  const auto body_size = response.body().size();

  started_ = true;
  status_ = status;
  const std::string head = serialize_head(response.base());
  if (head_only_) {
    co_await write_buffers(asio::buffer(head));
  } else {
    const std::array<asio::const_buffer, 2> message{asio::buffer(head),
                                                    asio::buffer(response.body())};
    co_await write_buffers(message);
    bytes_sent_ += body_size;
  }
  finished_ = true;
}

asio::awaitable<void> Exchange::begin_stream(Status status, std::string_view content_type,
                                             Fields extra, HeadWrite head) {
  if (started_) throw std::logic_error("ccgate::http::Exchange: response already started");
  http::response<http::empty_body> response{status, response_version()};
  set_common_fields(response, content_type, extra, added_fields_, request_id_);
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
  pending_head_ = serialize_head(response.base());
  if (head == HeadWrite::now) co_await write_after_head(asio::const_buffer());
}

// Sends `body` (a buffer sequence), after the head when it is still pending; a HEAD request's
// answer gets the head only.
template <class Buffers>
asio::awaitable<void> Exchange::write_after_head(const Buffers& body) {
  if (pending_head_.empty()) {
    if (!head_only_) co_await write_buffers(body);
    co_return;
  }
  const std::string head = std::exchange(pending_head_, {});
  if (head_only_)
    co_await write_buffers(asio::buffer(head));
  else
    co_await write_buffers(beast::buffers_cat(asio::buffer(head), body));
}

asio::awaitable<void> Exchange::write(std::string_view bytes) {
  if (!streaming_ || finished_)
    throw std::logic_error("ccgate::http::Exchange: write() outside an open stream");
  // An empty chunk would end the stream, so an empty write sends nothing.
  if (bytes.empty()) co_return;
  const asio::const_buffer payload(bytes.data(), bytes.size());
  if (chunked_)
    co_await write_after_head(http::make_chunk(payload));
  else
    co_await write_after_head(payload);
  if (!head_only_) bytes_sent_ += bytes.size();
}

asio::awaitable<void> Exchange::end_stream() {
  if (!streaming_) throw std::logic_error("ccgate::http::Exchange: end_stream() without a stream");
  if (finished_) co_return;
  if (chunked_)
    co_await write_after_head(http::make_chunk_last());
  else if (!pending_head_.empty())
    co_await write_after_head(asio::const_buffer());
  finished_ = true;
}

namespace detail {

// --- ServerConnection ------------------------------------------------------------------------

ServerConnection::ServerConnection(ServerWorker& owner, ConnectionBudget& listener_budget,
                                   tcp::socket peer)
    : worker(owner),
      options(owner.shared.options),
      budget(listener_budget),
      handler(owner.handler),
      socket(std::move(peer)),
      watchdog_timer_(owner.ioc) {
  if (const auto endpoint = peer_of(socket)) {
    remote = endpoint->address().to_string();
    remote_port = endpoint->port();
    loopback = endpoint->address().is_loopback();
  }
  registration = worker.connections.insert(worker.connections.end(), this);
}

ServerConnection::~ServerConnection() {
  *alive_ = nullptr;
  budget.release();
  worker.forget(registration);
}

void ServerConnection::close_if_idle() {
  if (!idle) return;
  error_code ignored;
  socket.close(ignored);
}

void ServerConnection::force_stop() {
  forced_stop = true;
  if (exchange_running_) cancel_exchange_.emit(asio::cancellation_type::terminal);
  error_code ignored;
  socket.close(ignored);
}

void ServerConnection::arm(Phase phase, std::chrono::milliseconds timeout) {
  phase_ = phase;
  deadline_ = Clock::now() + timeout;
  if (deadline_ < watchdog_timer_.expiry()) watchdog_timer_.cancel();  // it sleeps too long
}

asio::awaitable<void> ServerConnection::watchdog() {
  while (!finished_) {
    watchdog_timer_.expires_at(phase_ == Phase::none ? Clock::time_point::max() : deadline_);
    co_await watchdog_timer_.async_wait(as_result);
    if (!finished_ && phase_ != Phase::none && Clock::now() >= deadline_) expire();
  }
}

// A body read that times out is only cancelled, so that the client still gets its 408; every
// other wait ends with the connection. A client that stopped reading is reset rather than
// closed: a close would leave the kernel holding the unsent bytes (megabytes) for minutes.
void ServerConnection::expire() {
  expired_ = phase_;
  phase_ = Phase::none;
  error_code ignored;
  if (expired_ == Phase::body) {
    socket.cancel(ignored);
    return;
  }
  if (expired_ == Phase::write) socket.set_option(asio::socket_base::linger(true, 0), ignored);
  socket.close(ignored);
}

void ServerConnection::throw_write_error(const error_code& ec) const {
  if (expired_ == Phase::write)
    throw boost::system::system_error(beast::error::timeout,
                                      "the client accepted no bytes within the write timeout");
  throw boost::system::system_error(ec, "writing to the client");
}

template <class Serializer>
asio::awaitable<void> ServerConnection::write_message(Serializer& serializer, bool header_only) {
  serializer.split(header_only);
  while (header_only ? !serializer.is_header_done() : !serializer.is_done()) {
    arm(Phase::write, options.write_timeout);
    auto [ec, n] = co_await http::async_write_some(socket, serializer, as_result);
    disarm();
    if (ec) throw_write_error(ec);
  }
}

template <class Buffers>
asio::awaitable<void> ServerConnection::write_buffers(const Buffers& buffers) {
  constexpr std::size_t kMostPerWrite = 64 * 1024;
  const std::size_t sent = send_now(socket.native_handle(), buffers);
  if (sent == asio::buffer_size(buffers)) co_return;
  beast::buffers_suffix<Buffers> rest(buffers);
  rest.consume(sent);
  // Called before each partial write: every one that made progress moves the deadline on.
  const auto progress = [this](const error_code& ec, std::size_t) -> std::size_t {
    if (ec) return 0;
    arm(Phase::write, options.write_timeout);
    return kMostPerWrite;
  };
  auto [ec, n] = co_await asio::async_write(socket, rest, progress, as_result);
  disarm();
  if (ec) throw_write_error(ec);
}

asio::awaitable<void> ServerConnection::serve() {
  using namespace asio::experimental::awaitable_operators;
  // serve_requests runs with cancel_exchange_ as its cancellation slot.
  co_await (asio::co_spawn(socket.get_executor(), serve_requests(),
                           asio::bind_cancellation_slot(cancel_exchange_.slot(), use_awaitable)) ||
            watchdog());
  error_code ignored;
  socket.close(ignored);
}

asio::awaitable<void> ServerConnection::serve_requests() {
  try {
    for (bool first = true; co_await await_request(first); first = false)
      if (!co_await serve_request()) break;
  } catch (const std::exception&) {
    // The connection failed; closing it is all there is to do.
  }
  finished_ = true;
}

// Waits for the first bytes of the next request; false when the connection should close. Arms
// the head's deadline: from the connection's start for its first request, else from the first
// byte (the wait before it is the keep-alive idle timeout).
asio::awaitable<bool> ServerConnection::await_request(bool first) {
  if (buffer.size() > 0) {  // a pipelined request is already here
    arm(Phase::head, options.header_timeout);
    co_return !forced_stop;
  }
  if (worker.draining || forced_stop) co_return false;
  idle = true;
  if (first)
    arm(Phase::head, options.header_timeout);
  else
    arm(Phase::idle, options.idle_timeout);
  const bool readable = co_await wait_readable();
  if (!readable) {
    idle = false;
    co_return false;
  }
  std::optional<std::size_t> received =
      receive_now(socket.native_handle(), buffer.prepare(kFirstReadSize));
  if (!received) {
    auto [ec, read] = co_await socket.async_read_some(buffer.prepare(kFirstReadSize), as_result);
    if (!ec) received = read;
  }
  idle = false;
  if (!received || *received == 0) co_return false;
  buffer.commit(*received);
  if (!first) arm(Phase::head, options.header_timeout);
  co_return !forced_stop;
}

// Reads one request and answers it; true when the connection stays open for the next one.
asio::awaitable<bool> ServerConnection::serve_request() {
  http::request_parser<http::string_body> parser;
  parser.header_limit(kHeaderLimit);
  parser.body_limit(options.body_limit);
  // A request that came in one read is parsed here, with no round of the event loop.
  error_code head_ec;
  const auto head_read = [&] { return parser.is_header_done(); };
  if (!parse_read_bytes(parser, buffer, head_read, head_ec)) {
    auto [ec, bytes] = co_await http::async_read_header(socket, buffer, parser, as_result);
    head_ec = ec;
  }
  disarm();
  // The exchange sees the request as it grows: the head now, the body once it is read.
  Exchange exchange(*this, parser.get());
  assign_request_id(exchange, parser, head_ec);
  if (head_ec) co_return co_await refuse(head_ec, exchange);

  if (options.admit) {
    if (auto reply = options.admit(exchange)) {
      co_await answer_and_close(exchange, std::move(*reply));
      co_return false;
    }
  }
  if (!parser.is_done() && expects_continue(parser.get())) {
    http::response<http::empty_body> go_on{http::status::continue_, 11};
    http::response_serializer<http::empty_body> serializer{go_on};
    try {
      co_await write_message(serializer, false);
    } catch (const std::exception&) {
      co_return false;
    }
  }
  const auto whole = [&] { return parser.is_done(); };
  if (error_code ec; parse_read_bytes(parser, buffer, whole, ec) && ec)
    co_return co_await refuse(ec, exchange);
  while (!parser.is_done()) {
    arm(Phase::body, options.body_timeout);
    auto [ec, n] = co_await http::async_read_some(socket, buffer, parser, as_result);
    disarm();
    if (ec) co_return co_await refuse(ec, exchange);
  }
  co_return co_await run_exchange(exchange);
}

// The client's id is taken only from a head that was read whole (a Content-Length over the body
// limit is found once every field is read), and only when it sent exactly one: of two, neither
// can be told to be the one its other systems know.
void ServerConnection::assign_request_id(Exchange& exchange,
                                         const http::request_parser<http::string_body>& parser,
                                         error_code head_ec) const {
  if (!options.new_request_id) return;
  const bool head_read = parser.is_header_done() || head_ec == http::error::body_limit;
  if (head_read && parser.get().count(kRequestIdHeader) == 1) {
    const std::string_view incoming = exchange.header(kRequestIdHeader);
    if (valid_request_id(incoming)) {
      exchange.request_id_.assign(incoming);
      return;
    }
  }
  exchange.request_id_ = options.new_request_id();
}

asio::awaitable<bool> ServerConnection::refuse(error_code ec, Exchange& exchange) {
  if (ec == asio::error::operation_aborted && expired_ == Phase::body)
    co_await reply_error(exchange, 408, "request body timed out: no bytes received in time");
  else if (ec == http::error::body_limit)
    co_await reply_error(exchange, 413, "request body too large");
  else if (ec == http::error::header_limit)
    co_await reply_error(exchange, 431, "request header fields too large");
  else if (is_parse_error(ec))
    co_await reply_error(exchange, 400, "malformed HTTP request");
  // Anything else (a slow head, the client closing, a reset) ends the connection without a word.
  co_return false;
}

asio::awaitable<void> ServerConnection::reply_error(Exchange& exchange, int status,
                                                    std::string_view message) {
  auto [content_type, body] = options.error_body(status, message, exchange);
  Reply reply{static_cast<Status>(status), std::move(body), std::move(content_type), {}};
  co_await answer_and_close(exchange, std::move(reply));
}

// Answers for the server itself (an error, or the application's admission) and closes: what is
// left of the request is read and dropped for a moment, so the client reads the reply.
asio::awaitable<void> ServerConnection::answer_and_close(Exchange& exchange, Reply reply) {
  const auto started = Clock::now();
  exchange.request_allows_keep_alive_ = false;
  try {
    co_await exchange.respond(reply.status, std::move(reply.body), reply.content_type,
                              std::move(reply.fields));
  } catch (const std::exception&) {
    exchange.client_gone_ = true;
  }
  report(exchange, started);
  if (!exchange.client_gone_) co_await linger_close();
}

asio::awaitable<void> ServerConnection::linger_close() {
  error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  arm(Phase::linger, std::chrono::duration_cast<std::chrono::milliseconds>(kLingerTime));
  std::array<char, 16 * 1024> sink{};
  for (std::size_t drained = 0; drained < kLingerBytes;) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(sink), as_result);
    if (ec) break;
    drained += n;
  }
  disarm();
}

asio::awaitable<bool> ServerConnection::run_exchange(Exchange& exchange) {
  using namespace asio::experimental::awaitable_operators;
  const auto started = Clock::now();
  exchange.server_draining_ = &worker.draining;
  // The request is read: a long answer (a stream can last minutes) holds no read buffer.
  if (buffer.size() == 0) buffer.shrink_to_fit();

  // A client that leaves cancels its handler.
  exchange_running_ = true;
  client_left_ = forced_stop;
  if (forced_stop)  // the handler is cancelled at its first wait, as the watch would have done
    asio::post(socket.get_executor(), [alive = alive_] {
      ServerConnection* connection = *alive;
      if (connection != nullptr && connection->exchange_running_)
        connection->cancel_exchange_.emit(asio::cancellation_type::terminal);
    });
  else
    watch_client();
  const HandlerEnd end = co_await run_handler(exchange);
  exchange_running_ = false;
  stop_watching_client();
  bool keep_alive = false;
  if (client_left_ || forced_stop || expired_ == Phase::write)
    exchange.client_gone_ = true;
  else
    keep_alive = co_await complete_response(exchange, end);
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
      auto [content_type, body] = options.error_body(500, message, exchange);
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

// Waits until the client's next bytes are there (true) or it has left (false), holding no read
// buffer meanwhile: an idle connection costs its socket and little more, as in nginx, which frees
// an idle connection's buffers. Bytes already there are read at once, with no wait.
asio::awaitable<bool> ServerConnection::wait_readable() {
  error_code ec;
  if (socket.available(ec) > 0 || ec) co_return !ec;
  buffer.shrink_to_fit();
  auto [wait_ec] = co_await socket.async_wait(tcp::socket::wait_read, as_result);
  co_return !wait_ec;
}

// Watches the client's socket while the handler runs: EOF or an error (the socket closed by a
// timeout or a forced stop) means it has left, and the exchange is cancelled. A client that
// half-closes its side counts as gone. Bytes of a next request mean it is still there: the watch
// ends, and only a forced stop ends this exchange early now.
void ServerConnection::watch_client() {
  if (buffer.size() != 0) return;  // the next request is already here
  watching_client_ = true;
  socket.async_wait(
      tcp::socket::wait_read,
      asio::bind_cancellation_slot(cancel_watch_.slot(),
                                   [alive = alive_, watch = ++watch_serial_](const error_code& ec) {
                                     if (ServerConnection* connection = *alive)
                                       connection->on_client_readable(ec, watch);
                                   }));
}

void ServerConnection::on_client_readable(const error_code& ec, std::uint64_t watch) {
  if (!watching_client_ || watch != watch_serial_) return;  // a stopped watch's cancelled wait
  if (!ec) {
    const auto presence = peek_client();
    if (presence == ClientPresence::still_there) {
      watching_client_ = false;
      watch_client();
      return;
    }
    if (presence == ClientPresence::sent_more) {
      watching_client_ = false;
      return;
    }
  }
  watching_client_ = false;
  client_left_ = true;
  cancel_exchange_.emit(asio::cancellation_type::terminal);
}

void ServerConnection::stop_watching_client() {
  if (!watching_client_) return;
  watching_client_ = false;
  cancel_watch_.emit(asio::cancellation_type::total);
}

ClientPresence ServerConnection::peek_client() {
  char byte = 0;
  const auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
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

// Past its budget a connection is accepted and closed at once: the kernel's queue does not fill
// with clients that would wait for nothing, and nothing spins.
asio::awaitable<void> ServerWorker::accept_loop(tcp::acceptor& listener, ConnectionBudget& budget) {
  while (!draining) {
    auto [ec, socket] = co_await listener.async_accept(as_result);
    if (draining) co_return;
    if (ec == asio::error::connection_aborted) continue;
    if (ec) {
      if (ec == asio::error::operation_aborted || !listener.is_open()) co_return;
      // Out of descriptors or memory: pause instead of spinning on the same error.
      asio::steady_timer pause(ioc, kAcceptRetryDelay);
      co_await pause.async_wait(as_result);
      continue;
    }
    if (!budget.try_take()) {
      error_code ignored;
      socket.close(ignored);
      const auto refused = budget.refused.fetch_add(1, std::memory_order_relaxed) + 1;
      if (shared.options.on_connection_refused)
        shared.options.on_connection_refused(budget.private_listener, refused);
      continue;
    }
    // A connection may bring an upstream socket too: two states each.
    if (2 * connections.size() >= descriptor_states) {
      allocate_descriptor_states(ioc, kDescriptorStateBatch);
      descriptor_states += kDescriptorStateBatch;
    }
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto connection = std::make_unique<ServerConnection>(*this, budget, std::move(socket));
    asio::co_spawn(ioc, serve_connection(std::move(connection)), asio::detached);
  }
}

void ServerWorker::begin_shutdown() {
  if (draining) return;
  draining = true;
  error_code ignored;
  acceptor.close(ignored);
  private_acceptor.close(ignored);
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
  force_stop_all();
}

// Each connection is closed and its handler cancelled; they unwind on this loop, which runs on
// until the last one is gone.
void ServerWorker::force_stop_all() {
  for (auto* connection : connections) connection->force_stop();
}

void ServerWorker::forget(std::list<ServerConnection*>::iterator registration) {
  connections.erase(registration);
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

[[noreturn]] void fail_to_listen(const error_code& ec, const std::string& where) {
  throw std::system_error(std::error_code(ec), "cannot listen on " + where);
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
    fail_to_listen(ec ? ec : make_error_code(asio::error::host_not_found), describe(options));
  return results.begin()->endpoint();
}

void open_acceptor(tcp::acceptor& acceptor, const tcp::endpoint& endpoint, bool share_port,
                   const std::string& where) {
  error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec && share_port) acceptor.set_option(reuse_port(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) fail_to_listen(ec, where);
}

// SO_REUSEPORT would let us bind next to another server already listening on the port (the
// kernel would then split connections between the two): check first that the port is free.
void ensure_port_free(const tcp::endpoint& endpoint, const std::string& where) {
  asio::io_context probe_context;
  tcp::acceptor probe(probe_context);
  open_acceptor(probe, endpoint, false, where);
}

}  // namespace

struct Server::Impl {
  Impl(ServerOptions options, HandlerFactory factory)
      : shared(std::move(options)), make_handler(std::move(factory)) {}

  // Graceful (force: without grace). The first request of either kind tells on_shutdown.
  void request_shutdown(bool force) {
    bool first_request = false;
    {
      std::lock_guard lock(mutex);
      first_request = !stop_requested;
      stop_requested = true;
      force_requested = force_requested || force;
      for (auto& worker : workers) post_shutdown(*worker, force);
    }
    if (first_request && shared.options.on_shutdown) shared.options.on_shutdown();
  }

  static void post_shutdown(detail::ServerWorker& worker, bool force) {
    asio::post(worker.ioc, [&worker, force] {
      worker.begin_shutdown();
      if (force) worker.force_stop_all();
    });
  }

  // A second signal ends the grace at once: open exchanges are cancelled and unwind on their
  // loops (never dropped while suspended: a suspended coroutine may hold work on another loop).
  asio::awaitable<void> watch_signals() {
    if (auto [ec, number] = co_await signals->async_wait(as_result); ec) co_return;
    request_shutdown(false);
    if (auto [ec, number] = co_await signals->async_wait(as_result); ec) co_return;
    request_shutdown(true);
  }

  asio::awaitable<void> watch_hangups() {
    while (true) {
      if (auto [ec, number] = co_await hangups->async_wait(as_result); ec) co_return;
      shared.options.on_hangup();
    }
  }

  detail::ServerShared shared;
  HandlerFactory make_handler;
  std::mutex mutex;  // orders listen()/run() against shutdown() from other threads
  bool stop_requested = false;
  bool force_requested = false;
  std::uint16_t port = 0;
  std::uint16_t private_port = 0;
  std::vector<std::unique_ptr<detail::ServerWorker>> workers;
  std::optional<asio::signal_set> signals;  // on the first worker's context; destroyed before it
  std::optional<asio::signal_set> hangups;  // SIGHUP, when options.on_hangup is set; the same
};

Server::Server(ServerOptions options, HandlerFactory make_handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(make_handler))) {}

Server::~Server() = default;

unsigned worker_count(const ServerOptions& options) {
  return options.threads != 0 ? options.threads : std::max(1U, std::thread::hardware_concurrency());
}

std::uint16_t Server::listen() {
  std::lock_guard lock(impl_->mutex);
  if (!impl_->workers.empty()) return impl_->port;
  const ServerOptions& options = impl_->shared.options;
  const unsigned count = worker_count(options);

  tcp::endpoint endpoint = listen_endpoint(options);
  const bool share_port = count > 1;
  if (share_port && endpoint.port() != 0) ensure_port_free(endpoint, describe(options));
  tcp::endpoint private_endpoint{asio::ip::address_v4::loopback(), 0};
  const bool with_private = options.private_connections > 0;

  std::vector<std::unique_ptr<detail::ServerWorker>> workers;
  for (unsigned i = 0; i < count; ++i) {
    auto worker = std::make_unique<detail::ServerWorker>(impl_->shared);
    open_acceptor(worker->acceptor, endpoint, share_port, describe(options));
    if (i == 0) endpoint.port(worker->acceptor.local_endpoint().port());
    if (with_private) {
      open_acceptor(worker->private_acceptor, private_endpoint, share_port,
                    "127.0.0.1 (private listener)");
      if (i == 0) private_endpoint.port(worker->private_acceptor.local_endpoint().port());
    }
    workers.push_back(std::move(worker));
  }
  for (auto& worker : workers)
    worker->handler = std::make_shared<const Handler>(impl_->make_handler(worker->ioc));
  impl_->workers = std::move(workers);
  impl_->port = endpoint.port();
  impl_->private_port = with_private ? private_endpoint.port() : 0;
  return impl_->port;
}

std::uint16_t Server::private_port() const {
  return impl_->private_port;
}

void Server::run(std::function<void()> on_ready) {
  listen();
  Impl& impl = *impl_;
  detail::ServerWorker& first = *impl.workers.front();

  impl.shared.workers_draining = impl.workers.size();
  impl.shared.on_all_drained = [&impl, &first] {
    asio::post(first.ioc, [&impl] {
      if (impl.signals) impl.signals->cancel();
      if (impl.hangups) impl.hangups->cancel();
    });
  };
  for (auto& worker : impl.workers) {
    asio::co_spawn(worker->ioc, worker->accept_loop(worker->acceptor, impl.shared.public_budget),
                   asio::detached);
    if (worker->private_acceptor.is_open())
      asio::co_spawn(worker->ioc,
                     worker->accept_loop(worker->private_acceptor, impl.shared.private_budget),
                     asio::detached);
  }
  impl.signals.emplace(first.ioc, SIGINT, SIGTERM);
  asio::co_spawn(first.ioc, impl.watch_signals(), asio::detached);
  if (impl.shared.options.on_hangup) {
    impl.hangups.emplace(first.ioc, SIGHUP);
    asio::co_spawn(first.ioc, impl.watch_hangups(), asio::detached);
  }
  if (on_ready) on_ready();
  {
    std::lock_guard lock(impl.mutex);
    if (impl.stop_requested) {  // shutdown() came before run(): the posts may have had no worker
      for (auto& worker : impl.workers) Impl::post_shutdown(*worker, impl.force_requested);
    }
  }
  {
    std::vector<std::jthread> threads;
    for (std::size_t i = 1; i < impl.workers.size(); ++i)
      threads.emplace_back([&worker = *impl.workers[i]] { worker.ioc.run(); });
    first.ioc.run();
  }
  impl.signals.reset();
  impl.hangups.reset();
}

void Server::shutdown() {
  impl_->request_shutdown(false);
}

void Server::force_shutdown() {
  impl_->request_shutdown(true);
}

std::size_t Server::open_connections() const {
  return impl_->shared.public_budget.open.load() + impl_->shared.private_budget.open.load();
}

}  // namespace ccgate::http
