#pragma once
// A loopback upstream that answers with scripted raw bytes, for tests of what ccgate does with
// an upstream answer (upstream and proxy rooms), and a runner for a test's coroutine.

#include <gtest/gtest.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <exception>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "http/client.hpp"

namespace ccgate::testing {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Every connection gets the same answer: the pieces, written one by one (a short pause between
// them, so the client reads them apart), then the connection closes.
class ScriptedUpstream {
 public:
  ScriptedUpstream(const asio::any_io_executor& executor, std::vector<std::string> pieces)
      : acceptor_(executor, {asio::ip::make_address("127.0.0.1"), 0}), pieces_(std::move(pieces)) {
    asio::co_spawn(executor, accept_loop(), asio::detached);
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/v1";
  }

 private:
  static constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
      if (ec) co_return;
      asio::co_spawn(acceptor_.get_executor(), answer(std::move(socket)), asio::detached);
    }
  }
  asio::awaitable<void> answer(asio::ip::tcp::socket socket) {
    boost::beast::flat_buffer buffer;
    boost::beast::http::request<boost::beast::http::string_body> request;
    auto [read_ec, read] =
        co_await boost::beast::http::async_read(socket, buffer, request, use_tuple);
    if (read_ec) co_return;
    asio::steady_timer pause(socket.get_executor());
    for (const auto& piece : pieces_) {
      auto [ec, written] = co_await asio::async_write(socket, asio::buffer(piece), use_tuple);
      if (ec) co_return;
      pause.expires_after(2ms);
      co_await pause.async_wait(use_tuple);
    }
    boost::system::error_code ignored;
    socket.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    std::array<char, 256> drain;  // until the client closes
    for (;;) {
      auto [ec, got] = co_await socket.async_read_some(asio::buffer(drain), use_tuple);
      if (ec) co_return;
    }
  }

  asio::ip::tcp::acceptor acceptor_;
  std::vector<std::string> pieces_;
};

// A head with these headers (each "Name: value\r\n"), to be followed by the body pieces.
inline std::string head(std::string_view headers) {
  return "HTTP/1.1 200 OK\r\n" + std::string(headers) + "Connection: close\r\n\r\n";
}

// Runs `body` on a fresh loop with a client; fails the test if it does not end within 10 s.
inline void run_with_client(
    std::function<asio::awaitable<void>(asio::any_io_executor, http::Client&)> body) {
  asio::io_context ioc;
  asio::ssl::context tls(asio::ssl::context::tls_client);
  http::Client client(ioc.get_executor(), tls);
  std::exception_ptr failure;
  bool finished = false;
  asio::co_spawn(ioc, body(ioc.get_executor(), client), [&](std::exception_ptr error) {
    failure = error;
    finished = true;
    ioc.stop();
  });
  ioc.run_for(10s);
  ASSERT_TRUE(finished) << "the test did not finish within 10 s";
  if (failure) std::rethrow_exception(failure);
}

inline http::ClientRequest post_to(const std::string& url) {
  return {.method = "POST", .url = url + "/chat/completions", .headers = {}, .body = "{}"};
}

inline constexpr http::ClientTimeouts kQuick{
    .connect = 2s, .first_byte = 2s, .idle = 2s, .total = 5s};

}  // namespace ccgate::testing
