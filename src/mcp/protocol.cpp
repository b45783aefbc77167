#include "mcp/protocol.hpp"

#include <algorithm>
#include <boost/json/array.hpp>

namespace ccgate::mcp {

namespace json = boost::json;

namespace {

const json::object& empty_object() {
  static const json::object empty;
  return empty;
}

const json::object& params_object(const jsonrpc::Message& message) {
  return message.params.is_object() ? message.params.get_object() : empty_object();
}

std::string string_field(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string();
}

ImmediateReply reply(const jsonrpc::Message& message, json::value result) {
  return {jsonrpc::make_result(message.id, std::move(result))};
}

ImmediateReply method_not_found(const jsonrpc::Message& message) {
  return {jsonrpc::make_error(message.id, jsonrpc::ErrorCode::method_not_found,
                              "Method not found: " + message.method)};
}

Action decide_notification(const jsonrpc::Message& message) {
  if (message.method == "notifications/cancelled") {
    const auto* request_id = params_object(message).if_contains("requestId");
    if (request_id != nullptr && (request_id->is_string() || request_id->is_number()))
      return CancelCall{*request_id};
  }
  return Acknowledge{};
}

Action decide_call(const jsonrpc::Message& message, std::string_view session_id) {
  const auto invalid_params = [&](std::string_view why) {
    return ImmediateReply{jsonrpc::make_error(message.id, jsonrpc::ErrorCode::invalid_params, why),
                          true};
  };
  if (!message.params.is_object()) return invalid_params("Invalid params: expected an object");
  const json::object& params = message.params.get_object();

  const auto* name = params.if_contains("name");
  if (name == nullptr || !name->is_string() || name->get_string().empty())
    return invalid_params(R"(Invalid params: "name" must be a non-empty string)");

  json::object arguments;
  if (const auto* given = params.if_contains("arguments"); given != nullptr && !given->is_null()) {
    if (!given->is_object())
      return invalid_params(R"(Invalid params: "arguments" must be an object)");
    arguments = given->get_object();
  }

  std::string tool_use_id;
  if (const auto* meta = params.if_contains("_meta"); meta != nullptr && meta->is_object())
    tool_use_id = string_field(meta->get_object(), "claudecode/toolUseId");

  return StartCall{CallRequest{std::string(session_id), std::string(name->get_string()),
                               std::move(arguments), std::move(tool_use_id), message.id}};
}

}  // namespace

std::string_view negotiate_protocol_version(std::string_view requested) {
  const auto* known =
      std::find(kSupportedProtocolVersions.begin(), kSupportedProtocolVersions.end(), requested);
  return known != kSupportedProtocolVersions.end() ? *known : kSupportedProtocolVersions.front();
}

json::object initialize_result(const json::value& params, const ServerInfo& server) {
  std::string requested;
  if (params.is_object()) requested = string_field(params.get_object(), "protocolVersion");
  return {{"protocolVersion", negotiate_protocol_version(requested)},
          {"capabilities", {{"tools", {{"listChanged", false}}}}},
          {"serverInfo", {{"name", server.name}, {"version", server.version}}}};
}

json::object tools_list_result(const std::vector<Tool>& tools) {
  json::array listed;
  listed.reserve(tools.size());
  for (const Tool& tool : tools) {
    json::object schema = tool.input_schema;
    if (schema.empty()) schema["type"] = "object";  // MCP requires an object schema
    listed.push_back(json::object{{"name", tool.name},
                                  {"description", tool.description},
                                  {"inputSchema", std::move(schema)},
                                  {"annotations", {{"readOnlyHint", tool.read_only}}}});
  }
  return {{"tools", std::move(listed)}};
}

json::object call_result_message(const json::value& request_id, const CallResult& result) {
  json::array content;
  content.push_back(json::object{{"type", "text"}, {"text", result.text}});
  return jsonrpc::make_result(
      request_id, json::object{{"content", std::move(content)}, {"isError", result.is_error}});
}

Action decide(const jsonrpc::Message& message, std::string_view session_id,
              const ServerInfo& server, const Backend& backend) {
  switch (message.kind) {
    case jsonrpc::Kind::response:
      return Acknowledge{};  // we never send requests, so there is nothing to match it with
    case jsonrpc::Kind::notification:
      return decide_notification(message);
    case jsonrpc::Kind::request:
      break;
  }
  if (message.method == "initialize")
    return reply(message, initialize_result(message.params, server));
  if (message.method == "ping") return reply(message, json::object{});
  if (message.method == "tools/list")
    return reply(message, tools_list_result(backend.list_tools(session_id)));
  if (message.method == "tools/call") return decide_call(message, session_id);
  return method_not_found(message);  // server/discover included: the CLI then falls back
}

}  // namespace ccgate::mcp
