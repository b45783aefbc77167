#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "http/client.hpp"

namespace ccgate::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Request = bhttp::request<bhttp::string_body>;
using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// ASSERT_* would `return` from a coroutine; this ends the test's coroutine instead.
#define CO_ASSERT_TRUE(condition)                  \
  if (!(condition)) {                              \
    ADD_FAILURE() << "expected true: " #condition; \
    co_return;                                     \
  }

asio::awaitable<void> sleep_for(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(use_tuple);
}

std::string chunk(std::string_view data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + std::string(data) + "\r\n";
}

constexpr std::string_view kChunkedHead =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";

// Counts events; a coroutine can wait for a count, within a limit so a failing test still ends.
class Signal {
 public:
  explicit Signal(const asio::any_io_executor& executor) : timer_(executor) {}
  void notify() {
    ++count_;
    timer_.cancel();
  }
  int count() const { return count_; }
  asio::awaitable<bool> wait_for(int wanted, std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    while (count_ < wanted && Clock::now() < deadline) {
      timer_.expires_at(deadline);
      co_await timer_.async_wait(use_tuple);
    }
    co_return count_ >= wanted;
  }

 private:
  asio::steady_timer timer_;
  int count_ = 0;
};

// The server's side of one accepted connection, plain or TLS.
template <class Stream>
struct BasicPeer {
  Stream stream;
  beast::flat_buffer buffer;

  asio::awaitable<std::optional<Request>> read_request() {
    Request request;
    auto [ec, read] = co_await bhttp::async_read(stream, buffer, request, use_tuple);
    if (ec) co_return std::nullopt;
    co_return request;
  }
  asio::awaitable<bool> write(std::string_view raw) {
    auto [ec, written] = co_await asio::async_write(stream, asio::buffer(raw), use_tuple);
    co_return !ec;
  }
  asio::awaitable<bool> respond(int status, std::string_view body) {
    co_return co_await write("HTTP/1.1 " + std::to_string(status) +
                             " X\r\nContent-Type: application/json\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n" + std::string(body));
  }
  // True when the client closes the connection within the limit; what it sends is ignored.
  asio::awaitable<bool> wait_for_close(std::chrono::milliseconds limit) {
    beast::get_lowest_layer(stream).expires_after(limit);
    std::array<char, 1024> ignored;
    for (;;) {
      auto [ec, read] = co_await stream.async_read_some(asio::buffer(ignored), use_tuple);
      if (ec == beast::error::timeout) co_return false;
      if (ec) co_return true;
    }
  }
};

using Peer = BasicPeer<beast::tcp_stream>;
using TlsPeer = BasicPeer<beast::ssl_stream<beast::tcp_stream>>;

tcp::endpoint loopback_any_port() {
  return {asio::ip::make_address("127.0.0.1"), 0};
}

// A scripted HTTP server: each accepted connection runs the handler.
class TestServer {
 public:
  using Handler = std::function<asio::awaitable<void>(Peer&)>;

  TestServer(const asio::any_io_executor& executor, Handler handler)
      : acceptor_(executor, loopback_any_port()), handler_(std::move(handler)) {
    asio::co_spawn(executor, accept_loop(), asio::detached);
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port()) + std::string(path);
  }
  int accepted() const { return accepted_; }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
      if (ec) co_return;
      ++accepted_;
      asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)), asio::detached);
    }
  }
  asio::awaitable<void> serve(tcp::socket socket) {
    Peer peer{beast::tcp_stream(std::move(socket)), {}};
    co_await handler_(peer);
  }

  tcp::acceptor acceptor_;
  Handler handler_;
  int accepted_ = 0;
};

// Answers every request on the connection with the same body, recording what it saw.
TestServer::Handler answer_all(std::string body, std::vector<Request>* seen = nullptr) {
  return [body = std::move(body), seen](Peer& peer) -> asio::awaitable<void> {
    while (auto request = co_await peer.read_request()) {
      if (seen) seen->push_back(*request);
      if (!co_await peer.respond(200, body)) co_return;
    }
  };
}

// ---------------------------------------------------------------------------------------------
// A self-signed certificate made at test time, and a TLS echo server that uses it.

struct SelfSigned {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{nullptr, EVP_PKEY_free};
  std::unique_ptr<X509, decltype(&X509_free)> certificate{nullptr, X509_free};
};

void add_extension(X509* certificate, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, certificate, certificate, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, decltype(&X509_EXTENSION_free)> extension(
      X509V3_EXT_conf_nid(nullptr, &context, nid, value), X509_EXTENSION_free);
  if (!extension || X509_add_ext(certificate, extension.get(), -1) != 1)
    throw std::runtime_error("cannot add certificate extension");
}

SelfSigned make_self_signed(const char* subject_alt_names) {
  SelfSigned made;
  made.key.reset(EVP_EC_gen("P-256"));
  made.certificate.reset(X509_new());
  X509* certificate = made.certificate.get();
  if (!made.key || !certificate) throw std::runtime_error("cannot make a key");
  X509_set_version(certificate, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(certificate), 1);
  X509_gmtime_adj(X509_getm_notBefore(certificate), -60);
  X509_gmtime_adj(X509_getm_notAfter(certificate), 3600);
  X509_set_pubkey(certificate, made.key.get());
  X509_NAME* name = X509_get_subject_name(certificate);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("ccgate test"), -1, -1, 0);
  X509_set_issuer_name(certificate, name);
  add_extension(certificate, NID_subject_alt_name, subject_alt_names);
  add_extension(certificate, NID_basic_constraints, "critical,CA:TRUE");
  if (X509_sign(certificate, made.key.get(), EVP_sha256()) == 0)
    throw std::runtime_error("cannot sign the certificate");
  return made;
}

