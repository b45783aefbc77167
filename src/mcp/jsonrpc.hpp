#pragma once
// JSON-RPC 2.0 as MCP uses it: one message per HTTP body, classified and validated; replies built.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace ccgate::mcp::jsonrpc {

namespace json = boost::json;

enum class ErrorCode : std::int64_t {
  parse_error = -32700,
  invalid_request = -32600,
  method_not_found = -32601,
  invalid_params = -32602,
  internal_error = -32603,
  // From the range JSON-RPC leaves to servers; the codes the MCP SDKs' HTTP servers use.
  server_error = -32000,
  session_not_found = -32001,
};

enum class Kind { request, notification, response };

struct Message {
  Kind kind = Kind::request;
  json::value id;      // a string or a number for requests and responses; null for notifications
  std::string method;  // empty for responses
  json::value params;  // an object or an array; null when absent
};

// Why a body is not a message we can handle; `id` is the request's when it could be read.
struct Error {
  ErrorCode code = ErrorCode::invalid_request;
  std::string message;
  json::value id;
};

// A body nested deeper than max_depth (arrays and objects) is a parse error that says so.
std::variant<Message, Error> parse(std::string_view body, std::size_t max_depth);

json::object make_result(const json::value& id, json::value result);
json::object make_error(const json::value& id, ErrorCode code, std::string_view message);
json::object make_error(const Error& error);

}  // namespace ccgate::mcp::jsonrpc
