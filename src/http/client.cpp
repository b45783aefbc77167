#include "http/client.hpp"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/system/system_error.hpp>
#include <boost/url/parse.hpp>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <limits>
#include <unordered_map>
#include <variant>

#include "http/head.hpp"
#include "http/io_now.hpp"
#include "http/operation_deadline.hpp"
#include "http/parse_read.hpp"

namespace ccgate::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace urls = boost::urls;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;
using Kind = ClientError::Kind;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kHeaderLimit = 64 * 1024;
// The body read buffer, held for the whole life of a response: a long idle stream keeps it, so
// it is sized for SSE events rather than for bulk transfer.
// A body is handed over in pieces of up to kLargestPiece bytes. The piece starts small and
// doubles whenever a read fills it: a stream of small events, idle most of the time, holds
// kFirstPiece bytes, and a fast one soon reads kLargestPiece at a time.
constexpr std::size_t kFirstPiece = 512;
constexpr std::size_t kLargestPiece = 4 * 1024;
// A response head is read into a buffer of this size (nginx's proxy_buffer_size, one page), so a
// small answer arrives with its head in one read; the buffer shrinks back once its bytes are used.
constexpr std::size_t kHeadRead = 4 * 1024;
constexpr auto kUncheckedIdle = std::chrono::seconds(1);

// ---------------------------------------------------------------------------------------------
// Text helpers

