#pragma once
// For the MCP endpoint tests: a fake Backend, a real loopback http::Server serving one Endpoint,
// and a plain blocking Beast client (blocking is fine on the test's own thread).

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/system/system_error.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "http/auth.hpp"
#include "http/server.hpp"
#include "mcp/server.hpp"

namespace ccgate::mcp::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

inline std::string secret_of(std::string_view session_id) {
  return "secret-" + std::string(session_id);
}

// Sessions "s1" and "s2". Tools: get_weather answers after `weather_delay`; park waits until
// cancelled; explode throws.
class FakeBackend : public Backend {
 public:
  bool authorized(std::string_view session_id, std::string_view secret) const override {
    const bool known = session_id == "s1" || session_id == "s2";
    return http::constant_time_equals(secret, secret_of(known ? session_id : "stand-in")) && known;
  }
  std::vector<Tool> list_tools(std::string_view) const override {
    return {Tool{"get_weather", "Get the current weather for a city.",
                 json::parse(R"({"type":"object","properties":{"city":{"type":"string"}},)"
                             R"("required":["city"]})")
                     .as_object(),
                 false}};
  }

  asio::awaitable<CallResult> call_tool(CallRequest request) override {
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }
    ++calls_started;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    if (request.tool_name == "get_weather") {
      timer.expires_after(weather_delay);
      co_await timer.async_wait(asio::use_awaitable);
      const auto* city = request.arguments.if_contains("city");
      co_return CallResult{"sunny in " + (city ? json::value_to<std::string>(*city) : "?"), false};
    }
    if (request.tool_name == "park") {
      timer.expires_at(asio::steady_timer::time_point::max());
      try {
        co_await timer.async_wait(asio::use_awaitable);
      } catch (const boost::system::system_error&) {
        ++calls_cancelled;
        throw;
      }
      co_return CallResult{"never", false};
    }
    if (request.tool_name == "explode") throw std::runtime_error("backend broke");
    co_return CallResult{"Unknown tool: " + request.tool_name, true};
  }

  std::vector<CallRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

  std::chrono::milliseconds weather_delay{300};
  std::atomic<int> calls_started{0};
  std::atomic<int> calls_cancelled{0};

 private:
  mutable std::mutex mutex_;
  std::vector<CallRequest> requests_;
};

// Serves `endpoint` at /mcp/gateway/<session> on 127.0.0.1, two worker threads (so that a
// cancellation may arrive on another thread than its call).
class LoopbackMcpServer {
 public:
  explicit LoopbackMcpServer(std::chrono::milliseconds keepalive = 50ms)
      : endpoint_(EndpointOptions{"gateway", "9.9.9", keepalive}, backend),
        server_(options(), [this](asio::io_context&) { return make_handler(); }) {
    port_ = server_.listen();
    runner_ = std::jthread([this] { server_.run(); });
  }
  ~LoopbackMcpServer() {
    server_.shutdown();
    runner_.join();
  }

  std::uint16_t port() const { return port_; }
  Endpoint& endpoint() { return endpoint_; }

  FakeBackend backend;

 private:
  static http::ServerOptions options() {
    http::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 2;
    options.shutdown_grace = 500ms;
    return options;
  }

  http::Handler make_handler() {
    return [this](http::Exchange& exchange) -> asio::awaitable<void> {
      const auto parts = parse_mcp_path(exchange.path());
      if (!parts || parts->server != "gateway") {
        co_await exchange.respond(http::Status::not_found, "{}");
        co_return;
      }
      co_await endpoint_.handle(exchange, parts->session_id);
    };
  }

  Endpoint endpoint_;
  http::Server server_;
  std::uint16_t port_ = 0;
  std::jthread runner_;
};

using Response = beast::http::response<beast::http::string_body>;

// One keep-alive connection. Every step has a 5 s deadline, so that a stream that never ends
// fails the test instead of hanging it (a blocking read would ignore SO_RCVTIMEO).
class Client {
 public:
  explicit Client(std::uint16_t port) : stream_(context_) {
    run_step([&](auto done) {
      stream_.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                            [done](boost::system::error_code ec) { done(ec, 0); });
    });
  }

  void send(beast::http::verb method, std::string target, std::string body = {},
            std::string secret = "secret-s1") {
    beast::http::request<beast::http::string_body> request{method, target, 11};
    request.set(beast::http::field::host, "127.0.0.1");
    request.set(beast::http::field::accept, "application/json, text/event-stream");
    if (!secret.empty()) request.set(kSecretHeader, secret);
    if (method == beast::http::verb::post)
      request.set(beast::http::field::content_type, "application/json");
    request.body() = std::move(body);
    request.prepare_payload();
    run_step([&](auto done) { beast::http::async_write(stream_, request, done); });
  }

  Response read_response() {
    beast::http::response_parser<beast::http::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    run_step([&](auto done) { beast::http::async_read(stream_, buffer_, parser, done); });
    return parser.release();
  }

  // For a stream that will not end by itself: its head only.
  Response read_head() {
    streaming_.emplace();
    run_step(
        [&](auto done) { beast::http::async_read_header(stream_, buffer_, *streaming_, done); });
    return streaming_->get();
  }
  // The rest of the stream begun by read_head(), until its end.
  std::string read_rest() {
    run_step([&](auto done) { beast::http::async_read(stream_, buffer_, *streaming_, done); });
    return streaming_->get().body();
  }

  Response post(std::string_view body, std::string session = "s1") {
    send(beast::http::verb::post, "/mcp/gateway/" + session, std::string(body), secret_of(session));
    return read_response();
  }

  void close() {
    boost::system::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

 private:
  template <class Start>
  void run_step(Start start) {
    boost::system::error_code result;
    stream_.expires_after(5s);
    start([&result](boost::system::error_code ec, std::size_t) { result = ec; });
    context_.restart();
    context_.run();
    if (result) throw boost::system::system_error(result);
  }

  asio::io_context context_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<beast::http::response_parser<beast::http::string_body>> streaming_;
};

inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds limit = 3000ms) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

}  // namespace ccgate::mcp::testing
