#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "http/sse.hpp"
#include "mcp/server.hpp"
#include "mcp_test_support.hpp"

namespace ccgate::mcp {
namespace {

using namespace testing;
using beast::http::field;
using beast::http::verb;

std::size_t count_of(std::string_view haystack, std::string_view needle) {
  std::size_t count = 0;
  for (auto at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + needle.size()))
    ++count;
  return count;
}

std::vector<http::SseEvent> events_in(std::string_view stream) {
  http::SseReader reader;
  reader.feed(stream);
  std::vector<http::SseEvent> events;
  while (auto event = reader.next()) events.push_back(std::move(*event));
  return events;
}

json::value json_body(const Response& response) {
  return json::parse(response.body());
}

constexpr std::string_view kWeatherCall =
    R"({"method":"tools/call","params":{"name":"get_weather","arguments":{"city":"Paris"},)"
    R"("_meta":{"claudecode/toolUseId":"toolu_fake0001","progressToken":2}},"jsonrpc":"2.0","id":2})";

std::string call_body(std::string_view tool, int id) {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) +
         R"(,"method":"tools/call","params":{"name":")" + std::string(tool) +
         R"(","arguments":{}}})";
}

std::string cancel_body(int id) {
  return R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":)" +
         std::to_string(id) + R"(,"reason":"interrupted"}})";
}

// The CLI 2.1.330 connection sequence, then a call, over one keep-alive connection.
TEST(McpEndpoint, ServesTheClaudeCodeSequence) {
  LoopbackMcpServer server;
  Client client(server.port());

  const auto probe = client.post(
      R"({"jsonrpc":"2.0","id":"server-discover-probe-1","method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}})");
  EXPECT_EQ(probe.result_int(), 200);
  EXPECT_EQ(probe[field::content_type], "application/json");
  EXPECT_EQ(json_body(probe), json::parse(R"({"jsonrpc":"2.0","id":"server-discover-probe-1",
      "error":{"code":-32601,"message":"Method not found: server/discover"}})"));

  const auto init = client.post(
      R"({"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{"roots":{"listChanged":true}},"clientInfo":{"name":"claude-code","version":"2.1.330"}},"jsonrpc":"2.0","id":0})");
  EXPECT_EQ(init.result_int(), 200);
  EXPECT_EQ(init["Mcp-Session-Id"], "s1");
  EXPECT_EQ(json_body(init), json::parse(R"({"jsonrpc":"2.0","id":0,"result":{
      "protocolVersion":"2025-11-25","capabilities":{"tools":{"listChanged":false}},
      "serverInfo":{"name":"gateway","version":"9.9.9"}}})"));

  const auto initialized = client.post(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  EXPECT_EQ(initialized.result_int(), 202);
  EXPECT_TRUE(initialized.body().empty());

  client.send(verb::get, "/mcp/gateway/s1");
  const auto listen = client.read_response();
  EXPECT_EQ(listen.result_int(), 405);
  EXPECT_EQ(listen[field::allow], "POST, DELETE");

  const auto list = client.post(R"({"method":"tools/list","jsonrpc":"2.0","id":1})");
  EXPECT_EQ(list.result_int(), 200);
  EXPECT_EQ(json_body(list).at("result").at("tools").at(0).at("name"), json::value("get_weather"));
  EXPECT_EQ(json_body(list).at("result").at("tools").at(0).at("inputSchema").at("required"),
            json::parse(R"(["city"])"));

  const auto call = client.post(kWeatherCall);
  EXPECT_EQ(call.result_int(), 200);
  EXPECT_EQ(call[field::content_type], "text/event-stream");
  EXPECT_EQ(call[field::cache_control], "no-cache");
  // The backend takes 300 ms and keep-alives come every 50 ms: several arrive first.
  const auto result_at = call.body().find("event: message");
  ASSERT_NE(result_at, std::string::npos) << call.body();
  EXPECT_GE(count_of(call.body().substr(0, result_at), ": keepalive\n\n"), 2U) << call.body();
  const auto events = events_in(call.body());
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].event, "message");
  EXPECT_EQ(json::parse(events[0].data), json::parse(R"({"jsonrpc":"2.0","id":2,"result":{
      "content":[{"type":"text","text":"sunny in Paris"}],"isError":false}})"));

  const auto requests = server.backend.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].session_id, "s1");
  EXPECT_EQ(requests[0].tool_use_id, "toolu_fake0001");
  EXPECT_EQ(requests[0].request_id, json::value(2));

  // The stream ended cleanly: the connection serves the next request.
  EXPECT_EQ(json_body(client.post(R"({"jsonrpc":"2.0","id":3,"method":"ping"})")),
            json::parse(R"({"jsonrpc":"2.0","id":3,"result":{}})"));
  client.send(verb::delete_, "/mcp/gateway/s1");
  EXPECT_EQ(client.read_response().result_int(), 200);
  EXPECT_EQ(server.endpoint().calls_in_flight(), 0U);
}