std::string describe(std::chrono::milliseconds duration) {
  if (duration.count() % 1000 == 0) return std::to_string(duration.count() / 1000) + " s";
  return std::to_string(duration.count()) + " ms";
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

bool is_ip_literal(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

std::string join_host_port(std::string_view host, std::uint16_t port) {
  const bool ipv6 = host.find(':') != std::string_view::npos;
  std::string out = ipv6 ? "[" + std::string(host) + "]" : std::string(host);
  return out + ":" + std::to_string(port);
}

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(bytes.data()),
                                      static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Where a request goes

struct Target {
  bool tls = false;
  std::string host;  // without IPv6 brackets
  std::uint16_t port = 0;
  std::string origin_form;  // path and query

  std::string authority() const { return join_host_port(host, port); }
  // The Host header: the port is left out when it is the scheme's default.
  std::string host_header() const {
    if (port != (tls ? 443 : 80)) return authority();
    return host.find(':') == std::string::npos ? host : "[" + host + "]";
  }
};

Target parse_target(std::string_view url) {
  auto parsed = urls::parse_uri(url);
  if (!parsed) throw ClientError(Kind::connect, "invalid upstream URL: " + std::string(url));
  const urls::url_view& view = *parsed;
  Target target;
  const std::string scheme = lowercase(view.scheme());
  if (scheme != "http" && scheme != "https")
    throw ClientError(Kind::connect, "unsupported URL scheme in " + std::string(url));
  target.tls = scheme == "https";
  target.host = view.host_address();
  if (target.host.empty()) throw ClientError(Kind::connect, "no host in URL " + std::string(url));
  target.port = view.has_port() ? view.port_number() : (target.tls ? 443 : 80);
  target.origin_form = view.encoded_target();
  if (target.origin_form.empty() || target.origin_form.front() != '/')
    target.origin_form.insert(0, "/");
  return target;
}

struct ProxyRoute {
  std::string url;  // as configured: part of the pool key
  std::string host;
  std::uint16_t port = 0;
  std::string authorization;  // "Basic …", or empty

  std::string authority() const { return join_host_port(host, port); }
};

ProxyRoute parse_proxy(const std::string& configured) {
  const std::string url =
      configured.find("://") == std::string::npos ? "http://" + configured : configured;
  auto parsed = urls::parse_uri(url);
  if (!parsed) throw ClientError(Kind::connect, "invalid proxy URL: " + configured);
  const urls::url_view& view = *parsed;
  if (lowercase(view.scheme()) != "http")
    throw ClientError(Kind::connect, "unsupported proxy scheme (only http:// proxies): " +
                                         std::string(view.scheme()));
  ProxyRoute route;
  route.url = configured;
  route.host = view.host_address();
  route.port = view.has_port() ? view.port_number() : 1080;  // curl's default proxy port
  if (view.has_userinfo())
    route.authorization = "Basic " + base64(view.user() + ":" + view.password());
  return route;
}

// ---------------------------------------------------------------------------------------------
// Deadlines: every operation runs under the earlier of its phase's timeout and the total one.

struct Deadline {
  Clock::time_point at;
  bool is_total = false;  // the total timeout is the one that binds
};

Deadline earliest(std::chrono::milliseconds phase, Clock::time_point total) {
  const auto phase_end = Clock::now() + phase;
  if (total <= phase_end) return {total, true};
  return {phase_end, false};
}

enum class Phase { connect, proxy, tls, send, head, body };

[[noreturn]] void throw_cancelled() {
  throw boost::system::system_error(asio::error::operation_aborted);
}

[[noreturn]] void throw_timeout(Phase phase, Deadline deadline, const ClientTimeouts& timeouts,
                                std::string_view where) {
  if (deadline.is_total)
    throw ClientError(Kind::timeout, "upstream exchange exceeded the total timeout of " +
                                         describe(timeouts.total));
  switch (phase) {
    case Phase::connect:
    case Phase::proxy:
    case Phase::tls:
      throw ClientError(Kind::timeout, "could not connect to " + std::string(where) + " within " +
                                           describe(timeouts.connect) + " (connect timeout)");
    case Phase::send:
    case Phase::head:
      throw ClientError(Kind::timeout, "upstream sent no response within " +
                                           describe(timeouts.first_byte) + " (first-byte timeout)");
    case Phase::body:
      break;
  }
  throw ClientError(Kind::timeout, "upstream sent nothing for " + describe(timeouts.idle) +
                                       " mid-response (idle timeout)");
}

bool is_parse_error(const error_code& ec) {
  return ec.category() == make_error_code(bhttp::error::end_of_stream).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

// A reused connection the server had already given up on fails in one of these ways.
bool is_connection_loss(const error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::connection_aborted ||
         ec == asio::error::not_connected || ec == bhttp::error::end_of_stream ||
         ec == asio::ssl::error::stream_truncated;
}

// Turns a failed operation into what send() and Response promise to throw.
[[noreturn]] void throw_failure(const error_code& ec, Phase phase, Deadline deadline,
                                const ClientTimeouts& timeouts, std::string_view where) {
  if (ec == asio::error::operation_aborted) throw_cancelled();
  if (ec == beast::error::timeout) throw_timeout(phase, deadline, timeouts, where);
  const std::string place(where);
  switch (phase) {
    case Phase::connect:
      throw ClientError(Kind::connect, "could not connect to " + place + ": " + ec.message());
    case Phase::proxy:
      throw ClientError(Kind::connect, "proxy " + place + " failed: " + ec.message());
    case Phase::tls:
      throw ClientError(Kind::tls, "TLS handshake with " + place + " failed: " + ec.message());
    case Phase::send:
      throw ClientError(Kind::closed, "upstream " + place +
                                          " closed the connection while the request was sent (" +
                                          ec.message() + ")");
    case Phase::head:
      if (is_parse_error(ec))
        throw ClientError(Kind::protocol,
                          "malformed response head from " + place + ": " + ec.message());
      throw ClientError(
          Kind::closed,
          "upstream " + place + " closed the connection before responding (" + ec.message() + ")");
    case Phase::body:
      break;
  }
  if (is_parse_error(ec))
    throw ClientError(Kind::protocol,
                      "malformed response body from " + place + ": " + ec.message());
  throw ClientError(Kind::closed, "upstream " + place + " closed the connection mid-response (" +
                                      ec.message() + ")");
}

// ---------------------------------------------------------------------------------------------
// One stream type for plain TCP and TLS, so the HTTP code is written once.

class Stream {
 public:
  using Tls = beast::ssl_stream<beast::tcp_stream>;
  using executor_type = beast::tcp_stream::executor_type;

  explicit Stream(beast::tcp_stream tcp)
      : layers_(std::in_place_type<beast::tcp_stream>, std::move(tcp)) {}

  Tls& start_tls(asio::ssl::context& context) {
    auto tcp = std::move(std::get<beast::tcp_stream>(layers_));
    return layers_.emplace<Tls>(std::move(tcp), context);
  }

  beast::tcp_stream& tcp() {
    return std::visit(
        [](auto& layer) -> beast::tcp_stream& { return beast::get_lowest_layer(layer); }, layers_);
  }
  bool plain() const { return std::holds_alternative<beast::tcp_stream>(layers_); }
  executor_type get_executor() { return tcp().get_executor(); }
  void arm(Deadline deadline) { tcp().expires_at(deadline.at); }
  void close() { tcp().close(); }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(error_code, std::size_t)>(
        [this](auto handler, const MutableBuffers& into) {
          std::visit([&](auto& layer) { layer.async_read_some(into, std::move(handler)); },
                     layers_);
        },
        token, buffers);
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(error_code, std::size_t)>(
        [this](auto handler, const ConstBuffers& from) {
          std::visit([&](auto& layer) { layer.async_write_some(from, std::move(handler)); },
                     layers_);
        },
        token, buffers);
  }

 private:
  std::variant<beast::tcp_stream, Tls> layers_;
};

struct Connection {
  Stream stream;
  std::string pool_key;
  beast::flat_buffer buffer;  // bytes read past the last message
  Clock::time_point idle_since{};
  OperationDeadline deadline{};  // of an exchange's reads and writes (connecting has Beast's)

  void close() {
    deadline.stop();
    stream.close();
  }

  // False when the server closed the connection (or sent something unasked) while it was idle.
  // A connection idle for less than kUncheckedIdle is taken without asking the kernel: servers
  // close idle connections after seconds, and one that closed sooner is caught by the retry of
  // a request on a reused connection (as nginx, which never checks). Under steady load that is
  // a system call per request fewer.
  bool still_open(Clock::time_point now) {
    if (buffer.size() != 0) return false;
    auto& socket = stream.tcp().socket();
    if (!socket.is_open()) return false;
    if (now - idle_since < kUncheckedIdle) return true;
    char byte;
    const auto peeked = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
};

// ---------------------------------------------------------------------------------------------
// Name resolution with a deadline. Asio runs getaddrinfo on a helper thread that cannot be
// interrupted, so the wait is detached from it: a timeout or cancellation returns at once and
// the late answer is dropped.

struct PendingResolve {
  explicit PendingResolve(const asio::any_io_executor& executor)
      : resolver(executor), wake(executor) {}
  tcp::resolver resolver;
  asio::steady_timer wake;
  std::optional<error_code> error;
  tcp::resolver::results_type results;
};

asio::awaitable<std::vector<tcp::endpoint>> resolve(const asio::any_io_executor& executor,
                                                    const std::string& host, std::uint16_t port,
                                                    Deadline deadline,
                                                    const ClientTimeouts& timeouts) {
  const std::string where = join_host_port(host, port);
  error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (!ec) co_return std::vector<tcp::endpoint>{tcp::endpoint(address, port)};

  auto pending = std::make_shared<PendingResolve>(executor);
  pending->resolver.async_resolve(host, std::to_string(port),
                                  [pending](error_code error, tcp::resolver::results_type results) {
                                    pending->error = error;
                                    pending->results = std::move(results);
                                    pending->wake.cancel();
                                  });
  pending->wake.expires_at(deadline.at);
  auto [waited] = co_await pending->wake.async_wait(use_tuple);
  if (!pending->error) {
    pending->resolver.cancel();
    if (waited == asio::error::operation_aborted) throw_cancelled();
    throw_timeout(Phase::connect, deadline, timeouts, where);
  }
  if (*pending->error)
    throw ClientError(Kind::connect,
                      "could not resolve " + host + ": " + pending->error->message());
  co_return std::vector<tcp::endpoint>(pending->results.begin(), pending->results.end());
}

// OpenSSL reports a failed host-name check as an unspecified error; name it.
struct VerifyHostName {
  asio::ssl::host_name_verification check;
  bool operator()(bool preverified, asio::ssl::verify_context& context) const {
    if (check(preverified, context)) return true;
    if (preverified)
      X509_STORE_CTX_set_error(context.native_handle(), X509_V_ERR_HOSTNAME_MISMATCH);
    return false;
  }
};

// The body is a view of the ClientRequest's, which outlives the message (both live in send()).
using RequestMessage = bhttp::request<bhttp::span_body<const char>>;

RequestMessage build_request(const ClientRequest& request, const Target& target,
                             const std::optional<ProxyRoute>& proxy) {
  RequestMessage message;
  message.version(11);
  const auto verb = bhttp::string_to_verb(request.method);
  if (verb == bhttp::verb::unknown)
    message.method_string(request.method);
  else
    message.method(verb);
  const bool absolute_form = proxy && !target.tls;
  message.target(absolute_form ? "http://" + target.host_header() + target.origin_form
                               : target.origin_form);
  message.set(bhttp::field::host, target.host_header());
  for (const auto& [name, value] : request.headers) {
    const auto field = bhttp::string_to_field(name);
    if (field == bhttp::field::content_length || field == bhttp::field::transfer_encoding ||
        field == bhttp::field::connection)
      continue;  // framing and connection handling are this client's job
    if (field == bhttp::field::host)
      message.set(field, value);
    else
      message.insert(name, value);
  }
  if (absolute_form && !proxy->authorization.empty())
    message.set(bhttp::field::proxy_authorization, proxy->authorization);
  message.set(bhttp::field::connection, "keep-alive");
  const std::string_view body = request.body.view();
  message.body() = {body.data(), body.size()};
  message.prepare_payload();
  return message;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The pool

// Where a URL goes: its target, the proxy on the way, and the pool key of its connections.
struct Route {
  std::string url;
  Target target;
  std::optional<ProxyRoute> proxy;
  std::string key;
};

struct Client::Pool {
  Pool(asio::any_io_executor executor, asio::ssl::context& tls_context, ClientOptions options)
      : executor(std::move(executor)), tls(&tls_context), options(std::move(options)) {}

  // A provider sends every request to the same URL: it is parsed once, not per request.
  std::shared_ptr<const Route> route_for(const std::string& url);

  std::optional<Connection> take(const std::string& key);
  void give_back(Connection connection);
  void drop_stale(Clock::time_point now);
  std::size_t idle_count() const;

  asio::awaitable<Connection> connect(const Target& target, const std::optional<ProxyRoute>& proxy,
                                      std::string key, const ClientTimeouts& timeouts,
                                      Clock::time_point total_deadline);
  asio::awaitable<void> open_tunnel(Connection& connection, const Target& target,
                                    const ProxyRoute& proxy, Deadline deadline,
                                    const ClientTimeouts& timeouts);
  asio::awaitable<void> handshake(Connection& connection, const Target& target, Deadline deadline,
                                  const ClientTimeouts& timeouts);

  asio::any_io_executor executor;
  asio::ssl::context* tls;
  ClientOptions options;
  std::unordered_map<std::string, std::deque<Connection>> idle;  // oldest first
  std::size_t opened = 0;
  bool open = true;  // false once the Client is gone: returning connections are closed
  std::shared_ptr<const Route> last_route;
};

std::shared_ptr<const Route> Client::Pool::route_for(const std::string& url) {
  if (last_route && last_route->url == url) return last_route;
  Route route{.url = url, .target = parse_target(url), .proxy = std::nullopt, .key = {}};
  const Target& target = route.target;
  if (auto proxy_url = options.proxy.proxy_for(target.tls ? "https" : "http", target.host);
      !proxy_url.empty())
    route.proxy = parse_proxy(proxy_url);
  route.key = (target.tls ? "https://" : "http://") + target.authority() +
              (route.proxy ? " via " + route.proxy->url : "");
  last_route = std::make_shared<const Route>(std::move(route));
  return last_route;
}

std::optional<Connection> Client::Pool::take(const std::string& key) {
  const auto now = Clock::now();
  drop_stale(now);
  const auto found = idle.find(key);
  if (found == idle.end()) return std::nullopt;
  auto& connections = found->second;
  std::optional<Connection> taken;
  while (!connections.empty() && !taken) {
    // Most recently used first: the one most likely still open.
    Connection candidate = std::move(connections.back());
    connections.pop_back();
    if (candidate.still_open(now)) taken.emplace(std::move(candidate));
  }
  if (connections.empty()) idle.erase(found);
  return taken;
}

void Client::Pool::give_back(Connection connection) {
  if (!open || options.max_idle_per_host == 0) return;
  const auto now = Clock::now();
  drop_stale(now);
  connection.deadline.rest();
  connection.idle_since = now;
  // An idle connection holds no read buffer (a pool can keep thousands after a burst).
  if (connection.buffer.size() == 0) connection.buffer.shrink_to_fit();
  auto& connections = idle[connection.pool_key];
  connections.push_back(std::move(connection));
  while (connections.size() > options.max_idle_per_host) connections.pop_front();
}

void Client::Pool::drop_stale(Clock::time_point now) {
  for (auto entry = idle.begin(); entry != idle.end();) {
    auto& connections = entry->second;
    while (!connections.empty() && now - connections.front().idle_since >= options.idle_keepalive)
      connections.pop_front();
    entry = connections.empty() ? idle.erase(entry) : std::next(entry);
  }
}

std::size_t Client::Pool::idle_count() const {
  std::size_t count = 0;
  for (const auto& [key, connections] : idle) count += connections.size();
  return count;
}

asio::awaitable<Connection> Client::Pool::connect(const Target& target,
                                                  const std::optional<ProxyRoute>& proxy,
                                                  std::string key, const ClientTimeouts& timeouts,
                                                  Clock::time_point total_deadline) {
  const Deadline deadline = earliest(timeouts.connect, total_deadline);
  const std::string& host = proxy ? proxy->host : target.host;
  const std::uint16_t port = proxy ? proxy->port : target.port;
  const std::string where = (proxy ? "proxy " : "") + join_host_port(host, port);

  const auto endpoints = co_await resolve(executor, host, port, deadline, timeouts);
  beast::tcp_stream tcp_stream(executor);
  tcp_stream.expires_at(deadline.at);
  auto [connect_error, endpoint] = co_await tcp_stream.async_connect(endpoints, use_tuple);
  if (connect_error) throw_failure(connect_error, Phase::connect, deadline, timeouts, where);
  tcp_stream.socket().set_option(tcp::no_delay(true));
  ++opened;

  Connection connection{
      .stream = Stream(std::move(tcp_stream)), .pool_key = std::move(key), .buffer = {}};
  if (proxy && target.tls) co_await open_tunnel(connection, target, *proxy, deadline, timeouts);
  if (target.tls) co_await handshake(connection, target, deadline, timeouts);
  connection.stream.tcp().expires_never();
  connection.deadline = OperationDeadline(connection.stream.get_executor(),
                                          connection.stream.tcp().socket().native_handle());
  co_return connection;
}

asio::awaitable<void> Client::Pool::open_tunnel(Connection& connection, const Target& target,
                                                const ProxyRoute& proxy, Deadline deadline,
                                                const ClientTimeouts& timeouts) {
  bhttp::request<bhttp::empty_body> request{bhttp::verb::connect, target.authority(), 11};
  request.set(bhttp::field::host, target.authority());
  if (!proxy.authorization.empty())
    request.set(bhttp::field::proxy_authorization, proxy.authorization);
  const std::string where = proxy.authority();

  connection.stream.arm(deadline);
  auto [write_error, written] = co_await bhttp::async_write(connection.stream, request, use_tuple);
  if (write_error) throw_failure(write_error, Phase::proxy, deadline, timeouts, where);

  bhttp::response_parser<bhttp::empty_body> parser;
  parser.skip(true);  // a CONNECT answer has no body: the tunnel follows
  auto [read_error, read] =
      co_await bhttp::async_read_header(connection.stream, connection.buffer, parser, use_tuple);
  if (read_error) throw_failure(read_error, Phase::proxy, deadline, timeouts, where);
  const auto& answer = parser.get();
  if (answer.result_int() / 100 != 2)
    throw ClientError(Kind::connect, "proxy " + where + " refused CONNECT " + target.authority() +
                                         ": " + std::to_string(answer.result_int()) + " " +
                                         std::string(answer.reason()));
  if (connection.buffer.size() != 0)
    throw ClientError(Kind::protocol, "proxy " + where + " sent data before the tunnel was used");
}

asio::awaitable<void> Client::Pool::handshake(Connection& connection, const Target& target,
                                              Deadline deadline, const ClientTimeouts& timeouts) {
  auto& tls_stream = connection.stream.start_tls(*tls);
  if (!is_ip_literal(target.host))  // RFC 6066: no SNI for address literals
    SSL_set_tlsext_host_name(tls_stream.native_handle(), target.host.c_str());
  tls_stream.set_verify_mode(asio::ssl::verify_peer);
  tls_stream.set_verify_callback(VerifyHostName{asio::ssl::host_name_verification(target.host)});

  connection.stream.arm(deadline);
  auto [ec] = co_await tls_stream.async_handshake(asio::ssl::stream_base::client, use_tuple);
  if (!ec) co_return;
  const long verdict = SSL_get_verify_result(tls_stream.native_handle());
  if (verdict != X509_V_OK && ec != asio::error::operation_aborted && ec != beast::error::timeout)
    throw ClientError(Kind::tls,
                      "TLS certificate of " + target.authority() +
                          " failed verification: " + X509_verify_cert_error_string(verdict));
  throw_failure(ec, Phase::tls, deadline, timeouts, target.authority());
}

// ---------------------------------------------------------------------------------------------
// Response

struct Response::State {
  State(std::shared_ptr<Client::Pool> pool, Connection connection, ClientTimeouts timeouts,
        Clock::time_point total_deadline, std::string where)
      : pool(std::move(pool)),
        connection(std::move(connection)),
        timeouts(timeouts),
        total_deadline(total_deadline),
        where(std::move(where)) {}

  // A fresh parser for the next response head (the first one, or the one after a 1xx).
  void expect_response(bool to_head_request) {
    parser.emplace();
    parser->body_limit(boost::none);  // streams can be long
    parser->header_limit(kHeaderLimit);
    parser->skip(to_head_request);
  }

  bool reusable() const { return !broken && parser->is_done() && parser->keep_alive(); }

  // Hands the connection back to the pool, or closes it when it cannot serve another request.
  void release() {
    if (reusable())
      pool->give_back(std::move(connection));
    else
      connection.close();
  }

  // Parses, without waiting, the body bytes already read (a socket read often brings several
  // chunks: one per streamed event) into what is left of the piece. Beast's read_some parses one
  // chunk per call, so without this each event costs its own trip through the scheduler and,
  // downstream, its own write. An error is kept for the next read_some, after the bytes before
  // it have been handed over, as an unbuffered read would have reported it.
  void parse_buffered() {
    const auto& body = parser->get().body();
    error_code ec;
    const auto piece_full_or_done = [&] { return body.size == 0 || parser->is_done(); };
    parse_read_bytes(*parser, connection.buffer, piece_full_or_done, ec);
    if (ec) buffered_error = ec;
  }

  // Once the head's bytes are used, the head-sized buffer is given up: a body still coming may
  // idle for minutes, and a finished answer's connection goes to the pool, whose idle
  // connections hold no buffer either (Pool::give_back). A few bytes the parser cannot use yet
  // (a chunk's CRLF before the next chunk's size) move to a buffer of their size.
  void shrink_buffer() {
    auto& buffer = connection.buffer;
    if (buffer.capacity() >= kHeadRead && buffer.size() <= kFirstPiece) buffer.shrink_to_fit();
  }

  // The buffer for the next piece: the first one, or twice the last when a read filled it.
  char* next_piece(bool last_was_full) {
    if (!piece || (last_was_full && piece_size < kLargestPiece)) {
      piece_size = piece ? piece_size * 2 : kFirstPiece;
      piece = std::make_unique_for_overwrite<char[]>(piece_size);
    }
    return piece.get();
  }

  // An operation the deadline ended fails with what it saw of the shut socket: reported as the
  // timeout it is.
  [[noreturn]] void fail(const error_code& ec, Phase phase, Deadline deadline) {
    broken = true;
    const error_code reported = connection.deadline.expired() ? beast::error::timeout : ec;
    connection.close();
    throw_failure(reported, phase, deadline, timeouts, where);
  }

  std::shared_ptr<Client::Pool> pool;
  Connection connection;
  std::optional<bhttp::response_parser<bhttp::buffer_body>> parser;
  ClientTimeouts timeouts;
  Clock::time_point total_deadline;
  std::string where;
  bool broken = false;
  error_code buffered_error;      // found by parse_buffered, reported by the next read_some
  std::unique_ptr<char[]> piece;  // not zeroed: it is only ever read after a read fills it
  std::size_t piece_size = 0;
  bool last_piece_full = false;
};

Response::Response(std::unique_ptr<State> state) : state_(std::move(state)) {}
Response::Response(Response&&) noexcept = default;

Response& Response::operator=(Response&& other) noexcept {
  if (this != &other) {
    if (state_) state_->release();
    state_ = std::move(other.state_);
  }
  return *this;
}

Response::~Response() {
  if (state_) state_->release();
}

int Response::status() const {
  return state_->parser->get().result_int();
}

const boost::beast::http::fields& Response::headers() const {
  return state_->parser->get();
}

std::string_view Response::header(std::string_view name) const {
  return state_->parser->get()[name];
}

asio::awaitable<std::optional<std::string_view>> Response::read_some() {
  State& state = *state_;
  if (state.broken)
    throw ClientError(Kind::closed, "the connection to " + state.where + " was already closed");
  auto& parser = *state.parser;
  if (parser.is_done()) co_return std::nullopt;

  const Deadline deadline = earliest(state.timeouts.idle, state.total_deadline);
  if (state.buffered_error) state.fail(state.buffered_error, Phase::body, deadline);
  auto& body = parser.get().body();
  for (;;) {
    body.data = state.next_piece(state.last_piece_full);
    body.size = state.piece_size;
    // Bytes that came with the head (often the whole of a small answer) need no read.
    state.parse_buffered();
    if (body.size == state.piece_size && !state.buffered_error && !parser.is_done()) {
      // Bytes left over from the head's read were parsed just now: a stream that waits here,
      // perhaps for minutes, waits without the head-sized buffer.
      state.shrink_buffer();
      state.connection.deadline.arm(deadline.at);
      auto [ec, read] = co_await bhttp::async_read_some(state.connection.stream,
                                                        state.connection.buffer, parser, use_tuple);
      state.connection.deadline.disarm();
      if (ec == bhttp::error::need_buffer) ec = {};
      if (ec) state.fail(ec, Phase::body, deadline);
      state.parse_buffered();
    }
    state.shrink_buffer();
    const std::size_t got = state.piece_size - body.size;
    state.last_piece_full = body.size == 0;
    if (got > 0) co_return std::string_view(state.piece.get(), got);
    if (state.buffered_error) state.fail(state.buffered_error, Phase::body, deadline);
    if (parser.is_done()) co_return std::nullopt;
  }
}

asio::awaitable<std::string> Response::read_all(std::size_t limit) {
  std::string body;
  if (const auto length = state_->parser->content_length(); length && *length <= limit)
    body.reserve(static_cast<std::size_t>(*length));
  while (const auto piece = co_await read_some()) {
    if (body.size() + piece->size() > limit) {
      abort();
      throw ClientError(Kind::protocol, "upstream response body exceeds the limit of " +
                                            std::to_string(limit) + " bytes");
    }
    body.append(*piece);
  }
  co_return body;
}

void Response::abort() {
  if (!state_) return;
  state_->broken = true;
  state_->connection.close();
}

// ---------------------------------------------------------------------------------------------
// Client

namespace {

enum class Attempt { answered, retry };

// Writes the request and reads the response head. A reused connection that turns out dead
// before any response byte is worth one more try on a fresh one.
asio::awaitable<Attempt> exchange(Response::State& state, const RequestMessage& message,
                                  std::string_view head, bool may_retry) {
  auto& connection = state.connection;
  const Deadline deadline = earliest(state.timeouts.first_byte, state.total_deadline);
  connection.deadline.arm(deadline.at);
  const std::array<asio::const_buffer, 2> bytes{
      asio::buffer(head), asio::buffer(message.body().data(), message.body().size())};
  const std::size_t sent = connection.stream.plain()
                               ? send_now(connection.stream.tcp().socket().native_handle(), bytes)
                               : 0;
  if (sent < asio::buffer_size(bytes)) {
    beast::buffers_suffix<std::array<asio::const_buffer, 2>> rest(bytes);
    rest.consume(sent);
    // As much as the kernel takes per write, as Beast's serializer did: a megabyte body goes in
    // a few sendmsg calls, not in asio's default steps of 64 KiB.
    const auto all_it_takes = [](const error_code& ec, std::size_t) -> std::size_t {
      return ec ? 0 : std::numeric_limits<std::size_t>::max();
    };
    auto [write_error, written] =
        co_await asio::async_write(connection.stream, rest, all_it_takes, use_tuple);
    if (write_error) {
      if (may_retry && is_connection_loss(write_error) && !connection.deadline.expired())
        co_return Attempt::retry;
      state.fail(write_error, Phase::send, deadline);
    }
  }
  const bool to_head_request = message.method() == bhttp::verb::head;
  for (bool interim_seen = false;; interim_seen = true) {
    state.expect_response(to_head_request);
    connection.buffer.reserve(kHeadRead);
    auto [read_error, read] = co_await bhttp::async_read_header(
        connection.stream, connection.buffer, *state.parser, use_tuple);
    if (read_error) {
      if (may_retry && is_connection_loss(read_error) && !interim_seen &&
          !state.parser->got_some() && !connection.deadline.expired())
        co_return Attempt::retry;
      state.fail(read_error, Phase::head, deadline);
    }
    // Interim 1xx answers (100 Continue, 103 Early Hints) may precede the real one.
    const unsigned status = state.parser->get().result_int();
    if (status < 100 || status >= 200 || status == 101) break;
  }
  connection.deadline.disarm();
  co_return Attempt::answered;
}

}  // namespace

Client::Client(asio::any_io_executor executor, asio::ssl::context& tls, ClientOptions options)
    : pool_(std::make_shared<Pool>(std::move(executor), tls, std::move(options))) {}

Client::~Client() {
  pool_->open = false;
  pool_->idle.clear();
}

asio::awaitable<Response> Client::send(ClientRequest request, ClientTimeouts timeouts) {
  const auto total_deadline = Clock::now() + timeouts.total;
  const std::shared_ptr<Pool> pool = pool_;
  const std::shared_ptr<const Route> route = pool->route_for(request.url);
  const Target& target = route->target;
  const std::optional<ProxyRoute>& proxy = route->proxy;
  const std::string& key = route->key;
  const RequestMessage message = build_request(request, target, proxy);
  const std::string head = serialize_head(message.base());

  for (bool first_attempt = true;; first_attempt = false) {
    // A retry always gets a fresh connection: the other pooled ones may be dead just the same.
    std::optional<Connection> connection = first_attempt ? pool->take(key) : std::nullopt;
    const bool reused = connection.has_value();
    if (!connection)
      connection.emplace(co_await pool->connect(target, proxy, key, timeouts, total_deadline));
    auto state = std::make_unique<Response::State>(pool, std::move(*connection), timeouts,
                                                   total_deadline, target.authority());
    const auto attempt = co_await exchange(*state, message, head, reused);
    if (attempt == Attempt::answered) co_return Response(std::move(state));
  }
}

std::size_t Client::idle_connections() const {
  return pool_->idle_count();
}

std::size_t Client::connections_opened() const {
  return pool_->opened;
}

asio::ssl::context make_client_tls_context() {
  asio::ssl::context context(asio::ssl::context::tls_client);
  context.set_default_verify_paths();
  context.set_verify_mode(asio::ssl::verify_peer);
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
  return context;
}

// ---------------------------------------------------------------------------------------------
// Proxy settings

namespace {

std::string environment(const char* lower, const char* upper) {
  if (const char* value = std::getenv(lower)) return value;
  if (const char* value = std::getenv(upper)) return value;
  return {};
}

std::string normalize_host(std::string_view host) {
  std::string name = lowercase(trim(host));
  if (name.size() >= 2 && name.front() == '[' && name.back() == ']')
    name = name.substr(1, name.size() - 2);
  while (!name.empty() && name.back() == '.') name.pop_back();
  return name;
}

bool is_loopback(const std::string& host) {
  if (host == "localhost" || host.ends_with(".localhost")) return true;
  error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

bool bypasses_proxy(const std::string& host, std::string_view no_proxy) {
  while (!no_proxy.empty()) {
    const auto comma = no_proxy.find(',');
    std::string entry = normalize_host(no_proxy.substr(0, comma));
    no_proxy = comma == std::string_view::npos ? std::string_view{} : no_proxy.substr(comma + 1);
    if (entry == "*") return true;
    if (entry.starts_with("*.")) entry.erase(0, 2);
    if (entry.starts_with(".")) entry.erase(0, 1);
    if (entry.empty()) continue;
    if (host == entry) return true;
    if (host.size() > entry.size() && host.ends_with(entry) &&
        host[host.size() - entry.size() - 1] == '.')
      return true;
  }
  return false;
}

}  // namespace

ProxySettings ProxySettings::from_environment() {
  return ProxySettings{.http_proxy = environment("http_proxy", "HTTP_PROXY"),
                       .https_proxy = environment("https_proxy", "HTTPS_PROXY"),
                       .no_proxy = environment("no_proxy", "NO_PROXY")};
}

std::string ProxySettings::proxy_for(std::string_view scheme, std::string_view host) const {
  const std::string wanted = lowercase(scheme);
  std::string_view proxy;
  if (wanted == "https") proxy = trim(https_proxy);
  if (wanted == "http") proxy = trim(http_proxy);
  if (proxy.empty()) return {};
  const std::string name = normalize_host(host);
  if (is_loopback(name) || bypasses_proxy(name, no_proxy)) return {};
  return std::string(proxy);
}

}  // namespace ccgate::http
