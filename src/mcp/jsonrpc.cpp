#include "mcp/jsonrpc.hpp"

#include <boost/json/error.hpp>
#include <boost/json/parse.hpp>
#include <cmath>
#include <string>

namespace ccgate::mcp::jsonrpc {

namespace {

// A number too large for a double parses as infinity, which Boost.JSON would echo back as
// `Infinity`: not JSON. Such an id is as invalid as a missing one.
bool is_valid_id(const json::value& id) {
  return id.is_string() || id.is_int64() || id.is_uint64() ||
         (id.is_double() && std::isfinite(id.get_double()));
}

Error invalid(std::string message, json::value id = nullptr) {
  return Error{ErrorCode::invalid_request, std::move(message), std::move(id)};
}

std::variant<Message, Error> classify(const json::object& object) {
  const auto* version = object.if_contains("jsonrpc");
  const auto* id = object.if_contains("id");
  const auto* method = object.if_contains("method");
  const json::value reply_id = id != nullptr && is_valid_id(*id) ? *id : json::value(nullptr);

  if (version == nullptr || !version->is_string() || version->get_string() != "2.0")
    return invalid(R"(Invalid Request: "jsonrpc" must be "2.0")", reply_id);
  if (id != nullptr && !is_valid_id(*id))
    return invalid(R"(Invalid Request: "id" must be a string or a number)");

  if (method == nullptr) {
    if (id != nullptr && (object.contains("result") || object.contains("error")))
      return Message{Kind::response, *id, {}, nullptr};
    return invalid(R"(Invalid Request: "method" is missing)", reply_id);
  }
  if (!method->is_string() || method->get_string().empty())
    return invalid(R"(Invalid Request: "method" must be a non-empty string)", reply_id);

  json::value params = nullptr;
  if (const auto* given = object.if_contains("params")) {
    if (!given->is_object() && !given->is_array())
      return invalid(R"(Invalid Request: "params" must be an object or an array)", reply_id);
    params = *given;
  }
  return Message{id != nullptr ? Kind::request : Kind::notification,
                 id != nullptr ? *id : json::value(nullptr), std::string(method->get_string()),
                 std::move(params)};
}

}  // namespace

std::variant<Message, Error> parse(std::string_view body, std::size_t max_depth) {
  json::parse_options options;
  options.max_depth = max_depth;
  boost::system::error_code ec;
  const json::value document = json::parse(body, ec, {}, options);
  if (ec == json::error::too_deep)
    return Error{ErrorCode::parse_error,
                 "Parse error: nested deeper than " + std::to_string(max_depth) + " levels",
                 nullptr};
  if (ec) return Error{ErrorCode::parse_error, "Parse error: " + ec.message(), nullptr};
  if (document.is_array()) return invalid("Invalid Request: batch not supported");
  if (!document.is_object()) return invalid("Invalid Request: not a JSON-RPC message");
  return classify(document.get_object());
}

json::object make_result(const json::value& id, json::value result) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

json::object make_error(const json::value& id, ErrorCode code, std::string_view message) {
  return {{"jsonrpc", "2.0"},
          {"id", id},
          {"error", {{"code", static_cast<std::int64_t>(code)}, {"message", message}}}};
}

json::object make_error(const Error& error) {
  return make_error(error.id, error.code, error.message);
}

}  // namespace ccgate::mcp::jsonrpc