TEST(McpEndpoint, WithoutKeepAliveTheStreamCarriesOnlyTheResult) {
  LoopbackMcpServer server(0ms);
  server.backend.weather_delay = 100ms;
  Client client(server.port());
  const auto call = client.post(kWeatherCall);
  EXPECT_EQ(call.body().find(": keepalive"), std::string::npos);
  ASSERT_EQ(events_in(call.body()).size(), 1U);
}

// Keep-alives every millisecond race the result: the stream must stay well-formed whichever
// finishes first, and serve the next request on the same connection.
TEST(McpEndpoint, DenseKeepAlivesNeverCorruptTheStream) {
  LoopbackMcpServer server(1ms);
  server.backend.weather_delay = 40ms;
  Client client(server.port());
  for (int round = 0; round < 5; ++round) {
    const auto call = client.post(kWeatherCall);
    const auto events = events_in(call.body());
    ASSERT_EQ(events.size(), 1U) << call.body();
    EXPECT_EQ(json::parse(events[0].data).at("result").at("content").at(0).at("text"),
              json::value("sunny in Paris"));
    EXPECT_TRUE(call.body().ends_with("\n\n"));
    EXPECT_GE(count_of(call.body(), ": keepalive\n\n"), 1U);
  }
}

TEST(McpEndpoint, AWrongSecretAndAnUnknownSessionGetTheSameNotFound) {
  LoopbackMcpServer server;
  const auto refusal = [&](std::string_view session, const std::string& secret, verb method) {
    Client client(server.port());
    client.send(method, "/mcp/gateway/" + std::string(session),
                method == verb::post ? std::string(kWeatherCall) : "", secret);
    const auto response = client.read_response();
    return std::pair{response.result_int(), response.body()};
  };
  const auto unknown = refusal("nobody", "secret-nobody", verb::post);
  EXPECT_EQ(unknown.first, 404);
  const auto body = json::parse(unknown.second);
  EXPECT_TRUE(body.at("id").is_null());
  EXPECT_EQ(body.at("error").at("code"), json::value(-32001));

  for (const std::string secret : {"secret-s2", "", "secret-s1x"})
    EXPECT_EQ(refusal("s1", secret, verb::post), unknown) << "secret " << secret;
  EXPECT_EQ(refusal("s1", "wrong", verb::get), unknown) << "whatever the method";
  EXPECT_EQ(refusal("s1", "wrong", verb::delete_), unknown);
  EXPECT_EQ(server.backend.calls_started, 0);
}

TEST(McpEndpoint, MalformedBodiesAreJsonRpcErrors) {
  LoopbackMcpServer server;
  Client client(server.port());
  const auto garbled = client.post(R"({"jsonrpc":"2.0","id":1,"method":)");
  EXPECT_EQ(garbled.result_int(), 400);
  EXPECT_EQ(json_body(garbled).at("error").at("code"), json::value(-32700));
  const auto batch = client.post(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])");
  EXPECT_EQ(batch.result_int(), 400);
  EXPECT_EQ(json_body(batch).at("error").at("code"), json::value(-32600));
  const auto unknown = client.post(R"({"jsonrpc":"2.0","id":4,"method":"resources/list"})");
  EXPECT_EQ(unknown.result_int(), 200);
  EXPECT_EQ(json_body(unknown).at("error").at("code"), json::value(-32601));
}

TEST(McpEndpoint, BadCallArgumentsAreInvalidParamsInTheStream) {
  LoopbackMcpServer server;
  Client client(server.port());
  const auto call = client.post(
      R"({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"get_weather","arguments":["Paris"]}})");
  EXPECT_EQ(call[field::content_type], "text/event-stream");
  const auto events = events_in(call.body());
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(json::parse(events[0].data).at("error").at("code"), json::value(-32602));
  EXPECT_EQ(server.backend.calls_started, 0);
}

TEST(McpEndpoint, BackendFailureIsAnInternalErrorInTheStream) {
  LoopbackMcpServer server;
  Client client(server.port());
  const auto events = events_in(client.post(call_body("explode", 6)).body());
  ASSERT_EQ(events.size(), 1U);
  const auto message = json::parse(events[0].data);
  EXPECT_EQ(message.at("id"), json::value(6));
  EXPECT_EQ(message.at("error").at("code"), json::value(-32603));
}

