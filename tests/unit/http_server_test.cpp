#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>

#include "http/server.hpp"

namespace ccgate::http {
namespace {

namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using namespace std::chrono_literals;
using asio::use_awaitable;
using testing::HasSubstr;
using testing::StartsWith;

constexpr auto as_result = asio::as_tuple(asio::use_awaitable);

// Lets the test thread release a handler that waits on the server's thread.
using Signal = asio::experimental::concurrent_channel<void(error_code)>;

ServerOptions test_options() {
  ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.threads = 1;
  options.shutdown_grace = 2s;
  return options;
}

HandlerFactory always(Handler handler) {
  return [handler](asio::io_context&) { return handler; };
}

// A server on a loopback port, run on its own thread for the duration of a test.
class RunningServer {
 public:
  RunningServer(ServerOptions options, HandlerFactory factory)
      : server_(std::move(options), std::move(factory)), port_(server_.listen()) {
    thread_ = std::thread([this] { server_.run(); });
  }
  ~RunningServer() { stop(); }

  void stop() {
    if (!thread_.joinable()) return;
    server_.shutdown();
    thread_.join();
  }
  std::uint16_t port() const { return port_; }
  Server& server() { return server_; }

  // Polls until no connection is open, up to `limit`.
  bool wait_until_no_connections(std::chrono::milliseconds limit = 2s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (server_.open_connections() != 0) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }

 private:
  Server server_;
  std::uint16_t port_;
  std::thread thread_;
};

// The test's side: an event loop on the test thread that runs one step at a time, each bounded
// so a server that never answers fails the test instead of hanging it.
class Client {
 public:
  template <class T>
  T run(asio::awaitable<T> step, std::chrono::milliseconds limit = 5s) {
    auto result = asio::co_spawn(context_, std::move(step), asio::use_future);
    context_.restart();
    context_.run_for(limit);
    if (result.wait_for(0s) != std::future_status::ready)
      throw std::runtime_error("client step did not finish in time");
    return result.get();
  }

  tcp::socket connect(std::uint16_t port) {
    tcp::socket socket(context_);
    socket.connect({asio::ip::make_address("127.0.0.1"), port});
    return socket;
  }

