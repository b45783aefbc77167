#pragma once
// The upstream HTTP/1.1 client: pooled keep-alive connections over TCP and TLS (system CA store,
// SNI, verification on), CONNECT tunnels through HTTPS_PROXY/HTTP_PROXY with NO_PROXY, and
// separate connect / first-byte / idle / total timeouts. It knows nothing of LLMs.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/fields.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ccgate::http {

namespace asio = boost::asio;

struct ClientTimeouts {
  std::chrono::milliseconds connect{10'000};     // TCP connect + TLS handshake (+ proxy CONNECT)
  std::chrono::milliseconds first_byte{90'000};  // request sent → response head received
  std::chrono::milliseconds idle{90'000};        // between two body reads
  std::chrono::milliseconds total{600'000};      // whole exchange
};

// Members have default initializers so designated initializers may name only some of them
// (GCC 12's -Wmissing-field-initializers would flag the rest).
struct ProxySettings {
  std::string http_proxy{};   // for http:// targets, e.g. "http://proxy:3128"; empty: direct
  std::string https_proxy{};  // for https:// targets (CONNECT tunnel)
  std::string no_proxy{};     // comma-separated hosts/domains/suffixes, "*" for all
  // Reads HTTPS_PROXY/https_proxy, HTTP_PROXY/http_proxy, NO_PROXY/no_proxy.
  static ProxySettings from_environment();
  // The proxy URL to use for this target, or empty for a direct connection.
  std::string proxy_for(std::string_view scheme, std::string_view host) const;
};

struct ClientOptions {
  ProxySettings proxy{};
  std::size_t max_idle_per_host = 64;
  // Pooled connections idle longer than this are dropped.
  std::chrono::milliseconds idle_keepalive{60'000};
};

// A request body the attempts of one request share: a retry sends the same bytes, and a copy of
// the request copies a pointer, not a body that can be megabytes.
class SharedBody {
 public:
  SharedBody() = default;
  // Implicit, as std::string's own: a body is its text.
  SharedBody(std::string text) : text_(std::make_shared<const std::string>(std::move(text))) {}
  SharedBody(const char* text) : SharedBody(std::string(text)) {}

  std::string_view view() const { return text_ ? std::string_view(*text_) : std::string_view(); }

 private:
  std::shared_ptr<const std::string> text_;
};

struct ClientRequest {
  std::string method = "POST";
  std::string url{};  // absolute http:// or https:// URL, query included
  std::vector<std::pair<std::string, std::string>> headers{};
  SharedBody body{};
};

class ClientError : public std::runtime_error {
 public:
  enum class Kind { connect, tls, timeout, protocol, closed };
  ClientError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }
  // True when no byte of the request may have reached the server (safe to retry anything).
  bool before_send() const { return kind_ == Kind::connect || kind_ == Kind::tls; }

 private:
  Kind kind_;
};

class Client;

// A response whose head has arrived. Read the body with read_some()/read_all(). When destroyed,
// the connection goes back to the pool only if the body was read to its end and the server
// allows keep-alive; otherwise it is closed (so abandoning a stream closes the upstream socket).
class Response {
 public:
  Response(Response&&) noexcept;
  Response& operator=(Response&&) noexcept;
  ~Response();

  int status() const;
  const boost::beast::http::fields& headers() const;
  std::string_view header(std::string_view name) const;  // empty if absent

  // The next piece of the (de-chunked) body as it arrives; std::nullopt at its end. The view
  // is valid until the next call. Throws ClientError (timeout: idle or total).
  asio::awaitable<std::optional<std::string_view>> read_some();
  // The whole remaining body; throws ClientError(protocol) past limit bytes.
  asio::awaitable<std::string> read_all(std::size_t limit = 64 * 1024 * 1024);
  // Close the connection now (not returned to the pool).
  void abort();

  struct State;
  explicit Response(std::unique_ptr<State> state);

 private:
  std::unique_ptr<State> state_;
};

// One client per event loop (not thread-safe; no locks needed).
class Client {
 public:
  Client(asio::any_io_executor executor, asio::ssl::context& tls, ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends the request and waits for the response head. Throws ClientError. Like read_some(), a
  // cancelled call (asio per-operation cancellation) closes its connection and throws
  // boost::system::system_error(operation_aborted).
  asio::awaitable<Response> send(ClientRequest request, ClientTimeouts timeouts);

  std::size_t idle_connections() const;
  std::size_t connections_opened() const;  // total ever opened, for tests and benchmarks

  struct Pool;

 private:
  std::shared_ptr<Pool> pool_;
};

// A TLS client context with the system CA store and peer verification on.
asio::ssl::context make_client_tls_context();

}  // namespace ccgate::http
