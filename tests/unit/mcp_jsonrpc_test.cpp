#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "mcp/jsonrpc.hpp"

namespace ccgate::mcp::jsonrpc {
namespace {

constexpr std::size_t kDepth = 64;

// A JSON-RPC request whose params hold `levels` nested arrays.
std::string nested_request(std::size_t levels) {
  return R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"a":)" +
         std::string(levels, '[') + std::string(levels, ']') + "}}";
}

Message parse_message(std::string_view body) {
  auto parsed = parse(body, kDepth);
  EXPECT_TRUE(std::holds_alternative<Message>(parsed)) << body;
  return std::holds_alternative<Message>(parsed) ? std::get<Message>(parsed) : Message{};
}

Error parse_error(std::string_view body) {
  auto parsed = parse(body, kDepth);
  EXPECT_TRUE(std::holds_alternative<Error>(parsed)) << body;
  return std::holds_alternative<Error>(parsed) ? std::get<Error>(parsed) : Error{};
}

TEST(McpJsonRpc, RequestWithNumericIdAndParams) {
  const auto message =
      parse_message(R"({"method":"tools/list","params":{"cursor":"c1"},"jsonrpc":"2.0","id":1})");
  EXPECT_EQ(message.kind, Kind::request);
  EXPECT_EQ(message.id, json::value(1));
  EXPECT_EQ(message.method, "tools/list");
  EXPECT_EQ(message.params, json::parse(R"({"cursor":"c1"})"));
}

TEST(McpJsonRpc, RequestWithStringIdAndNoParams) {
  const auto message =
      parse_message(R"({"jsonrpc":"2.0","id":"server-discover-probe-1","method":"ping"})");
  EXPECT_EQ(message.kind, Kind::request);
  EXPECT_EQ(message.id, json::value("server-discover-probe-1"));
  EXPECT_TRUE(message.params.is_null());
}

TEST(McpJsonRpc, MessageWithoutIdIsANotification) {
  const auto message = parse_message(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  EXPECT_EQ(message.kind, Kind::notification);
  EXPECT_TRUE(message.id.is_null());
  EXPECT_EQ(message.method, "notifications/initialized");
}

TEST(McpJsonRpc, ResultOrErrorWithoutMethodIsAResponse) {
  EXPECT_EQ(parse_message(R"({"jsonrpc":"2.0","id":4,"result":{}})").kind, Kind::response);
  EXPECT_EQ(parse_message(R"({"jsonrpc":"2.0","id":4,"error":{"code":1,"message":"x"}})").kind,
            Kind::response);
}

TEST(McpJsonRpc, MalformedJsonIsAParseErrorWithNullId) {
  const auto error = parse_error(R"({"jsonrpc":"2.0","id":1,"method":)");
  EXPECT_EQ(error.code, ErrorCode::parse_error);
  EXPECT_TRUE(error.id.is_null());
  EXPECT_EQ(parse_error("").code, ErrorCode::parse_error);
}

TEST(McpJsonRpc, NestingUpToTheDepthIsReadDeeperIsAParseErrorNamingIt) {
  // The message object and params take two levels.
  EXPECT_EQ(parse_message(nested_request(kDepth - 2)).method, "tools/call");
  const auto error = parse_error(nested_request(kDepth - 1));
  EXPECT_EQ(error.code, ErrorCode::parse_error);
  EXPECT_NE(error.message.find("nested deeper than 64 levels"), std::string::npos) << error.message;
  EXPECT_TRUE(error.id.is_null());
}

TEST(McpJsonRpc, BatchIsRefused) {
  const auto error = parse_error(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])");
  EXPECT_EQ(error.code, ErrorCode::invalid_request);
  EXPECT_NE(error.message.find("batch not supported"), std::string::npos);
}

TEST(McpJsonRpc, NonObjectsAreInvalidRequests) {
  EXPECT_EQ(parse_error("42").code, ErrorCode::invalid_request);
  EXPECT_EQ(parse_error(R"("ping")").code, ErrorCode::invalid_request);
  EXPECT_EQ(parse_error("null").code, ErrorCode::invalid_request);
}

TEST(McpJsonRpc, MissingMethodIsInvalidAndKeepsTheId) {
  const auto error = parse_error(R"({"jsonrpc":"2.0","id":9})");
  EXPECT_EQ(error.code, ErrorCode::invalid_request);
  EXPECT_EQ(error.id, json::value(9));
}

TEST(McpJsonRpc, WrongOrMissingVersionIsInvalid) {
  EXPECT_EQ(parse_error(R"({"id":1,"method":"ping"})").code, ErrorCode::invalid_request);
  const auto error = parse_error(R"({"jsonrpc":"1.0","id":"a","method":"ping"})");
  EXPECT_EQ(error.code, ErrorCode::invalid_request);
  EXPECT_EQ(error.id, json::value("a"));
}

TEST(McpJsonRpc, IdsThatAreNeitherStringNorNumberAreInvalid) {
  for (const auto* body : {R"({"jsonrpc":"2.0","id":null,"method":"ping"})",
                           R"({"jsonrpc":"2.0","id":{"a":1},"method":"ping"})",
                           R"({"jsonrpc":"2.0","id":true,"method":"ping"})"}) {
    const auto error = parse_error(body);
    EXPECT_EQ(error.code, ErrorCode::invalid_request) << body;
    EXPECT_TRUE(error.id.is_null()) << body;
  }
}

// Found by fuzz_mcp_jsonrpc: 1e3092 parses to infinity, and the reply echoed it as `Infinity`,
// which is not JSON. A non-finite id is as invalid as a missing one; a fractional one is fine.
TEST(McpJsonRpc, IdsBeyondADoubleAreInvalidAndNotEchoed) {
  const auto error = parse_error(R"({"jsonrpc":"2.0","id":1e3092,"method":"tools/list"})");
  EXPECT_EQ(error.code, ErrorCode::invalid_request);
  EXPECT_TRUE(error.id.is_null());
  EXPECT_NO_THROW(json::parse(json::serialize(make_error(error))));
  EXPECT_TRUE(parse_error(R"({"jsonrpc":"2.0","id":-1e999,"result":{}})").id.is_null());
  EXPECT_EQ(parse_message(R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})").id, json::value(1.5));
}

TEST(McpJsonRpc, MethodAndParamsMustHaveTheRightTypes) {
  EXPECT_EQ(parse_error(R"({"jsonrpc":"2.0","id":1,"method":7})").code, ErrorCode::invalid_request);
  EXPECT_EQ(parse_error(R"({"jsonrpc":"2.0","id":1,"method":""})").code,
            ErrorCode::invalid_request);
  EXPECT_EQ(parse_error(R"({"jsonrpc":"2.0","id":1,"method":"ping","params":3})").code,
            ErrorCode::invalid_request);
}

TEST(McpJsonRpc, BuildsResultsAndErrors) {
  EXPECT_EQ(json::value(make_result(json::value(3), json::object{})),
            json::parse(R"({"jsonrpc":"2.0","id":3,"result":{}})"));
  EXPECT_EQ(json::value(make_error(json::value("x"), ErrorCode::method_not_found, "nope")),
            json::parse(R"({"jsonrpc":"2.0","id":"x","error":{"code":-32601,"message":"nope"}})"));
  EXPECT_EQ(json::value(make_error(parse_error("{"))).at("error").at("code"), json::value(-32700));
  EXPECT_EQ(json::value(make_error(parse_error("{"))).at("id"), json::value(nullptr));
}

}  // namespace
}  // namespace ccgate::mcp::jsonrpc
