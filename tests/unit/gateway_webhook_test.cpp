#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <string>
#include <thread>

#include "gateway/webhook.hpp"

namespace ccgate::gateway {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// A one-connection HTTP peer on loopback, on its own thread: reads one request (head and body),
// then answers with `reply` (or nothing, and holds the connection until the test ends).
class Peer {
 public:
  explicit Peer(std::string reply)
      : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        thread_([this, reply = std::move(reply)] { serve(reply); }) {}
  ~Peer() {
    io_.stop();
    acceptor_.close();
    socket_.close();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/hook";
  }
  std::string request() {
    thread_.join();
    return request_;
  }

 private:
  void serve(const std::string& reply) {
    boost::system::error_code ec;
    acceptor_.accept(socket_, ec);
    if (ec) return;
    std::string buffer;
    asio::read_until(socket_, asio::dynamic_buffer(buffer), "\r\n\r\n", ec);
    std::string lower = buffer;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto length = lower.find("content-length: ");
    const auto head_end = buffer.find("\r\n\r\n") + 4;
    const std::size_t body =
        length == std::string::npos ? 0 : std::stoul(buffer.substr(length + 16));
    if (buffer.size() < head_end + body)
      asio::read(socket_, asio::dynamic_buffer(buffer),
                 asio::transfer_exactly(head_end + body - buffer.size()), ec);
    request_ = buffer;
    if (!reply.empty()) asio::write(socket_, asio::buffer(reply), ec);
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  tcp::socket socket_{io_};
  std::string request_;
  std::jthread thread_;
};

// The client's own loop on a thread, as the gateway runs it; the call is awaited from another.
WebhookAnswer post(WebhookCall call) {
  asio::io_context hooks_loop;
  auto work = asio::make_work_guard(hooks_loop);
  WebhookClient client(hooks_loop.get_executor());
  std::jthread runner([&] { hooks_loop.run(); });
  asio::io_context caller;
  auto answer = asio::co_spawn(caller, client.post(std::move(call)), asio::use_future);
  caller.run();
  work.reset();
  hooks_loop.stop();
  return answer.get();
}

TEST(WebhookClient, PostsJsonAndReturnsTheAnswer) {
  Peer peer("HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\n{\"allow\":true}");
  const auto answer = post({.url = peer.url(), .headers = {{"x-hook", "1"}}, .body = R"({"a":1})"});
  EXPECT_TRUE(answer.ok()) << answer.error;
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, R"({"allow":true})");
  const std::string request = peer.request();
  EXPECT_TRUE(request.starts_with("POST /hook HTTP/1.1\r\n")) << request;
  EXPECT_NE(request.find("x-hook: 1\r\n"), std::string::npos) << request;
  EXPECT_NE(request.find("\r\n\r\n{\"a\":1}"), std::string::npos) << request;
}

TEST(WebhookClient, AnErrorStatusIsAnAnswerButNotOk) {
  Peer peer("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy");
  const auto answer = post({.url = peer.url()});
  EXPECT_FALSE(answer.ok());
  EXPECT_EQ(answer.status, 503);
  EXPECT_EQ(answer.body, "busy");
  EXPECT_TRUE(answer.error.empty());
}

TEST(WebhookClient, NoAnswerWithinTheTimeoutIsAnError) {
  Peer peer("");  // reads the request, never answers
  const auto started = std::chrono::steady_clock::now();
  const auto answer = post({.url = peer.url(), .timeout = 300ms});
  EXPECT_FALSE(answer.ok());
  EXPECT_EQ(answer.error, "no answer within 300 ms");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

TEST(WebhookClient, AnAnswerPastItsBoundIsAnError) {
  Peer peer("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x'));
  const auto answer = post({.url = peer.url(), .max_answer = 10});
  EXPECT_FALSE(answer.ok());
  EXPECT_EQ(answer.error, "an answer larger than 10 bytes");
}

TEST(WebhookClient, AnUnreachableUrlIsAnError) {
  std::string url;
  {
    Peer closed("");
    url = closed.url();
  }
  const auto answer = post({.url = url, .timeout = 2s});
  EXPECT_FALSE(answer.ok());
  EXPECT_EQ(answer.status, 0);
  EXPECT_TRUE(answer.error.starts_with("not reached")) << answer.error;
}

TEST(WebhookClient, ACancelledCallerWaitsForTheCallToEndWithinItsTimeout) {
  using namespace boost::asio::experimental::awaitable_operators;
  Peer peer("");  // never answers
  asio::io_context hooks_loop;
  auto work = asio::make_work_guard(hooks_loop);
  WebhookClient client(hooks_loop.get_executor());
  std::jthread runner([&] { hooks_loop.run(); });
  asio::io_context caller;
  const auto started = std::chrono::steady_clock::now();
  auto raced = asio::co_spawn(
      caller,
      [&]() -> asio::awaitable<bool> {
        asio::steady_timer soon(co_await asio::this_coro::executor, 50ms);
        // The timer wins and cancels the call's side; the call still ends by its own timeout.
        auto winner = co_await (client.post({.url = peer.url(), .timeout = 300ms}) ||
                                soon.async_wait(asio::use_awaitable));
        co_return winner.index() == 1;
      },
      asio::use_future);
  caller.run();
  work.reset();
  hooks_loop.stop();
  EXPECT_TRUE(raced.get());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

}  // namespace
}  // namespace ccgate::gateway