// A client context that trusts only the given certificate.
asio::ssl::context trusting(const SelfSigned& made) {
  asio::ssl::context context(asio::ssl::context::tls_client);
  X509_STORE_add_cert(SSL_CTX_get_cert_store(context.native_handle()), made.certificate.get());
  return context;
}

class TlsServer {
 public:
  TlsServer(const asio::any_io_executor& executor, const SelfSigned& made)
      : acceptor_(executor, loopback_any_port()), context_(asio::ssl::context::tls_server) {
    SSL_CTX_use_certificate(context_.native_handle(), made.certificate.get());
    SSL_CTX_use_PrivateKey(context_.native_handle(), made.key.get());
    asio::co_spawn(executor, accept_loop(), asio::detached);
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  int accepted() const { return accepted_; }
  const std::vector<std::string>& server_names() const { return server_names_; }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
      if (ec) co_return;
      ++accepted_;
      asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)), asio::detached);
    }
  }
  asio::awaitable<void> serve(tcp::socket socket) {
    TlsPeer peer{{beast::tcp_stream(std::move(socket)), context_}, {}};
    auto [ec] = co_await peer.stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
    if (ec) co_return;
    const char* name = SSL_get_servername(peer.stream.native_handle(), TLSEXT_NAMETYPE_host_name);
    server_names_.emplace_back(name ? name : "");
    while (auto request = co_await peer.read_request())
      if (!co_await peer.respond(200, "secret " + std::string(request->target()))) co_return;
  }

  tcp::acceptor acceptor_;
  asio::ssl::context context_;
  int accepted_ = 0;
  std::vector<std::string> server_names_;
};

// ---------------------------------------------------------------------------------------------
// An HTTP proxy: tunnels CONNECT to 127.0.0.1 (whatever the host name), and answers
// absolute-form requests itself so a test sees exactly what reached the proxy.

class TestProxy {
 public:
  explicit TestProxy(const asio::any_io_executor& executor)
      : acceptor_(executor, loopback_any_port()) {
    asio::co_spawn(executor, accept_loop(), asio::detached);
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }
  int accepted() const { return accepted_; }
  std::vector<Request> requests;

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
      if (ec) co_return;
      ++accepted_;
      asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)), asio::detached);
    }
  }
  asio::awaitable<void> serve(tcp::socket socket) {
    Peer peer{beast::tcp_stream(std::move(socket)), {}};
    while (auto request = co_await peer.read_request()) {
      requests.push_back(*request);
      if (request->method() == bhttp::verb::connect) {
        co_await tunnel(peer, *request);
        co_return;
      }
      if (!co_await peer.respond(200, "from proxy")) co_return;
    }
  }
  asio::awaitable<void> tunnel(Peer& peer, const Request& request) {
    const std::string authority(request.target());
    const auto port =
        static_cast<std::uint16_t>(std::stoi(authority.substr(authority.rfind(':') + 1)));
    tcp::socket upstream(acceptor_.get_executor());
    auto [ec] =
        co_await upstream.async_connect({asio::ip::make_address("127.0.0.1"), port}, use_tuple);
    if (ec) {
      co_await peer.write("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
      co_return;
    }
    if (!co_await peer.write("HTTP/1.1 200 Connection established\r\n\r\n")) co_return;
    auto& client = peer.stream.socket();
    co_await (pump(client, upstream) || pump(upstream, client));
  }
  static asio::awaitable<void> pump(tcp::socket& from, tcp::socket& to) {
    std::array<char, 4096> data;
    for (;;) {
      auto [read_error, read] = co_await from.async_read_some(asio::buffer(data), use_tuple);
      if (read_error) co_return;
      auto [write_error, written] =
          co_await asio::async_write(to, asio::buffer(data, read), use_tuple);
      if (write_error) co_return;
    }
  }

  tcp::acceptor acceptor_;
  int accepted_ = 0;
};

// ---------------------------------------------------------------------------------------------

ClientRequest get(std::string url) {
  return ClientRequest{.method = "GET", .url = std::move(url)};
}

// Sends and reads the whole body; the response is gone (its connection pooled) on return.
asio::awaitable<std::string> fetch(Client& client, ClientRequest request, ClientTimeouts timeouts) {
  auto response = co_await client.send(std::move(request), timeouts);
  co_return co_await response.read_all();
}