 private:
  asio::io_context context_;
};

std::string request_text(std::string_view method, std::string_view target,
                         std::string_view extra_headers = "", std::string_view body = "") {
  std::string text =
      std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n";
  text += extra_headers;
  if (!body.empty() || method == "POST")
    text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  text += "\r\n";
  text += body;
  return text;
}

asio::awaitable<void> send(tcp::socket& socket, std::string text) {
  co_await asio::async_write(socket, asio::buffer(text), use_awaitable);
}

using Response = http::response<http::string_body>;

asio::awaitable<Response> read_response(tcp::socket& socket, beast::flat_buffer& buffer,
                                        bool head_request = false) {
  http::response_parser<http::string_body> parser;
  parser.skip(head_request);
  co_await http::async_read(socket, buffer, parser, use_awaitable);
  co_return parser.release();
}

// Reads until `marker` has arrived; returns everything read so far.
asio::awaitable<std::string> read_until(tcp::socket& socket, std::string& received,
                                        std::string_view marker) {
  co_await asio::async_read_until(socket, asio::dynamic_buffer(received), std::string(marker),
                                  use_awaitable);
  co_return received;
}

// True when the server closes the connection (EOF or reset) without sending anything more.
asio::awaitable<bool> closed_by_server(tcp::socket& socket) {
  std::array<char, 256> sink{};
  auto [ec, n] = co_await socket.async_read_some(asio::buffer(sink), as_result);
  co_return n == 0 && (ec == asio::error::eof || ec == asio::error::connection_reset);
}

// Everything the server sends until it closes the connection; fails unless it ends with EOF.
asio::awaitable<std::string> read_to_end(tcp::socket& socket) {
  std::string all;
  auto [ec, n] = co_await asio::async_read(socket, asio::dynamic_buffer(all), as_result);
  EXPECT_EQ(ec, asio::error::eof);
  co_return all;
}

asio::awaitable<Response> exchange(std::uint16_t port, std::string text) {
  tcp::socket socket(co_await asio::this_coro::executor);
  co_await socket.async_connect({asio::ip::make_address("127.0.0.1"), port}, use_awaitable);
  co_await send(socket, std::move(text));
  beast::flat_buffer buffer;
  co_return co_await read_response(socket, buffer);
}

template <class T>
std::optional<T> wait_for(std::future<T>& future, std::chrono::milliseconds limit = 3s) {
  if (future.wait_for(limit) != std::future_status::ready) return std::nullopt;
  return future.get();
}

// ---------------------------------------------------------------------------------------------

TEST(HttpServer, RespondsWithBodyContentTypeAndExtraFields) {
  struct Seen {
    std::string path, query, header, remote;
    bool loopback = false;
  };
  std::promise<Seen> seen;
  RunningServer running(
      test_options(), always([&](Exchange& exchange) -> asio::awaitable<void> {
        seen.set_value({std::string(exchange.path()), std::string(exchange.query()),
                        std::string(exchange.header("x-custom")), exchange.remote_address(),
                        exchange.loopback_peer()});
        Fields extra;
        extra.set("x-request-id", "req-1");
        co_await exchange.respond(Status::created, "hello", "text/plain", std::move(extra));
      }));

  Client client;
  const auto response = client.run(
      exchange(running.port(), request_text("GET", "/v1/things?a=1&b=2", "X-Custom: yes\r\n")));

  EXPECT_EQ(response.result(), Status::created);
  EXPECT_EQ(response.body(), "hello");
  EXPECT_EQ(response[http::field::content_type], "text/plain");
  EXPECT_EQ(response[http::field::content_length], "5");
  EXPECT_EQ(response[http::field::server], "ccgate");
  EXPECT_EQ(response["x-request-id"], "req-1");
  auto seen_future = seen.get_future();
  const auto request = wait_for(seen_future);
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->path, "/v1/things");
  EXPECT_EQ(request->query, "a=1&b=2");
  EXPECT_EQ(request->header, "yes");
  EXPECT_EQ(request->remote, "127.0.0.1");
  EXPECT_TRUE(request->loopback);
}

TEST(HttpServer, KeepsTheConnectionAliveForSeveralAndPipelinedRequests) {
  std::atomic<int> served{0};
  RunningServer running(test_options(), always([&](Exchange& exchange) -> asio::awaitable<void> {
                          ++served;
                          co_await exchange.respond(Status::ok, std::string(exchange.path()),
                                                    "text/plain");
                        }));

  Client client;
  auto socket = client.connect(running.port());
  beast::flat_buffer buffer;
  client.run([&]() -> asio::awaitable<void> {
    co_await send(socket, request_text("GET", "/one"));
    EXPECT_EQ((co_await read_response(socket, buffer)).body(), "/one");
    co_await send(socket, request_text("POST", "/two", "", "{}"));
    const auto second = co_await read_response(socket, buffer);
    EXPECT_EQ(second.body(), "/two");
    EXPECT_TRUE(second.keep_alive());
    // Two requests in one write: both answered, in order.
    co_await send(socket, request_text("GET", "/three") + request_text("GET", "/four"));
    EXPECT_EQ((co_await read_response(socket, buffer)).body(), "/three");
    EXPECT_EQ((co_await read_response(socket, buffer)).body(), "/four");
  }());
  EXPECT_EQ(served, 4);
  EXPECT_EQ(running.server().open_connections(), 1u);
}

TEST(HttpServer, HonoursConnectionCloseAndHttp10) {
  RunningServer running(test_options(), always([](Exchange& exchange) -> asio::awaitable<void> {
                          co_await exchange.respond(Status::ok, "bye", "text/plain");
                        }));

  Client client;
  for (const std::string& text :
       {request_text("GET", "/", "Connection: close\r\n"), std::string("GET / HTTP/1.0\r\n\r\n")}) {
    auto socket = client.connect(running.port());
    beast::flat_buffer buffer;
    const auto response = client.run([&]() -> asio::awaitable<Response> {
      co_await send(socket, text);
      co_return co_await read_response(socket, buffer);
    }());
    EXPECT_EQ(response.body(), "bye");
    EXPECT_FALSE(response.keep_alive());
    EXPECT_TRUE(client.run(closed_by_server(socket))) << text;
  }
}

TEST(HttpServer, Http10KeepAliveIsHonouredWhenAsked) {
  RunningServer running(test_options(), always([](Exchange& exchange) -> asio::awaitable<void> {
                          co_await exchange.respond(Status::ok, "again", "text/plain");
                        }));
  Client client;
  auto socket = client.connect(running.port());
  beast::flat_buffer buffer;
  client.run([&]() -> asio::awaitable<void> {
    for (int i = 0; i < 2; ++i) {
      co_await send(socket, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
      const auto response = co_await read_response(socket, buffer);
      EXPECT_EQ(response.body(), "again");
      EXPECT_EQ(response[http::field::connection], "keep-alive");
    }
  }());
}

TEST(HttpServer, BodyOverTheLimitGets413ShapedByErrorBody) {
  auto options = test_options();
  options.body_limit = 16;
  options.error_body = [](int status, std::string_view message, const Exchange& exchange) {
    const std::string_view path = exchange.path();
    return std::pair<std::string, std::string>{
        "application/x-test",
        std::to_string(status) + "|" + std::string(message) + "|" + std::string(path)};
  };
  bool handler_ran = false;
  RunningServer running(options, always([&](Exchange& exchange) -> asio::awaitable<void> {
                          handler_ran = true;
                          co_await exchange.respond(Status::ok, "", "text/plain");
                        }));

  Client client;
  const std::string big(100, 'x');
  const std::string chunked_big =
      "POST /v1/messages HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "10\r\n0123456789abcdef\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n";
  for (const std::string& text :
       {request_text("POST", "/v1/messages?beta=true", "", big), chunked_big}) {
    auto socket = client.connect(running.port());
    beast::flat_buffer buffer;
    const auto response = client.run([&]() -> asio::awaitable<Response> {
      co_await send(socket, text);
      co_return co_await read_response(socket, buffer);
    }());
    EXPECT_EQ(response.result(), Status::payload_too_large);
    EXPECT_EQ(response[http::field::content_type], "application/x-test");
    EXPECT_EQ(response.body(), "413|request body too large|/v1/messages");
    EXPECT_TRUE(client.run(closed_by_server(socket)));
  }
  EXPECT_FALSE(handler_ran);
}

TEST(HttpServer, MalformedRequestGets400WithDefaultJsonBody) {
  RunningServer running(test_options(), always([](Exchange& exchange) -> asio::awaitable<void> {
                          co_await exchange.respond(Status::ok, "", "text/plain");
                        }));
  Client client;
  auto socket = client.connect(running.port());
  beast::flat_buffer buffer;
  const auto response = client.run([&]() -> asio::awaitable<Response> {
    co_await send(socket, "GET / HTTP/1.1\r\nHost: t\r\nthis is not a header\r\n\r\n");
    co_return co_await read_response(socket, buffer);
  }());
  EXPECT_EQ(response.result(), Status::bad_request);
  EXPECT_EQ(response[http::field::content_type], "application/json");
  EXPECT_EQ(response.body(), R"({"error":{"message":"malformed HTTP request"}})");
  EXPECT_TRUE(client.run(closed_by_server(socket)));
}

TEST(HttpServer, StreamDeliversEachChunkBeforeTheNextWrite) {
  Signal* next_chunk = nullptr;  // owned by the handler: it must not outlive the server's context
  RunningServer running(test_options(), [&](asio::io_context& context) -> Handler {
    auto signal = std::make_shared<Signal>(context, 8);
    next_chunk = signal.get();
    return [signal](Exchange& exchange) -> asio::awaitable<void> {
      Fields extra;
      extra.set("cache-control", "no-cache");
      co_await exchange.begin_stream(Status::ok, "text/event-stream", std::move(extra));
      for (int i = 0; i < 3; ++i) {
        co_await exchange.write("data: event-" + std::to_string(i) + "\n\n");
        co_await exchange.write("");  // must not end the stream
        co_await signal->async_receive(use_awaitable);
      }
      co_await exchange.end_stream();
    };
  });

  Client client;
  auto socket = client.connect(running.port());
  std::string received;
  client.run(send(socket, request_text("POST", "/v1/messages", "", "{}")));
  for (int i = 0; i < 3; ++i) {
    // The handler writes event i+1 only after this signal, so event i must arrive on its own.
    client.run(read_until(socket, received, "event-" + std::to_string(i) + "\n\n\r\n"), 2s);
    ASSERT_TRUE(next_chunk->try_send(error_code{}));
  }
  client.run(read_until(socket, received, "\r\n0\r\n\r\n"));
  EXPECT_THAT(received, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(received, HasSubstr("Transfer-Encoding: chunked\r\n"));
  EXPECT_THAT(received, HasSubstr("Content-Type: text/event-stream\r\n"));
  EXPECT_THAT(received, HasSubstr("cache-control: no-cache\r\n"));
  EXPECT_THAT(received, HasSubstr("\r\n\r\nf\r\ndata: event-0\n\n\r\nf\r\ndata: event-1\n\n\r\n"));
  EXPECT_EQ(received.find("\r\n0\r\n\r\n"), received.size() - 7);  // one terminating chunk
}

TEST(HttpServer, AHeadKeptForTheFirstChunkLeavesWithIt) {
  Signal* go = nullptr;
  RunningServer running(test_options(), [&](asio::io_context& context) -> Handler {
    auto signal = std::make_shared<Signal>(context, 8);
    go = signal.get();
    return [signal](Exchange& exchange) -> asio::awaitable<void> {
      co_await exchange.begin_stream(Status::ok, "text/event-stream", {},
                                     Exchange::HeadWrite::with_first_chunk);
      if (exchange.path() == "/empty") co_return co_await exchange.end_stream();
      co_await signal->async_receive(use_awaitable);
      co_await exchange.write("data: first\n\n");
      co_await exchange.end_stream();
    };
  });

  Client client;
  auto socket = client.connect(running.port());
  std::string received;
  client.run(send(socket, request_text("POST", "/v1/messages", "", "{}")));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(socket.available(), 0u);  // no head before the first chunk
  ASSERT_TRUE(go->try_send(error_code{}));
  client.run(read_until(socket, received, "\r\n0\r\n\r\n"));
  EXPECT_THAT(received, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(received, HasSubstr("Transfer-Encoding: chunked\r\n"));
  EXPECT_THAT(received, HasSubstr("\r\n\r\nd\r\ndata: first\n\n\r\n0\r\n\r\n"));

  // A stream that ends before any chunk still sends its head, then the last chunk.
  auto second = client.connect(running.port());
  std::string empty;
  client.run(send(second, request_text("POST", "/empty", "", "{}")));
  client.run(read_until(second, empty, "\r\n0\r\n\r\n"));
  EXPECT_THAT(empty, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(empty, testing::EndsWith("\r\n\r\n0\r\n\r\n"));
}

TEST(HttpServer, StreamToHttp10ClientIsUnchunkedAndEndsWithTheConnection) {
  RunningServer running(test_options(), always([](Exchange& exchange) -> asio::awaitable<void> {
                          co_await exchange.begin_stream(Status::ok, "text/plain");
                          co_await exchange.write("part1 ");
                          co_await exchange.write("part2");
                          co_await exchange.end_stream();
                        }));
  Client client;
  auto socket = client.connect(running.port());
  client.run(send(socket, "GET / HTTP/1.0\r\n\r\n"));
  const auto received = client.run(read_to_end(socket));
  EXPECT_THAT(received, StartsWith("HTTP/1.0 200 OK\r\n"));
  EXPECT_THAT(received, testing::Not(HasSubstr("chunked")));
  EXPECT_THAT(received, testing::EndsWith("\r\n\r\npart1 part2"));
}

TEST(HttpServer, HeadGetsTheHeadWithoutBodyBytes) {
  RunningServer running(test_options(), always([](Exchange& exchange) -> asio::awaitable<void> {
                          if (exchange.path() == "/stream" || exchange.path() == "/kept") {
                            co_await exchange.begin_stream(
                                Status::ok, "text/event-stream", {},
                                exchange.path() == "/kept" ? Exchange::HeadWrite::with_first_chunk
                                                           : Exchange::HeadWrite::now);
                            co_await exchange.write("data: x\n\n");
                            co_await exchange.end_stream();
                          } else {
                            co_await exchange.respond(Status::ok, "hello", "text/plain");
                          }
                        }));
  Client client;
  auto socket = client.connect(running.port());
  beast::flat_buffer buffer;
  client.run([&]() -> asio::awaitable<void> {
    co_await send(socket, request_text("HEAD", "/"));
    const auto head = co_await read_response(socket, buffer, true);
    EXPECT_EQ(head[http::field::content_length], "5");
    co_await send(socket, request_text("HEAD", "/stream"));
    const auto stream_head = co_await read_response(socket, buffer, true);
    EXPECT_EQ(stream_head[http::field::content_type], "text/event-stream");
    co_await send(socket, request_text("HEAD", "/kept"));
    const auto kept_head = co_await read_response(socket, buffer, true);
    EXPECT_EQ(kept_head[http::field::content_type], "text/event-stream");
    // Had any body byte been sent, it would be read here as the start of the next response.
    co_await send(socket, request_text("GET", "/"));
    const auto get = co_await read_response(socket, buffer);
    EXPECT_EQ(get.result(), Status::ok);
    EXPECT_EQ(get.body(), "hello");
  }());
}

TEST(HttpServer, HandlerWithoutResponseOrThrowingGets500AndTheConnectionLives) {
  RunningServer running(test_options(), always([](Exchange& exchange) -> asio::awaitable<void> {
                          if (exchange.path() == "/throw")
                            throw std::runtime_error("secret detail");
                          co_return;
                        }));
  Client client;
  auto socket = client.connect(running.port());
  beast::flat_buffer buffer;
  client.run([&]() -> asio::awaitable<void> {
    co_await send(socket, request_text("GET", "/silent"));
    const auto silent = co_await read_response(socket, buffer);
    EXPECT_EQ(silent.result(), Status::internal_server_error);
    EXPECT_EQ(silent.body(), R"({"error":{"message":"the server produced no response"}})");
    co_await send(socket, request_text("GET", "/throw"));
    const auto thrown = co_await read_response(socket, buffer);
    EXPECT_EQ(thrown.result(), Status::internal_server_error);
    EXPECT_THAT(thrown.body(), testing::Not(HasSubstr("secret")));
    EXPECT_TRUE(thrown.keep_alive());
  }());
}

TEST(HttpServer, HandlerThrowingMidStreamClosesTheConnectionWithoutTheLastChunk) {
  RunningServer running(test_options(), always([](Exchange& exchange) -> asio::awaitable<void> {
                          co_await exchange.begin_stream(Status::ok, "text/event-stream");
                          co_await exchange.write("data: partial\n\n");
                          throw std::runtime_error("upstream broke");
                        }));
  Client client;
  auto socket = client.connect(running.port());
  client.run(send(socket, request_text("GET", "/")));
  const auto received = client.run(read_to_end(socket));
  EXPECT_THAT(received, HasSubstr("data: partial"));
  EXPECT_THAT(received, testing::Not(testing::EndsWith("0\r\n\r\n")));
}

// --- a client that leaves cancels its handler ------------------------------------------------

struct CancellationProbe {
  std::promise<void> started;
  std::promise<error_code> ended;  // the error the handler's pending operation completed with
};

void expect_cancelled_when_client_leaves(CancellationProbe& probe, RunningServer& running,
                                         std::string_view wait_for_before_leaving = "") {
  Client client;
  auto socket = client.connect(running.port());
  client.run(send(socket, request_text("POST", "/v1/messages", "", "{}")));
  auto started = probe.started.get_future();
  ASSERT_EQ(started.wait_for(3s), std::future_status::ready);
  if (!wait_for_before_leaving.empty()) {
    std::string received;
    client.run(read_until(socket, received, wait_for_before_leaving));
  }
  socket.close();

  auto ended = probe.ended.get_future();
  const auto outcome = wait_for(ended);
  ASSERT_TRUE(outcome.has_value()) << "the handler was not cancelled";
  EXPECT_EQ(*outcome, asio::error::operation_aborted);
  EXPECT_TRUE(running.wait_until_no_connections());
}

TEST(HttpServer, ClientLeavingCancelsAHandlerWaitingOnATimer) {
  CancellationProbe probe;
  RunningServer running(test_options(), always([&](Exchange& exchange) -> asio::awaitable<void> {
                          asio::steady_timer timer(co_await asio::this_coro::executor, 30s);
                          probe.started.set_value();
                          auto [ec] = co_await timer.async_wait(as_result);
                          probe.ended.set_value(ec);
                          co_await exchange.respond(Status::ok, "too late", "text/plain");
                        }));
  expect_cancelled_when_client_leaves(probe, running);
}

TEST(HttpServer, ClientLeavingMidStreamCancelsTheHandler) {
  CancellationProbe probe;
  RunningServer running(test_options(), always([&](Exchange& exchange) -> asio::awaitable<void> {
                          co_await exchange.begin_stream(Status::ok, "text/event-stream");
                          co_await exchange.write("data: first\n\n");
                          probe.started.set_value();
                          asio::steady_timer timer(co_await asio::this_coro::executor, 30s);
                          auto [ec] = co_await timer.async_wait(as_result);
                          probe.ended.set_value(ec);
                        }));
  expect_cancelled_when_client_leaves(probe, running, "data: first\n\n");
}

TEST(HttpServer, ClientLeavingCancelsAHandlerReadingAnotherConnection) {
  // An upstream that accepts (through the kernel's backlog) and never says a word.
  asio::io_context upstream_context;
  tcp::acceptor silent_upstream(upstream_context, {asio::ip::make_address("127.0.0.1"), 0});
  const auto upstream_port = silent_upstream.local_endpoint().port();

  CancellationProbe probe;
  RunningServer running(test_options(), always([&](Exchange& exchange) -> asio::awaitable<void> {
                          beast::tcp_stream upstream(co_await asio::this_coro::executor);
                          co_await upstream.async_connect(
                              {asio::ip::make_address("127.0.0.1"), upstream_port}, use_awaitable);
                          std::array<char, 64> reply{};
                          probe.started.set_value();
                          auto [ec, n] =
                              co_await upstream.async_read_some(asio::buffer(reply), as_result);
                          probe.ended.set_value(ec);
                          co_await exchange.respond(Status::ok, "too late", "text/plain");
                        }));
  expect_cancelled_when_client_leaves(probe, running);
}

// --- timeouts --------------------------------------------------------------------------------

TEST(HttpServer, IdleTimeoutClosesAnIdleKeepAliveConnection) {
  auto options = test_options();
  options.idle_timeout = 200ms;
  RunningServer running(options, always([](Exchange& exchange) -> asio::awaitable<void> {
                          co_await exchange.respond(Status::ok, "ok", "text/plain");
                        }));
  Client client;
  auto socket = client.connect(running.port());
  beast::flat_buffer buffer;
  client.run([&]() -> asio::awaitable<void> {
    co_await send(socket, request_text("GET", "/"));
    EXPECT_TRUE((co_await read_response(socket, buffer)).keep_alive());
  }());
  const auto idle_since = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.run(closed_by_server(socket), 2s));
  EXPECT_GE(std::chrono::steady_clock::now() - idle_since, 150ms);
  EXPECT_TRUE(running.wait_until_no_connections());
}

TEST(HttpServer, HeaderTimeoutCutsOffAHeadTrickledByteByByte) {
  auto options = test_options();
  options.header_timeout = 300ms;
  RunningServer running(options, always([](Exchange& exchange) -> asio::awaitable<void> {
                          co_await exchange.respond(Status::ok, "ok", "text/plain");
                        }));
  Client client;
  auto socket = client.connect(running.port());
  const auto started = std::chrono::steady_clock::now();
  std::string received;
  // A slowloris: a byte every 50 ms keeps the connection busy but never ends the head.
  const bool closed = client.run(
      [&]() -> asio::awaitable<bool> {
        co_await send(socket, "GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ");
        for (int i = 0; i < 100; ++i) {
          asio::steady_timer pause(co_await asio::this_coro::executor, 50ms);
          co_await pause.async_wait(use_awaitable);
          auto [ec, n] = co_await asio::async_write(socket, asio::buffer("a", 1), as_result);
          if (ec) co_return true;
        }
        co_return false;
      }(),
      8s);
  EXPECT_TRUE(closed) << "the trickled head was never cut off";
  EXPECT_GE(std::chrono::steady_clock::now() - started, 250ms);
  EXPECT_TRUE(running.wait_until_no_connections());
}

TEST(HttpServer, BodyTimeoutBetweenReadsAnswers408InTheErrorBodyShape) {
  auto options = test_options();
  options.body_timeout = 200ms;
  options.error_body = [](int status, std::string_view message, const Exchange& exchange) {
    const std::string_view path = exchange.path();
    return std::pair<std::string, std::string>{
        "application/json", std::to_string(status) + " " + std::string(path) + " " +
                                std::string(message.substr(0, message.find(':')))};
  };
  bool handled = false;
  RunningServer running(options, always([&](Exchange& exchange) -> asio::awaitable<void> {
                          handled = true;
                          co_await exchange.respond(Status::ok, "ok", "text/plain");
                        }));
  Client client;
  auto socket = client.connect(running.port());
  beast::flat_buffer buffer;
  const auto response = client.run([&]() -> asio::awaitable<Response> {
    co_await send(socket,
                  "POST /v1/chat/completions HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
    co_return co_await read_response(socket, buffer);
  }());
  EXPECT_EQ(response.result(), Status::request_timeout);
  EXPECT_EQ(response.body(), "408 /v1/chat/completions request body timed out");
  EXPECT_FALSE(response.keep_alive());
  EXPECT_TRUE(client.run(closed_by_server(socket), 3s));
  EXPECT_FALSE(handled);
}

TEST(HttpServer, ASlowButSteadyBodyOutlastsTheHeaderAndBodyTimeouts) {
  auto options = test_options();
  options.header_timeout = 300ms;
  options.body_timeout = 300ms;
  RunningServer running(options, always([](Exchange& exchange) -> asio::awaitable<void> {
                          co_await exchange.respond(Status::ok, exchange.request().body(),
                                                    "text/plain");
                        }));
  Client client;
  auto socket = client.connect(running.port());
  beast::flat_buffer buffer;
  const auto response = client.run(
      [&]() -> asio::awaitable<Response> {
        co_await send(socket, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 12\r\n\r\n");
        for (const char* piece : {"0123", "4567", "89ab"}) {  // 1.2 s in all, 150 ms between reads
          for (int i = 0; i < 2; ++i) {
            asio::steady_timer pause(co_await asio::this_coro::executor, 200ms);
            co_await pause.async_wait(use_awaitable);
            co_await send(socket, std::string(piece + 2 * i, 2));
          }
        }
        co_return co_await read_response(socket, buffer);
      }(),
      8s);
  EXPECT_EQ(response.result(), Status::ok);
  EXPECT_EQ(response.body(), "0123456789ab");
}

// --- write timeout ---------------------------------------------------------------------------

// A client socket with a small receive window, so that a server's writes stall soon.
tcp::socket small_window_socket(asio::io_context& context, std::uint16_t port, int window = 4096) {
  tcp::socket socket(context);
  socket.open(tcp::v4());
  socket.set_option(asio::socket_base::receive_buffer_size(window));
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  return socket;
}

TEST(HttpServer, WriteTimeoutDropsAClientThatStopsReadingAndFailsTheHandlersWrite) {
  auto options = test_options();
  options.write_timeout = 300ms;
  std::promise<std::pair<error_code, std::chrono::steady_clock::time_point>> failed;
  RunningServer running(options, always([&](Exchange& exchange) -> asio::awaitable<void> {
                          co_await exchange.begin_stream(Status::ok, "text/event-stream");
                          const std::string piece(64 * 1024, 'x');
                          try {
                            for (;;) co_await exchange.write(piece);
                          } catch (const boost::system::system_error& error) {
                            failed.set_value({error.code(), std::chrono::steady_clock::now()});
                          }
                        }));
  asio::io_context context;
  auto socket = small_window_socket(context, running.port());
  asio::write(socket, asio::buffer(request_text("GET", "/stream")));
  // The client never reads again.
  auto outcome = failed.get_future();
  ASSERT_EQ(outcome.wait_for(5s), std::future_status::ready) << "the stalled write never failed";
  EXPECT_EQ(outcome.get().first, beast::error::timeout);
  EXPECT_TRUE(running.wait_until_no_connections());
}

TEST(HttpServer, WriteTimeoutRunsBetweenWritesSoASlowSteadyReaderGetsALargeAnswer) {
  auto options = test_options();
  options.write_timeout = 600ms;
  const std::string large(8 * 1024 * 1024, 'y');
  RunningServer running(
      options, always([&](Exchange& exchange) -> asio::awaitable<void> {
        if (exchange.path() == "/whole") {
          co_await exchange.respond(Status::ok, large, "text/plain");
          co_return;
        }
        co_await exchange.begin_stream(Status::ok, "text/plain");
        for (std::size_t at = 0; at < large.size(); at += 1024 * 1024)
          co_await exchange.write(std::string_view(large).substr(at, 1024 * 1024));
        co_await exchange.end_stream();
      }));
  for (const char* path : {"/whole", "/stream"}) {
    asio::io_context context;
    auto socket = small_window_socket(context, running.port(), 256 * 1024);
    asio::write(socket, asio::buffer(request_text("GET", path, "Connection: close\r\n")));
    // 400 ms pauses (each under the write timeout) for more than the write timeout in all.
    std::string received;
    std::array<char, 64 * 1024> piece{};
    const auto started = std::chrono::steady_clock::now();
    for (std::size_t since_pause = 0;;) {
      error_code ec;
      const auto n = socket.read_some(asio::buffer(piece), ec);
      if (ec) break;
      received.append(piece.data(), n);
      since_pause += n;
      if (since_pause > 2 * 1024 * 1024 && std::chrono::steady_clock::now() - started < 800ms) {
        std::this_thread::sleep_for(400ms);
        since_pause = 0;
      }
    }
    EXPECT_GE(std::chrono::steady_clock::now() - started, 800ms) << path;
    const auto body = received.find("\r\n\r\n");
    ASSERT_NE(body, std::string::npos) << path;
    EXPECT_EQ(std::count(received.begin() + body, received.end(), 'y'), large.size()) << path;
  }
}

// --- Expect: 100-continue --------------------------------------------------------------------

TEST(HttpServer, ExpectContinueGets100BeforeTheBodyIsSent) {
  auto options = test_options();
  options.body_limit = 4096;
  RunningServer running(options, always([](Exchange& exchange) -> asio::awaitable<void> {
                          co_await exchange.respond(
                              Status::ok, std::to_string(exchange.request().body().size()),
                              "text/plain");
                        }));
  Client client;
  auto socket = client.connect(running.port());
  std::string received;
  const std::string body(2000, 'b');
  client.run([&]() -> asio::awaitable<void> {
    co_await send(socket,
                  "POST /v1/messages HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                  "Content-Length: 2000\r\n\r\n");
    co_await read_until(socket, received, "\r\n\r\n");
    EXPECT_EQ(received, "HTTP/1.1 100 Continue\r\n\r\n");
    co_await send(socket, body);
    beast::flat_buffer buffer;
    const auto response = co_await read_response(socket, buffer);
    EXPECT_EQ(response.result(), Status::ok);
    EXPECT_EQ(response.body(), "2000");
  }());

  // Over the limit: refused at once, no 100 Continue, and the body never needs to be sent.
  auto refused = client.connect(running.port());
  beast::flat_buffer buffer;
  const auto response = client.run([&]() -> asio::awaitable<Response> {
    co_await send(
        refused,
        "POST / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n");
    co_return co_await read_response(refused, buffer);
  }());
  EXPECT_EQ(response.result(), Status::payload_too_large);
}

// --- shutdown --------------------------------------------------------------------------------

bool connection_refused(std::uint16_t port) {
  asio::io_context context;
  tcp::socket socket(context);
  error_code ec;
  socket.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  return ec == asio::error::connection_refused;
}

TEST(HttpServer, ShutdownLetsAnExchangeFinishClosesIdleConnectionsAndRefusesNewOnes) {
  Signal* release = nullptr;  // owned by the handler: it must not outlive the server's context
  std::promise<void> started;
  RunningServer running(test_options(), [&](asio::io_context& context) -> Handler {
    auto signal = std::make_shared<Signal>(context, 8);
    release = signal.get();
    return [&, signal](Exchange& exchange) -> asio::awaitable<void> {
      if (exchange.path() == "/slow") {
        started.set_value();
        co_await signal->async_receive(use_awaitable);
      }
      co_await exchange.respond(Status::ok, "finished", "text/plain");
    };
  });

  Client client;
  auto idle = client.connect(running.port());
  beast::flat_buffer idle_buffer;
  client.run([&]() -> asio::awaitable<void> {
    co_await send(idle, request_text("GET", "/quick"));
    co_await read_response(idle, idle_buffer);
  }());
  auto busy = client.connect(running.port());
  client.run(send(busy, request_text("GET", "/slow")));
  auto started_future = started.get_future();
  ASSERT_EQ(started_future.wait_for(3s), std::future_status::ready);

  running.server().shutdown();
  EXPECT_TRUE(client.run(closed_by_server(idle), 2s)) << "idle connection not closed at once";
  bool refused = false;
  for (int attempt = 0; attempt < 200 && !refused; ++attempt) {
    refused = connection_refused(running.port());
    if (!refused) std::this_thread::sleep_for(5ms);
  }
  EXPECT_TRUE(refused);

  ASSERT_TRUE(release->try_send(error_code{}));
  beast::flat_buffer buffer;
  const auto response = client.run(read_response(busy, buffer));
  EXPECT_EQ(response.body(), "finished");
  EXPECT_FALSE(response.keep_alive());
  running.stop();  // run() has returned
  EXPECT_EQ(running.server().open_connections(), 0u);
}

TEST(HttpServer, ShutdownGraceOverCancelsWhatStillRuns) {
  auto options = test_options();
  options.shutdown_grace = 100ms;
  CancellationProbe probe;
  RunningServer running(options, always([&](Exchange& exchange) -> asio::awaitable<void> {
                          co_await exchange.begin_stream(Status::ok, "text/event-stream");
                          probe.started.set_value();
                          asio::steady_timer timer(co_await asio::this_coro::executor, 30s);
                          auto [ec] = co_await timer.async_wait(as_result);
                          probe.ended.set_value(ec);
                        }));
  Client client;
  auto socket = client.connect(running.port());
  client.run(send(socket, request_text("GET", "/")));
  auto started = probe.started.get_future();
  ASSERT_EQ(started.wait_for(3s), std::future_status::ready);

  const auto shutdown_at = std::chrono::steady_clock::now();
  running.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - shutdown_at, 2s);
  auto ended = probe.ended.get_future();
  ASSERT_EQ(ended.wait_for(0s), std::future_status::ready);
  EXPECT_EQ(ended.get(), asio::error::operation_aborted);
  EXPECT_THAT(client.run(read_to_end(socket)), testing::Not(testing::EndsWith("0\r\n\r\n")));
}

TEST(HttpServer, ShutdownBeforeRunMakesRunReturn) {
  Server server(test_options(), always([](Exchange& exchange) -> asio::awaitable<void> {
                  co_await exchange.respond(Status::ok, "", "text/plain");
                }));
  server.listen();
  server.shutdown();
  auto done = std::async(std::launch::async, [&] { server.run(); });
  EXPECT_EQ(done.wait_for(3s), std::future_status::ready);
}

// --- listening -------------------------------------------------------------------------------

TEST(HttpServer, PortZeroWithSeveralThreadsBindsOnePortAndServesFromEveryThread) {
  auto options = test_options();
  options.threads = 2;
  std::atomic<int> handlers_made{0};
  RunningServer running(options, [&](asio::io_context&) -> Handler {
    ++handlers_made;
    return [](Exchange& exchange) -> asio::awaitable<void> {
      co_await exchange.respond(Status::ok, "ok", "text/plain");
    };
  });
  EXPECT_NE(running.port(), 0);
  EXPECT_EQ(handlers_made, 2);
  Client client;
  for (int i = 0; i < 8; ++i) {
    const auto response = client.run(exchange(running.port(), request_text("GET", "/")));
    EXPECT_EQ(response.body(), "ok");
  }
}

TEST(HttpServer, ListeningOnABusyPortThrowsNamingTheAddress) {
  // With several threads both servers would set SO_REUSEPORT, which on its own lets the second
  // bind next to the first and silently take half of its connections.
  for (const unsigned threads : {1U, 2U}) {
    auto first_options = test_options();
    first_options.threads = threads;
    RunningServer first(first_options, always([](Exchange& exchange) -> asio::awaitable<void> {
                          co_await exchange.respond(Status::ok, "", "text/plain");
                        }));
    auto options = test_options();
    options.port = first.port();
    options.threads = threads;
    Server second(options, always([](Exchange&) -> asio::awaitable<void> { co_return; }));
    try {
      second.listen();
      ADD_FAILURE() << "listen() on a busy port succeeded with " << threads << " threads";
    } catch (const std::system_error& error) {
      EXPECT_THAT(error.what(), HasSubstr("127.0.0.1:" + std::to_string(first.port())));
    }
  }
}

TEST(HttpServer, ReportsEachExchangeToTheHook) {
  struct Report {
    Status status;
    std::uint64_t bytes;
    bool gone;
  };
  std::promise<Report> reported;
  auto options = test_options();
  options.on_exchange_done = [&](const Exchange& exchange, std::chrono::steady_clock::duration) {
    reported.set_value({exchange.status(), exchange.bytes_sent(), exchange.client_gone()});
  };
  RunningServer running(options, always([](Exchange& exchange) -> asio::awaitable<void> {
                          co_await exchange.respond(Status::accepted, "12345", "text/plain");
                        }));
  Client client;
  client.run(exchange(running.port(), request_text("GET", "/")));
  auto future = reported.get_future();
  const auto report = wait_for(future);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->status, Status::accepted);
  EXPECT_EQ(report->bytes, 5u);
  EXPECT_FALSE(report->gone);
}

// --- connection limits -----------------------------------------------------------------------

// Waits until the server counts `count` open connections.
bool wait_for_connections(RunningServer& running, std::size_t count) {
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while (running.server().open_connections() != count) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

TEST(HttpServer, PastMaxConnectionsANewConnectionIsClosedAtOnceCountedOverAllThreads) {
  auto options = test_options();
  options.threads = 2;
  options.max_connections = 3;
  std::atomic<int> refused{0};  // the hook runs on whichever thread refused
  options.on_connection_refused = [&](bool private_listener, std::uint64_t) {
    if (!private_listener) ++refused;
  };
  RunningServer running(options, always([](Exchange& exchange) -> asio::awaitable<void> {
                          co_await exchange.respond(Status::ok, "ok", "text/plain");
                        }));
  Client client;
  std::vector<tcp::socket> held;
  for (int i = 0; i < 3; ++i) held.push_back(client.connect(running.port()));
  ASSERT_TRUE(wait_for_connections(running, 3));

  for (int i = 0; i < 4; ++i) {  // whichever thread accepts them
    auto extra = client.connect(running.port());
    EXPECT_TRUE(client.run(closed_by_server(extra), 2s)) << "connection " << i;
  }
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (refused < 4 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  EXPECT_EQ(refused, 4);
  EXPECT_EQ(running.server().open_connections(), 3u);

  held.front().close();
  ASSERT_TRUE(wait_for_connections(running, 2));
  const auto response = client.run(exchange(running.port(), request_text("GET", "/")));
  EXPECT_EQ(response.body(), "ok");
}

TEST(HttpServer, ThePrivateListenerHasABudgetOfItsOwn) {
  auto options = test_options();
  options.max_connections = 1;
  options.private_connections = 1;
  std::atomic<std::uint64_t> refused_public{0}, refused_private{0};
  options.on_connection_refused = [&](bool private_listener, std::uint64_t count) {
    (private_listener ? refused_private : refused_public) = count;
  };
  RunningServer running(options, always([](Exchange& exchange) -> asio::awaitable<void> {
                          co_await exchange.respond(Status::ok, "ok", "text/plain");
                        }));
  const auto private_port = running.server().private_port();
  ASSERT_NE(private_port, 0);
  ASSERT_NE(private_port, running.port());
  Client client;
  auto held = client.connect(running.port());
  ASSERT_TRUE(wait_for_connections(running, 1));
  auto refused = client.connect(running.port());
  EXPECT_TRUE(client.run(closed_by_server(refused), 2s));

  const auto response = client.run(exchange(private_port, request_text("GET", "/")));
  EXPECT_EQ(response.body(), "ok");
  ASSERT_TRUE(wait_for_connections(running, 1));
  auto kept = client.connect(private_port);
  ASSERT_TRUE(wait_for_connections(running, 2));
  auto refused_too = client.connect(private_port);
  EXPECT_TRUE(client.run(closed_by_server(refused_too), 2s));
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (refused_private == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  EXPECT_EQ(refused_public, 1u);
  EXPECT_EQ(refused_private, 1u);
}

// --- admission -------------------------------------------------------------------------------

TEST(HttpServer, AdmissionAnswersFromTheHeadBeforeAnyBodyByteAndCloses) {
  auto options = test_options();
  std::atomic<std::size_t> body_seen_at_admission{99};
  options.admit = [&](Exchange& exchange) -> std::optional<Reply> {
    body_seen_at_admission = exchange.request().body().size();
    if (exchange.header("x-key") == "good") {
      exchange.add_response_field("x-admitted", "yes");
      return std::nullopt;
    }
    return Reply{Status::unauthorized, R"({"error":"no key"})", "application/json", {}};
  };
  std::atomic<int> handled{0};
  RunningServer running(options, always([&](Exchange& exchange) -> asio::awaitable<void> {
                          ++handled;
                          co_await exchange.respond(
                              Status::ok, std::to_string(exchange.request().body().size()),
                              "text/plain");
                        }));
  Client client;
  // 32 MiB announced, none sent, 100-continue asked: the answer comes at once, with no 100.
  auto socket = client.connect(running.port());
  std::string received;
  client.run([&]() -> asio::awaitable<void> {
    co_await send(socket,
                  "POST /v1/messages HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                  "Content-Length: 33554432\r\n\r\n");
    co_await read_until(socket, received, "no key\"}");
  }());
  EXPECT_THAT(received, StartsWith("HTTP/1.1 401 Unauthorized\r\n"));
  EXPECT_THAT(received, testing::Not(HasSubstr("100 Continue")));
  EXPECT_THAT(received, HasSubstr("Connection: close\r\n"));
  EXPECT_TRUE(client.run(closed_by_server(socket), 3s));
  EXPECT_EQ(handled, 0);

  const auto admitted =
      client.run(exchange(running.port(), request_text("POST", "/", "X-Key: good\r\n", "12345")));
  EXPECT_EQ(admitted.result(), Status::ok);
  EXPECT_EQ(admitted.body(), "5");
  EXPECT_EQ(admitted["x-admitted"], "yes");
  EXPECT_EQ(body_seen_at_admission, 0u);
  EXPECT_EQ(handled, 1);
}

// --- shutdown hooks --------------------------------------------------------------------------

TEST(HttpServer, OnShutdownIsCalledOnceAndForceShutdownCancelsWithoutWaitingForTheGrace) {
  auto options = test_options();
  options.shutdown_grace = 30s;
  std::atomic<int> shutdowns{0};
  options.on_shutdown = [&] { ++shutdowns; };
  CancellationProbe probe;
  RunningServer running(options, always([&](Exchange& exchange) -> asio::awaitable<void> {
                          co_await exchange.begin_stream(Status::ok, "text/event-stream");
                          probe.started.set_value();
                          asio::steady_timer timer(co_await asio::this_coro::executor, 60s);
                          auto [ec] = co_await timer.async_wait(as_result);
                          probe.ended.set_value(ec);
                        }));
  Client client;
  auto socket = client.connect(running.port());
  client.run(send(socket, request_text("GET", "/")));
  auto started = probe.started.get_future();
  ASSERT_EQ(started.wait_for(3s), std::future_status::ready);

  running.server().shutdown();
  running.server().shutdown();
  auto ended = probe.ended.get_future();
  EXPECT_EQ(ended.wait_for(300ms), std::future_status::timeout) << "the grace was not given";
  const auto forced_at = std::chrono::steady_clock::now();
  running.server().force_shutdown();
  ASSERT_EQ(ended.wait_for(3s), std::future_status::ready);
  EXPECT_EQ(ended.get(), asio::error::operation_aborted);
  running.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - forced_at, 3s);
  EXPECT_EQ(shutdowns, 1);
  EXPECT_EQ(running.server().open_connections(), 0u);
}

}  // namespace
}  // namespace ccgate::http
