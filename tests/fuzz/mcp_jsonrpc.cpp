// The MCP endpoint's message handling: one HTTP body → mcp::jsonrpc::parse → mcp::decide, as
// mcp/server.cpp's Endpoint drives them for the Claude Code CLI's requests.
//
// Properties, besides ASan/UBSan: nothing throws; every reply is a JSON-RPC 2.0 response that
// echoes the request's id and carries exactly one of result and error; a notification or a
// response is never answered; a tools/call starts only for a request with a tool name.

#include <boost/asio/awaitable.hpp>

#include "fuzz_support.hpp"
#include "mcp/jsonrpc.hpp"
#include "mcp/protocol.hpp"

namespace {

namespace json = boost::json;
namespace mcp = ccgate::mcp;
using ccgate::fuzz::require;

class Backend final : public mcp::Backend {
 public:
  bool authorized(std::string_view, std::string_view) const override { return true; }
  std::vector<mcp::Tool> list_tools(std::string_view) const override {
    return {
        {.name = "get_weather",
         .description = "Weather for a city",
         .input_schema = json::parse(R"({"type":"object","properties":{"city":{"type":"string"}}})")
                             .as_object(),
         .read_only = true},
        {.name = "delete_files", .description = "", .input_schema = {}, .read_only = false}};
  }
  boost::asio::awaitable<mcp::CallResult> call_tool(mcp::CallRequest) override {
    co_return mcp::CallResult{};
  }
};

void check_response(const json::object& reply, const json::value& id) {
  const std::string text = ccgate::fuzz::serialize_checked(reply, "a JSON-RPC reply");
  require(reply.contains("jsonrpc") && reply.at("jsonrpc") == "2.0", "replies say jsonrpc 2.0",
          text);
  require(reply.contains("id") && reply.at("id") == id, "a reply echoes the request's id", text);
  require(reply.contains("result") != reply.contains("error"),
          "a reply has exactly one of result and error", text);
  if (const auto* error = reply.if_contains("error")) {
    require(error->is_object() && error->get_object().contains("code") &&
                error->get_object().at("code").is_int64() &&
                error->get_object().contains("message") &&
                error->get_object().at("message").is_string(),
            "an error has an integer code and a message", text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t kMaxJsonDepth = 128;  // MAX_JSON_DEPTH's default
  const auto parsed = mcp::jsonrpc::parse(
      std::string_view(reinterpret_cast<const char*>(data), size), kMaxJsonDepth);
  if (const auto* error = std::get_if<mcp::jsonrpc::Error>(&parsed)) {
    require(error->id.is_null() || error->id.is_string() || error->id.is_number(),
            "an error's id is null, a string or a number");
    check_response(mcp::jsonrpc::make_error(*error), error->id);
    return 0;
  }
  const auto& message = std::get<mcp::jsonrpc::Message>(parsed);
  require(message.params.is_null() || message.params.is_object() || message.params.is_array(),
          "params are an object, an array or absent");
  if (message.kind != mcp::jsonrpc::Kind::notification) {
    require(message.id.is_string() || message.id.is_number(),
            "requests and responses have a string or number id");
  }

  Backend backend;
  const auto action =
      mcp::decide(message, "session-1", {.name = "ccgate", .version = "0.1.0"}, backend);
  if (const auto* reply = std::get_if<mcp::ImmediateReply>(&action)) {
    require(message.kind == mcp::jsonrpc::Kind::request, "only requests are answered");
    check_response(reply->message, message.id);
    require(reply->as_event_stream == (message.method == "tools/call"),
            "only a tools/call is answered as an event stream");
  } else if (std::holds_alternative<mcp::Acknowledge>(action)) {
    require(message.kind != mcp::jsonrpc::Kind::request, "every request gets an answer");
  } else if (const auto* cancel = std::get_if<mcp::CancelCall>(&action)) {
    require(message.kind == mcp::jsonrpc::Kind::notification &&
                message.method == "notifications/cancelled",
            "only notifications/cancelled cancels a call");
    require(cancel->request_id.is_string() || cancel->request_id.is_number(),
            "a cancellation names a string or number id");
  } else {
    const auto& start = std::get<mcp::StartCall>(action);
    require(message.kind == mcp::jsonrpc::Kind::request && message.method == "tools/call",
            "only a tools/call request starts a call");
    require(!start.request.tool_name.empty(), "a call names its tool");
    require(start.request.request_id == message.id, "a call keeps the request's id");
    check_response(
        mcp::call_result_message(start.request.request_id, {.text = "ok", .is_error = false}),
        message.id);
  }
  return 0;
}