// The ClientError an operation throws, or nothing when it succeeds.
template <class T>
asio::awaitable<std::optional<ClientError>> failure_of(asio::awaitable<T> operation) {
  std::optional<ClientError> failure;
  try {
    co_await std::move(operation);
  } catch (const ClientError& error) {
    failure = error;
  }
  co_return failure;
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

class HttpClientTest : public ::testing::Test {
 protected:
  // Runs the test body on the loop; the loop stops when it ends (servers are left behind).
  void run(std::function<asio::awaitable<void>()> body) {
    std::exception_ptr failure;
    bool finished = false;
    asio::co_spawn(ioc_, body(), [&](std::exception_ptr error) {
      failure = error;
      finished = true;
      ioc_.stop();
    });
    ioc_.run_for(10s);
    ASSERT_TRUE(finished) << "the test did not finish within 10 s";
    if (failure) std::rethrow_exception(failure);
  }
  asio::any_io_executor executor() { return ioc_.get_executor(); }

  asio::io_context ioc_;
  // No CA store: loading the system's takes a third of a second under ASan, and only one test
  // needs it.
  asio::ssl::context tls_{asio::ssl::context::tls_client};
  ClientTimeouts quick_{.connect = 2s, .first_byte = 2s, .idle = 2s, .total = 5s};
};

// ---------------------------------------------------------------------------------------------
// Exchanges

TEST_F(HttpClientTest, SendsAJsonRequestAndReadsTheJsonAnswer) {
  std::vector<Request> seen;
  TestServer server(executor(), answer_all(R"({"ok":true})", &seen));
  Client client(executor(), tls_);
  run([&]() -> asio::awaitable<void> {
    ClientRequest request{
        .url = server.url("/v1/chat/completions?api-version=2"),
        .headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer sk-test"}},
        .body = R"({"model":"m"})"};
    auto response = co_await client.send(request, quick_);
    EXPECT_EQ(response.status(), 200);
    EXPECT_EQ(response.header("content-type"), "application/json");
    EXPECT_EQ(response.header("x-absent"), "");
    EXPECT_EQ(co_await response.read_all(), R"({"ok":true})");
  });
  ASSERT_EQ(seen.size(), 1u);
  const Request& request = seen.front();
  EXPECT_EQ(request.method(), bhttp::verb::post);
  EXPECT_EQ(request.target(), "/v1/chat/completions?api-version=2");
  EXPECT_EQ(request[bhttp::field::host], "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(request[bhttp::field::content_type], "application/json");
  EXPECT_EQ(request[bhttp::field::authorization], "Bearer sk-test");
  EXPECT_EQ(request[bhttp::field::content_length], "13");
  EXPECT_EQ(request[bhttp::field::connection], "keep-alive");
  EXPECT_EQ(request.count(bhttp::field::accept_encoding), 0u);
  EXPECT_EQ(request.body(), R"({"model":"m"})");
}

TEST_F(HttpClientTest, GivesEachStreamedPieceAsSoonAsItArrives) {
  const std::vector<std::string> chunks{"data: one\n\n", "data: two\n\n", "data: three\n\n"};
  Signal received(executor());
  int unacknowledged = 0;  // pieces the client had not seen before the next one was due
  TestServer server(executor(), [&](Peer& peer) -> asio::awaitable<void> {
    while (co_await peer.read_request()) {
      co_await peer.write(kChunkedHead);
      for (std::size_t i = 0; i < chunks.size(); ++i) {
        co_await sleep_for(20ms);
        co_await peer.write(chunk(chunks[i]));
        if (!co_await received.wait_for(static_cast<int>(i) + 1, 2s)) ++unacknowledged;
      }
      co_await peer.write("0\r\n\r\n");
    }
  });
  Client client(executor(), tls_);
  run([&]() -> asio::awaitable<void> {
    std::vector<std::string> pieces;
    {
      auto response = co_await client.send(get(server.url("/stream")), quick_);
      EXPECT_EQ(response.header("content-type"), "text/event-stream");
      while (auto piece = co_await response.read_some()) {
        pieces.emplace_back(*piece);
        received.notify();
      }
    }
    EXPECT_EQ(pieces, chunks);
    EXPECT_EQ(client.idle_connections(), 1u) << "a stream read to its end is reusable";
  });
  EXPECT_EQ(unacknowledged, 0);
}

TEST_F(HttpClientTest, ReusesOneKeptAliveConnectionForSequentialRequests) {
  TestServer server(executor(), answer_all("pong"));
  Client client(executor(), tls_);
  run([&]() -> asio::awaitable<void> {
    for (int i = 0; i < 3; ++i) {
      auto response = co_await client.send(get(server.url("/ping")), quick_);
      EXPECT_EQ(co_await response.read_all(), "pong");
    }
  });
  EXPECT_EQ(client.connections_opened(), 1u);
  EXPECT_EQ(server.accepted(), 1);
  EXPECT_EQ(client.idle_connections(), 1u);
}

TEST_F(HttpClientTest, ReadsTheBodyOfAnErrorStatus) {
  TestServer server(executor(), [](Peer& peer) -> asio::awaitable<void> {
    while (co_await peer.read_request())
      co_await peer.respond(404, R"({"error":{"message":"no such model"}})");
  });
  Client client(executor(), tls_);
  run([&]() -> asio::awaitable<void> {
    auto response = co_await client.send(get(server.url("/v1/models/x")), quick_);
    EXPECT_EQ(response.status(), 404);
    EXPECT_EQ(response.headers().count("content-length"), 1u);
    EXPECT_EQ(co_await response.read_all(), R"({"error":{"message":"no such model"}})");
  });
}

TEST_F(HttpClientTest, SkipsInterimAnswersBeforeTheRealOne) {
  TestServer server(executor(), [](Peer& peer) -> asio::awaitable<void> {
    while (co_await peer.read_request()) {
      co_await peer.write(
          "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n");
      co_await peer.respond(201, "created");
    }
  });
  Client client(executor(), tls_);
  run([&]() -> asio::awaitable<void> {
    // Named, not a braced temporary: GCC 12 destroys such a coroutine argument twice (PR 99576).
    ClientRequest post{.url = server.url("/")};
    auto response = co_await client.send(post, quick_);
    EXPECT_EQ(response.status(), 201);
    EXPECT_EQ(response.header("link"), "");
    EXPECT_EQ(co_await response.read_all(), "created");
  });
  EXPECT_EQ(client.idle_connections(), 1u);
}

TEST_F(HttpClientTest, AHeadRequestHasNoBodyToWaitFor) {
  TestServer server(executor(), [](Peer& peer) -> asio::awaitable<void> {
    while (co_await peer.read_request())
      co_await peer.write("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n");
  });
  Client client(executor(), tls_);
  run([&]() -> asio::awaitable<void> {
    for (int i = 0; i < 2; ++i) {
      ClientRequest head{.method = "HEAD", .url = server.url("/")};
      auto response = co_await client.send(head, quick_);
      EXPECT_EQ(response.header("content-length"), "1234");
      EXPECT_EQ(co_await response.read_all(), "");
    }
  });
  EXPECT_EQ(client.connections_opened(), 1u);
}

// ---------------------------------------------------------------------------------------------
// The pool

TEST_F(HttpClientTest, OpensANewConnectionWhenTheServerClosedTheIdleOne) {
  TestServer server(executor(), [](Peer& peer) -> asio::awaitable<void> {
    // One answer per connection, then the server hangs up while the client holds it idle.
    if (co_await peer.read_request()) co_await peer.respond(200, "answered");
  });
  Client client(executor(), tls_);
  run([&]() -> asio::awaitable<void> {
    EXPECT_EQ(co_await fetch(client, get(server.url("/a")), quick_), "answered");
    EXPECT_EQ(client.idle_connections(), 1u);
    co_await sleep_for(50ms);  // the server's FIN arrives while the connection is pooled
    EXPECT_EQ(co_await fetch(client, get(server.url("/b")), quick_), "answered");
  });
  EXPECT_EQ(client.connections_opened(), 2u);
  EXPECT_EQ(server.accepted(), 2);
}

TEST_F(HttpClientTest, RetriesOnceOnAFreshConnectionWhenAReusedOneDiesBeforeAnswering) {
  int connections = 0;
  int requests = 0;
  TestServer server(executor(), [&](Peer& peer) -> asio::awaitable<void> {
    const int number = ++connections;
    while (co_await peer.read_request()) {
      ++requests;
      // The first connection answers once, then drops the next request without a word.
      if (number == 1 && requests > 1) co_return;
      co_await peer.respond(200, number == 1 ? "first" : "fresh");
    }
  });
  Client client(executor(), tls_);
  run([&]() -> asio::awaitable<void> {
    EXPECT_EQ(co_await fetch(client, get(server.url("/a")), quick_), "first");
    EXPECT_EQ(client.idle_connections(), 1u);
    ClientRequest post{.url = server.url("/b"), .body = "{}"};
    EXPECT_EQ(co_await fetch(client, post, quick_), "fresh");
  });
  EXPECT_EQ(client.connections_opened(), 2u);
  EXPECT_EQ(requests, 3);
}

TEST_F(HttpClientTest, RetriesOnAFreshConnectionNotAnotherPooledOne) {
  int connections = 0;
  int requests = 0;
  TestServer server(executor(), [&](Peer& peer) -> asio::awaitable<void> {
    const int number = ++connections;
    int answered = 0;
    while (co_await peer.read_request()) {
      ++requests;
      // The first two connections answer once, then drop the next request without a word.
      if (number <= 2 && answered == 1) co_return;
      co_await peer.respond(200, number <= 2 ? "pooled" : "fresh");
      ++answered;
    }
  });
  Client client(executor(), tls_);
  run([&]() -> asio::awaitable<void> {
    {
      auto a = co_await client.send(get(server.url("/a")), quick_);
      auto b = co_await client.send(get(server.url("/b")), quick_);
      EXPECT_EQ(co_await a.read_all(), "pooled");
      EXPECT_EQ(co_await b.read_all(), "pooled");
    }
    EXPECT_EQ(client.idle_connections(), 2u);
    EXPECT_EQ(co_await fetch(client, get(server.url("/c")), quick_), "fresh");
  });
  EXPECT_EQ(client.connections_opened(), 3u);
  EXPECT_EQ(requests, 4) << "/c should be sent twice: on one dead pooled connection, then fresh";
}

TEST_F(HttpClientTest, RetriesAtMostOnce) {
  int connections = 0;
  TestServer server(executor(), [&](Peer& peer) -> asio::awaitable<void> {
    const int number = ++connections;
    if (!co_await peer.read_request()) co_return;
    if (number > 1) co_return;  // every later connection drops its request unanswered
    co_await peer.respond(200, "first");
    co_await peer.read_request();
  });
  Client client(executor(), tls_);
  run([&]() -> asio::awaitable<void> {
    EXPECT_EQ(co_await fetch(client, get(server.url("/a")), quick_), "first");
    EXPECT_EQ(client.idle_connections(), 1u);
    const auto failure = co_await failure_of(client.send(get(server.url("/b")), quick_));
    CO_ASSERT_TRUE(failure.has_value());
    EXPECT_EQ(failure->kind(), ClientError::Kind::closed) << failure->what();
    EXPECT_TRUE(contains(failure->what(), "before responding")) << failure->what();
  });
  EXPECT_EQ(client.connections_opened(), 2u);
}

TEST_F(HttpClientTest, AnAbandonedStreamClosesItsConnection) {
  Signal closed(executor());
  TestServer server(executor(), [&](Peer& peer) -> asio::awaitable<void> {
    if (!co_await peer.read_request()) co_return;
    co_await peer.write(std::string(kChunkedHead) + chunk("part one"));
    if (co_await peer.wait_for_close(2s)) closed.notify();
  });
  Client client(executor(), tls_);
  run([&]() -> asio::awaitable<void> {
    {
      auto response = co_await client.send(get(server.url("/stream")), quick_);
      const auto piece = co_await response.read_some();
      EXPECT_EQ(piece.value_or("<end>"), "part one");
    }  // abandoned mid-body
    EXPECT_TRUE(co_await closed.wait_for(1, 2s)) << "the server never saw the connection close";
    EXPECT_EQ(client.idle_connections(), 0u);
  });
}

TEST_F(HttpClientTest, AbortClosesTheConnectionAtOnce) {
  Signal closed(executor());
  TestServer server(executor(), [&](Peer& peer) -> asio::awaitable<void> {
    if (!co_await peer.read_request()) co_return;
    co_await peer.write(std::string(kChunkedHead) + chunk("part one"));
    if (co_await peer.wait_for_close(2s)) closed.notify();
  });
  Client client(executor(), tls_);
  run([&]() -> asio::awaitable<void> {
    auto response = co_await client.send(get(server.url("/stream")), quick_);
    response.abort();
    EXPECT_TRUE(co_await closed.wait_for(1, 2s));
    const auto failure = co_await failure_of(response.read_some());
    CO_ASSERT_TRUE(failure.has_value());
    EXPECT_EQ(failure->kind(), ClientError::Kind::closed);
  });
  EXPECT_EQ(client.idle_connections(), 0u);
}

TEST_F(HttpClientTest, DropsPooledConnectionsIdleLongerThanTheKeepalive) {
  TestServer server(executor(), answer_all("ok"));
  Client client(executor(), tls_, ClientOptions{.idle_keepalive = 30ms});
  run([&]() -> asio::awaitable<void> {
    EXPECT_EQ(co_await fetch(client, get(server.url("/a")), quick_), "ok");
    EXPECT_EQ(client.idle_connections(), 1u);
    co_await sleep_for(60ms);
    EXPECT_EQ(co_await fetch(client, get(server.url("/b")), quick_), "ok");
  });
  EXPECT_EQ(client.connections_opened(), 2u);
}

TEST_F(HttpClientTest, KeepsAtMostMaxIdlePerHost) {
  TestServer server(executor(), answer_all("ok"));
  Client client(executor(), tls_, ClientOptions{.max_idle_per_host = 1});
  run([&]() -> asio::awaitable<void> {
    auto first = co_await client.send(get(server.url("/a")), quick_);
    auto second = co_await client.send(get(server.url("/b")), quick_);
    EXPECT_EQ(co_await first.read_all(), "ok");
    EXPECT_EQ(co_await second.read_all(), "ok");
  });
  EXPECT_EQ(client.connections_opened(), 2u);
  EXPECT_EQ(client.idle_connections(), 1u);
}

TEST_F(HttpClientTest, AResponseThatOutlivesItsClientClosesItsConnection) {
  Signal closed(executor());
  TestServer server(executor(), [&](Peer& peer) -> asio::awaitable<void> {
    while (auto request = co_await peer.read_request()) co_await peer.respond(200, "late");
    closed.notify();
  });
  run([&]() -> asio::awaitable<void> {
    std::optional<Response> kept;
    {
      Client client(executor(), tls_);
      kept.emplace(co_await client.send(get(server.url("/a")), quick_));
    }
    EXPECT_EQ(co_await kept->read_all(), "late");
    kept.reset();
    EXPECT_TRUE(co_await closed.wait_for(1, 2s));
  });
}

// ---------------------------------------------------------------------------------------------
// Failures

TEST_F(HttpClientTest, ARefusedConnectionIsAConnectError) {
  std::uint16_t port = 0;
  {
    tcp::acceptor unused(ioc_, loopback_any_port());
    port = unused.local_endpoint().port();
  }
  Client client(executor(), tls_);
  run([&]() -> asio::awaitable<void> {
    const auto url = "http://127.0.0.1:" + std::to_string(port) + "/";
    const auto failure = co_await failure_of(client.send(get(url), quick_));
    CO_ASSERT_TRUE(failure.has_value());
    EXPECT_EQ(failure->kind(), ClientError::Kind::connect);
    EXPECT_TRUE(failure->before_send());
    EXPECT_TRUE(contains(failure->what(), "127.0.0.1:" + std::to_string(port))) << failure->what();
    EXPECT_TRUE(contains(failure->what(), "refused")) << failure->what();
  });
}

TEST_F(HttpClientTest, NoResponseHeadWithinFirstByteIsATimeout) {
  TestServer server(executor(), [](Peer& peer) -> asio::awaitable<void> {
    if (co_await peer.read_request()) co_await peer.wait_for_close(5s);
  });
  Client client(executor(), tls_);
  auto timeouts = quick_;
  timeouts.first_byte = 100ms;
  run([&]() -> asio::awaitable<void> {
    const auto started = Clock::now();
    const auto failure = co_await failure_of(client.send(get(server.url("/slow")), timeouts));
    const auto waited = Clock::now() - started;
    CO_ASSERT_TRUE(failure.has_value());
    EXPECT_EQ(failure->kind(), ClientError::Kind::timeout);
    EXPECT_TRUE(contains(failure->what(), "no response within 100 ms")) << failure->what();
    EXPECT_GE(waited, 100ms);
    EXPECT_LT(waited, 1500ms);
  });
  EXPECT_EQ(client.idle_connections(), 0u);
}

// A connection keeps one deadline timer for its life: taken from the pool, it must wake at the
// shorter deadline of its next exchange, not at the longer one of the first.
TEST_F(HttpClientTest, APooledConnectionsNextExchangeKeepsItsOwnShorterDeadline) {
  TestServer server(executor(), [](Peer& peer) -> asio::awaitable<void> {
    if (!co_await peer.read_request() || !co_await peer.respond(200, "first")) co_return;
    if (co_await peer.read_request()) co_await peer.wait_for_close(5s);
  });
  Client client(executor(), tls_);
  auto patient = quick_;
  patient.first_byte = 4s;
  auto hasty = quick_;
  hasty.first_byte = 100ms;
  run([&]() -> asio::awaitable<void> {
    {
      auto first = co_await client.send(get(server.url("/first")), patient);
      EXPECT_EQ(co_await first.read_all(), "first");
    }  // its connection goes back to the pool
    const auto started = Clock::now();
    const auto failure = co_await failure_of(client.send(get(server.url("/second")), hasty));
    const auto waited = Clock::now() - started;
    CO_ASSERT_TRUE(failure.has_value());
    EXPECT_EQ(failure->kind(), ClientError::Kind::timeout);
    EXPECT_TRUE(contains(failure->what(), "no response within 100 ms")) << failure->what();
    EXPECT_LT(waited, 1500ms);
  });
  EXPECT_EQ(client.connections_opened(), 1u) << "the second exchange ran on the pooled connection";
}

TEST_F(HttpClientTest, SilenceBetweenChunksBeyondIdleIsATimeout) {
  TestServer server(executor(), [](Peer& peer) -> asio::awaitable<void> {
    if (!co_await peer.read_request()) co_return;
    co_await peer.write(std::string(kChunkedHead) + chunk("first"));
    co_await peer.wait_for_close(5s);
  });
  Client client(executor(), tls_);
  auto timeouts = quick_;
  timeouts.idle = 100ms;
  run([&]() -> asio::awaitable<void> {
    auto response = co_await client.send(get(server.url("/stream")), timeouts);
    EXPECT_EQ((co_await response.read_some()).value_or("<end>"), "first");
    const auto failure = co_await failure_of(response.read_some());
    CO_ASSERT_TRUE(failure.has_value());
    EXPECT_EQ(failure->kind(), ClientError::Kind::timeout);
    EXPECT_TRUE(contains(failure->what(), "nothing for 100 ms")) << failure->what();
    EXPECT_TRUE(contains(failure->what(), "idle timeout")) << failure->what();
  });
}

TEST_F(HttpClientTest, AStreamLongerThanTheTotalTimeoutIsCutOff) {
  TestServer server(executor(), [](Peer& peer) -> asio::awaitable<void> {
    if (!co_await peer.read_request()) co_return;
    if (!co_await peer.write(kChunkedHead)) co_return;
    while (co_await peer.write(chunk("tick"))) co_await sleep_for(20ms);
  });
  Client client(executor(), tls_);
  auto timeouts = quick_;
  timeouts.idle = 1s;
  timeouts.total = 300ms;
  run([&]() -> asio::awaitable<void> {
    const auto started = Clock::now();
    auto response = co_await client.send(get(server.url("/endless")), timeouts);
    int pieces = 0;
    std::optional<ClientError> failure;
    try {
      while (co_await response.read_some()) ++pieces;
    } catch (const ClientError& error) {
      failure = error;
    }
    const auto waited = Clock::now() - started;
    CO_ASSERT_TRUE(failure.has_value());
    EXPECT_EQ(failure->kind(), ClientError::Kind::timeout);
    EXPECT_TRUE(contains(failure->what(), "total timeout of 300 ms")) << failure->what();
    EXPECT_GE(pieces, 3);
    EXPECT_GE(waited, 300ms);
    EXPECT_LT(waited, 1500ms);
  });
}

TEST_F(HttpClientTest, AMalformedResponseIsAProtocolError) {
  TestServer server(executor(), [](Peer& peer) -> asio::awaitable<void> {
    if (co_await peer.read_request()) co_await peer.write("this is not http\r\n\r\n");
    co_await peer.wait_for_close(5s);
  });
  Client client(executor(), tls_);
  run([&]() -> asio::awaitable<void> {
    const auto failure = co_await failure_of(client.send(get(server.url("/")), quick_));
    CO_ASSERT_TRUE(failure.has_value());
    EXPECT_EQ(failure->kind(), ClientError::Kind::protocol) << failure->what();
  });
}

TEST_F(HttpClientTest, AServerThatHangsUpMidBodyIsAClosedError) {
  TestServer server(executor(), [](Peer& peer) -> asio::awaitable<void> {
    if (co_await peer.read_request())
      co_await peer.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
  });
  Client client(executor(), tls_);
  run([&]() -> asio::awaitable<void> {
    auto response = co_await client.send(get(server.url("/")), quick_);
    const auto failure = co_await failure_of(response.read_all());
    CO_ASSERT_TRUE(failure.has_value());
    EXPECT_EQ(failure->kind(), ClientError::Kind::closed) << failure->what();
    EXPECT_FALSE(failure->before_send());
  });
  EXPECT_EQ(client.idle_connections(), 0u);
}

TEST_F(HttpClientTest, ReadAllRefusesABodyOverItsLimit) {
  TestServer server(executor(), answer_all(std::string(100, 'x')));
  Client client(executor(), tls_);
  run([&]() -> asio::awaitable<void> {
    auto response = co_await client.send(get(server.url("/big")), quick_);
    const auto failure = co_await failure_of(response.read_all(10));
    CO_ASSERT_TRUE(failure.has_value());
    EXPECT_EQ(failure->kind(), ClientError::Kind::protocol);
    EXPECT_TRUE(contains(failure->what(), "limit of 10 bytes")) << failure->what();
  });
  EXPECT_EQ(client.idle_connections(), 0u);
}

// ---------------------------------------------------------------------------------------------
// Cancellation

TEST_F(HttpClientTest, CancellingAPendingReadClosesTheConnection) {
  Signal closed(executor());
  TestServer server(executor(), [&](Peer& peer) -> asio::awaitable<void> {
    if (!co_await peer.read_request()) co_return;
    co_await peer.write(std::string(kChunkedHead) + chunk("first"));
    if (co_await peer.wait_for_close(2s)) closed.notify();
  });
  Client client(executor(), tls_);
  run([&]() -> asio::awaitable<void> {
    auto response = co_await client.send(get(server.url("/stream")), quick_);
    EXPECT_EQ((co_await response.read_some()).value_or("<end>"), "first");
    asio::steady_timer client_left(executor(), 50ms);
    const auto winner =
        co_await (response.read_some() || client_left.async_wait(asio::use_awaitable));
    EXPECT_EQ(winner.index(), 1u) << "the timer should win";
    EXPECT_TRUE(co_await closed.wait_for(1, 2s)) << "the upstream connection stayed open";
    const auto failure = co_await failure_of(response.read_some());
    CO_ASSERT_TRUE(failure.has_value());
    EXPECT_EQ(failure->kind(), ClientError::Kind::closed);
  });
  EXPECT_EQ(client.idle_connections(), 0u);
}

TEST_F(HttpClientTest, CancellingAPendingSendClosesTheConnection) {
  Signal closed(executor());
  TestServer server(executor(), [&](Peer& peer) -> asio::awaitable<void> {
    if (co_await peer.read_request() && co_await peer.wait_for_close(2s)) closed.notify();
  });
  Client client(executor(), tls_);
  run([&]() -> asio::awaitable<void> {
    asio::steady_timer client_left(executor(), 50ms);
    const auto winner = co_await (client.send(get(server.url("/slow")), quick_) ||
                                  client_left.async_wait(asio::use_awaitable));
    EXPECT_EQ(winner.index(), 1u);
    EXPECT_TRUE(co_await closed.wait_for(1, 2s)) << "the upstream connection stayed open";
  });
  EXPECT_EQ(client.idle_connections(), 0u);
}

// ---------------------------------------------------------------------------------------------
// TLS

TEST_F(HttpClientTest, RefusesAnUntrustedCertificate) {
  const auto made = make_self_signed("DNS:localhost");
  TlsServer server(executor(), made);
  auto system_tls = make_client_tls_context();
  Client client(executor(), system_tls);
  run([&]() -> asio::awaitable<void> {
    const auto url = "https://localhost:" + std::to_string(server.port()) + "/";
    const auto failure = co_await failure_of(client.send(get(url), quick_));
    CO_ASSERT_TRUE(failure.has_value());
    EXPECT_EQ(failure->kind(), ClientError::Kind::tls) << failure->what();
    EXPECT_TRUE(failure->before_send());
    EXPECT_TRUE(contains(failure->what(),
                         X509_verify_cert_error_string(X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT)))
        << failure->what();
  });
}

TEST_F(HttpClientTest, TalksTlsToATrustedServerAndSendsItsName) {
  const auto made = make_self_signed("DNS:localhost");
  TlsServer server(executor(), made);
  auto tls = trusting(made);
  Client client(executor(), tls);
  run([&]() -> asio::awaitable<void> {
    const auto url = "https://localhost:" + std::to_string(server.port()) + "/v1/models";
    for (int i = 0; i < 2; ++i) {
      auto response = co_await client.send(get(url), quick_);
      EXPECT_EQ(co_await response.read_all(), "secret /v1/models");
    }
  });
  EXPECT_EQ(client.connections_opened(), 1u) << "TLS connections are pooled too";
  EXPECT_EQ(server.server_names(), std::vector<std::string>{"localhost"});
}

TEST_F(HttpClientTest, RefusesACertificateForAnotherName) {
  const auto made = make_self_signed("DNS:localhost");
  TlsServer server(executor(), made);
  auto tls = trusting(made);
  Client client(executor(), tls);
  run([&]() -> asio::awaitable<void> {
    const auto url = "https://127.0.0.1:" + std::to_string(server.port()) + "/";
    const auto failure = co_await failure_of(client.send(get(url), quick_));
    CO_ASSERT_TRUE(failure.has_value());
    EXPECT_EQ(failure->kind(), ClientError::Kind::tls) << failure->what();
    EXPECT_TRUE(
        contains(failure->what(), X509_verify_cert_error_string(X509_V_ERR_HOSTNAME_MISMATCH)))
        << failure->what();
  });
}

// ---------------------------------------------------------------------------------------------
// Proxies

TEST_F(HttpClientTest, SendsPlainHttpToTheProxyInAbsoluteFormWithCredentials) {
  TestProxy proxy(executor());
  const auto proxy_url =
      "http://user:p%40ss@127.0.0.1:" + std::to_string(proxy.port());  // password "p@ss"
  Client client(executor(), tls_, ClientOptions{.proxy = {.http_proxy = proxy_url}});
  run([&]() -> asio::awaitable<void> {
    for (int i = 0; i < 2; ++i) {
      auto response =
          co_await client.send(get("http://api.example.test:8080/v1/models?limit=2"), quick_);
      EXPECT_EQ(co_await response.read_all(), "from proxy");
    }
  });
  ASSERT_EQ(proxy.requests.size(), 2u);
  const Request& seen = proxy.requests.front();
  EXPECT_EQ(seen.target(), "http://api.example.test:8080/v1/models?limit=2");
  EXPECT_EQ(seen[bhttp::field::host], "api.example.test:8080");
  EXPECT_EQ(seen[bhttp::field::proxy_authorization], "Basic dXNlcjpwQHNz");
  EXPECT_EQ(proxy.accepted(), 1);
  EXPECT_EQ(client.connections_opened(), 1u);
}

TEST_F(HttpClientTest, TunnelsHttpsThroughTheProxyWithConnect) {
  const auto made = make_self_signed("DNS:api.example.test");
  TlsServer origin(executor(), made);
  TestProxy proxy(executor());
  auto tls = trusting(made);
  // No scheme in the proxy setting: http:// is assumed, as curl does.
  const auto proxy_setting = "user:secret@127.0.0.1:" + std::to_string(proxy.port());
  Client client(executor(), tls, ClientOptions{.proxy = {.https_proxy = proxy_setting}});
  const auto authority = "api.example.test:" + std::to_string(origin.port());
  run([&]() -> asio::awaitable<void> {
    for (int i = 0; i < 2; ++i) {
      auto response = co_await client.send(get("https://" + authority + "/v1/models"), quick_);
      EXPECT_EQ(co_await response.read_all(), "secret /v1/models");
    }
  });
  ASSERT_EQ(proxy.requests.size(), 1u) << "one tunnel, kept alive";
  EXPECT_EQ(proxy.requests.front().method(), bhttp::verb::connect);
  EXPECT_EQ(proxy.requests.front().target(), authority);
  EXPECT_EQ(proxy.requests.front()[bhttp::field::proxy_authorization], "Basic dXNlcjpzZWNyZXQ=");
  EXPECT_EQ(origin.server_names(), std::vector<std::string>{"api.example.test"});
  EXPECT_EQ(client.connections_opened(), 1u);
}

TEST_F(HttpClientTest, ARefusedConnectIsAConnectError) {
  TestServer refusing_proxy(executor(), [](Peer& peer) -> asio::awaitable<void> {
    if (co_await peer.read_request())
      co_await peer.write(
          "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n");
    co_await peer.wait_for_close(5s);
  });
  Client client(executor(), tls_, ClientOptions{.proxy = {.https_proxy = refusing_proxy.url("")}});
  run([&]() -> asio::awaitable<void> {
    const auto failure =
        co_await failure_of(client.send(get("https://api.example.test/v1/models"), quick_));
    CO_ASSERT_TRUE(failure.has_value());
    EXPECT_EQ(failure->kind(), ClientError::Kind::connect);
    EXPECT_TRUE(contains(failure->what(), "407")) << failure->what();
  });
}

TEST_F(HttpClientTest, NeverSendsLoopbackTrafficThroughTheProxy) {
  TestServer server(executor(), answer_all("direct"));
  // Nothing listens on port 1: the request only works if it goes direct.
  Client client(executor(), tls_, ClientOptions{.proxy = {.http_proxy = "http://127.0.0.1:1"}});
  run([&]() -> asio::awaitable<void> {
    auto response = co_await client.send(get(server.url("/")), quick_);
    EXPECT_EQ(co_await response.read_all(), "direct");
  });
}

TEST(ProxySettings, ChoosesTheProxyBySchemeAndHonoursNoProxy) {
  const ProxySettings settings{
      .http_proxy = "http://hp:3128",
      .https_proxy = "http://sp:3128",
      .no_proxy = " internal.example.com, .corp.test,*.lab.test, 10.1.2.3 ,[fd00::1]"};
  struct Case {
    const char* scheme;
    const char* host;
    const char* proxy;
  };
  const Case cases[] = {
      {"https", "api.openai.com", "http://sp:3128"},
      {"http", "api.openai.com", "http://hp:3128"},
      {"HTTPS", "api.openai.com", "http://sp:3128"},
      {"ftp", "api.openai.com", ""},
      {"https", "internal.example.com", ""},
      {"https", "INTERNAL.Example.com", ""},
      {"https", "internal.example.com.", ""},
      {"https", "a.b.internal.example.com", ""},
      {"https", "notinternal.example.com", "http://sp:3128"},
      {"https", "example.com", "http://sp:3128"},
      {"https", "corp.test", ""},
      {"https", "x.corp.test", ""},
      {"https", "x.lab.test", ""},
      {"https", "10.1.2.3", ""},
      {"https", "10.1.2.30", "http://sp:3128"},
      {"https", "fd00::1", ""},
      {"https", "[fd00::1]", ""},
      {"https", "127.0.0.1", ""},
      {"https", "127.1.2.3", ""},
      {"http", "localhost", ""},
      {"http", "::1", ""},
      {"http", "[::1]", ""},
  };
  for (const auto& c : cases)
    EXPECT_EQ(settings.proxy_for(c.scheme, c.host), c.proxy) << c.scheme << "://" << c.host;

  const ProxySettings everything_direct{.http_proxy = "http://hp:3128", .no_proxy = "a.test,*"};
  EXPECT_EQ(everything_direct.proxy_for("http", "api.openai.com"), "");
  const ProxySettings no_proxies{};
  EXPECT_EQ(no_proxies.proxy_for("https", "api.openai.com"), "");
}

// Sets environment variables for one test and puts the old values back.
class ScopedEnvironment {
 public:
  void set(const char* name, const char* value) {
    if (const char* old = std::getenv(name))
      saved_.emplace_back(name, std::string(old));
    else
      saved_.emplace_back(name, std::nullopt);
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnvironment() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->second)
        ::setenv(it->first.c_str(), it->second->c_str(), 1);
      else
        ::unsetenv(it->first.c_str());
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST(ProxySettings, ReadsTheEnvironmentLowerCaseFirst) {
  ScopedEnvironment environment;
  environment.set("HTTPS_PROXY", "http://upper:1");
  environment.set("https_proxy", "http://lower:2");
  environment.set("HTTP_PROXY", "http://upper:3");
  environment.set("http_proxy", nullptr);
  environment.set("NO_PROXY", nullptr);
  environment.set("no_proxy", "internal.test");
  const auto settings = ProxySettings::from_environment();
  EXPECT_EQ(settings.https_proxy, "http://lower:2");
  EXPECT_EQ(settings.http_proxy, "http://upper:3");
  EXPECT_EQ(settings.no_proxy, "internal.test");
}

}  // namespace
}  // namespace ccgate::http