TEST(McpEndpoint, CancelledNotificationStopsOnlyTheNamedCall) {
  LoopbackMcpServer server;
  Client caller(server.port());
  caller.send(verb::post, "/mcp/gateway/s1", call_body("park", 7), secret_of("s1"));
  caller.read_head();
  ASSERT_TRUE(eventually([&] { return server.backend.calls_started == 1; }));

  Client other(server.port());
  // Same request id in another session, then another id in this one: neither is this call.
  EXPECT_EQ(other.post(cancel_body(7), "s2").result_int(), 202);
  EXPECT_EQ(other.post(cancel_body(8), "s1").result_int(), 202);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(server.backend.calls_cancelled, 0);
  EXPECT_EQ(server.endpoint().calls_in_flight(), 1U);

  const auto cancel = other.post(cancel_body(7), "s1");
  EXPECT_EQ(cancel.result_int(), 202);
  EXPECT_TRUE(cancel.body().empty());
  // The stream ends, without a result.
  const auto rest = caller.read_rest();
  EXPECT_EQ(rest.find("event: message"), std::string::npos) << rest;
  EXPECT_TRUE(eventually([&] { return server.backend.calls_cancelled == 1; }));
  EXPECT_TRUE(eventually([&] { return server.endpoint().calls_in_flight() == 0; }));
}

TEST(McpEndpoint, ClientHangingUpCancelsTheWaitingCall) {
  LoopbackMcpServer server;
  Client caller(server.port());
  caller.send(verb::post, "/mcp/gateway/s1", call_body("park", 9), secret_of("s1"));
  // The head comes at once, although the call has no result yet.
  const auto head = caller.read_head();
  EXPECT_EQ(head.result_int(), 200);
  EXPECT_EQ(head[field::content_type], "text/event-stream");
  ASSERT_TRUE(eventually([&] { return server.backend.calls_started == 1; }));
  EXPECT_EQ(server.endpoint().calls_in_flight(), 1U);
  caller.close();
  EXPECT_TRUE(eventually([&] { return server.backend.calls_cancelled == 1; }));
  EXPECT_TRUE(eventually([&] { return server.endpoint().calls_in_flight() == 0; }));
}

TEST(McpEndpoint, DeleteEndsTheSessionsWaitingCalls) {
  LoopbackMcpServer server;
  Client caller(server.port());
  caller.send(verb::post, "/mcp/gateway/s1", call_body("park", 10), secret_of("s1"));
  caller.read_head();
  ASSERT_TRUE(eventually([&] { return server.backend.calls_started == 1; }));

  Client other(server.port());
  other.send(verb::delete_, "/mcp/gateway/s1");
  EXPECT_EQ(other.read_response().result_int(), 200);
  EXPECT_EQ(caller.read_rest().find("event: message"), std::string::npos);
  EXPECT_TRUE(eventually([&] { return server.backend.calls_cancelled == 1; }));
}

TEST(McpEndpoint, OtherHttpMethodsAreNotAllowed) {
  LoopbackMcpServer server;
  Client client(server.port());
  for (const auto method : {verb::get, verb::put, verb::patch}) {
    client.send(method, "/mcp/gateway/s1");
    const auto response = client.read_response();
    EXPECT_EQ(response.result_int(), 405);
    EXPECT_EQ(response[field::allow], "POST, DELETE");
  }
}

// The Exchange is built by hand to present a peer address that a loopback test cannot have.
http::Status status_for_peer(std::string peer) {
  asio::io_context context;
  tcp::acceptor acceptor(context, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket client_side(context);
  client_side.connect(acceptor.local_endpoint());
  beast::tcp_stream server_side(acceptor.accept());

  FakeBackend backend;
  Endpoint endpoint(EndpointOptions{"gateway", "1", 50ms}, backend);
  http::Request request{verb::post, "/mcp/gateway/s1", 11};
  request.set(kSecretHeader, secret_of("s1"));
  request.body() = R"({"jsonrpc":"2.0","id":1,"method":"ping"})";
  http::Exchange exchange(server_side, request, std::move(peer));
  asio::co_spawn(context, endpoint.handle(exchange, "s1"), asio::detached);
  context.run();

  beast::flat_buffer buffer;
  Response response;
  beast::http::read(client_side, buffer, response);
  return response.result();
}

TEST(McpEndpoint, OnlyLoopbackPeersAreServed) {
  EXPECT_EQ(status_for_peer("192.0.2.7"), http::Status::forbidden);
  EXPECT_EQ(status_for_peer("10.0.0.1"), http::Status::forbidden);
  EXPECT_EQ(status_for_peer(""), http::Status::forbidden);
  EXPECT_EQ(status_for_peer("127.0.0.1"), http::Status::ok);
  EXPECT_EQ(status_for_peer("::1"), http::Status::ok);
  EXPECT_EQ(status_for_peer("::ffff:127.0.0.1"), http::Status::ok);
}

TEST(McpPath, SplitsServerAndSession) {
  const auto parts = parse_mcp_path("/mcp/gateway/abc-123");
  ASSERT_TRUE(parts.has_value());
  EXPECT_EQ(parts->server, "gateway");
  EXPECT_EQ(parts->session_id, "abc-123");
  for (const auto* path : {"/mcp/gateway", "/mcp/gateway/", "/mcp//s1", "/mcp/gateway/s1/x",
                           "/v1/messages", "/mcpx/gateway/s1"})
    EXPECT_FALSE(parse_mcp_path(path).has_value()) << path;
}

}  // namespace
}  // namespace ccgate::mcp
