#include "fake_claude/mcp_client.hpp"

#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <optional>
#include <thread>

#include "common/clock.hpp"

namespace ccgate::bench {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using asio::ip::tcp;

namespace {

constexpr std::string_view kUserAgent = "claude-code/2.1.330 (sdk-cli)";
constexpr std::string_view kProtocolVersion = "2025-11-25";
// A tool call's stream may carry keep-alive comments for as long as the client takes.
constexpr std::uint64_t kBodyLimit = std::uint64_t{1} << 40;

// The first JSON-RPC response in an event stream, looked for as the body grows.
class EventStreamScanner {
 public:
  std::optional<json::object> scan(std::string_view body) {
    for (;;) {
      const auto end = body.find("\n\n", scanned_);
      if (end == std::string_view::npos) return std::nullopt;
      auto message = response_in(body.substr(scanned_, end - scanned_));
      scanned_ = end + 2;
      if (message) return message;
    }
  }

 private:
  static std::optional<json::object> response_in(std::string_view event) {
    std::string data;
    while (!event.empty()) {
      const auto newline = event.find('\n');
      std::string_view line = event.substr(0, newline);
      event = newline == std::string_view::npos ? std::string_view{} : event.substr(newline + 1);
      if (line.ends_with('\r')) line.remove_suffix(1);
      if (!line.starts_with("data:")) continue;
      line.remove_prefix(5);
      if (line.starts_with(' ')) line.remove_prefix(1);
      if (!data.empty()) data += '\n';
      data += line;
    }
    boost::system::error_code ec;
    auto parsed = json::parse(data, ec);
    if (ec || !parsed.is_object()) return std::nullopt;
    auto& object = parsed.as_object();
    if (!object.contains("result") && !object.contains("error")) return std::nullopt;
    return std::move(object);
  }

  std::size_t scanned_ = 0;
};

bool is_stale_connection_error(const boost::system::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
}

std::string joined_text(const json::object& result) {
  std::string text;
  const auto* content = result.if_contains("content");
  if (content == nullptr || !content->is_array()) return text;
  for (const auto& block : content->get_array()) {
    const auto* object = block.if_object();
    if (object == nullptr) continue;
    const auto* piece = object->if_contains("text");
    if (piece == nullptr || !piece->is_string()) continue;
    if (!text.empty()) text += '\n';
    text += piece->get_string();
  }
  return text;
}

}  // namespace

McpClient::McpClient(asio::io_context& io, McpServerConfig server)
    : server_(std::move(server)), socket_(io) {}

void McpClient::connect() {
  tcp::resolver resolver(socket_.get_executor());
  const auto endpoints = resolver.resolve(server_.host, server_.port);
  buffer_.clear();
  asio::connect(socket_, endpoints);
  socket_.set_option(tcp::no_delay(true));
}

void McpClient::initialize() {
  // ccgate may not have registered the session yet when a fast CLI's first request comes in
  // (it spawns the CLI, then records the session): a 404 then is retried briefly. The real CLI
  // starts in hundreds of milliseconds and never meets this.
  constexpr int kAttempts = 7;
  json::value result;
  for (int attempt = 1;; ++attempt) {
    try {
      result = initialize_request();
      break;
    } catch (const McpError& failed) {
      if (failed.http_status() != 404 || attempt == kAttempts) throw;
      fmt::print(stderr, "fake-claude: initialize got 404, retrying (attempt {})\n", attempt);
      std::this_thread::sleep_for(std::chrono::milliseconds(1 << (attempt - 1)));
    }
  }
  if (const auto* version = result.as_object().if_contains("protocolVersion");
      version && version->is_string())
    protocol_version_ = version->get_string();
  else
    protocol_version_ = kProtocolVersion;
  notify("notifications/initialized");
}

unsigned McpClient::probe() {
  try {
    initialize_request();
    return 200;
  } catch (const McpError& refused) {
    return refused.http_status() != 0 ? refused.http_status() : 200;
  } catch (const std::exception&) {
    return 0;
  }
}

json::value McpClient::initialize_request() {
  json::object params{
      {"protocolVersion", kProtocolVersion},
      {"capabilities",
       {{"roots", {{"listChanged", true}}},
        {"elicitation", {{"form", json::object{}}, {"url", json::object{}}}}}},
      {"clientInfo", {{"name", "claude-code"}, {"title", "Claude Code"}, {"version", "2.1.330"}}}};
  return request("initialize", std::move(params));
}

std::vector<std::string> McpClient::list_tools() {
  const json::value result = request("tools/list", json::object{});
  std::vector<std::string> names;
  const auto* tools = result.as_object().if_contains("tools");
  if (tools == nullptr || !tools->is_array()) throw McpError("tools/list: no tools array");
  for (const auto& tool : tools->get_array())
    if (const auto* name = tool.as_object().if_contains("name"); name && name->is_string())
      names.emplace_back(name->get_string());
  return names;
}

ToolCallOutcome McpClient::call_tool(std::string_view name, const json::object& arguments,
                                     std::string_view tool_use_id) {
  json::object params{
      {"name", name},
      {"arguments", arguments},
      {"_meta", {{"claudecode/toolUseId", tool_use_id}, {"progressToken", next_id_}}}};
  ToolCallOutcome outcome;
  const json::value result = request("tools/call", std::move(params), &outcome.arrived_ns);
  const auto& object = result.as_object();
  outcome.text = joined_text(object);
  const auto* is_error = object.if_contains("isError");
  outcome.is_error = is_error != nullptr && is_error->is_bool() && is_error->get_bool();
  return outcome;
}

json::value McpClient::request(std::string_view method, json::object params,
                               std::uint64_t* arrived_ns) {
  const std::int64_t id = next_id_++;
  const json::object message{
      {"method", method}, {"params", std::move(params)}, {"jsonrpc", "2.0"}, {"id", id}};
  Reply reply = post(json::serialize(message));
  if (arrived_ns != nullptr) *arrived_ns = reply.arrived_ns;
  if (const auto* error = reply.message.if_contains("error"))
    throw McpError(fmt::format("{}: {}", method, json::serialize(*error)));
  auto* result = reply.message.if_contains("result");
  if (result == nullptr || !result->is_object())
    throw McpError(fmt::format("{}: no result in the answer", method));
  return std::move(*result);
}

void McpClient::notify(std::string_view method) {
  const json::object message{{"jsonrpc", "2.0"}, {"method", method}};
  post(json::serialize(message));
}

McpClient::Reply McpClient::post(const std::string& body) {
  const bool reused = socket_.is_open();
  if (!reused) connect();
  try {
    return post_once(body);
  } catch (const boost::system::system_error& failed) {
    // The server may have closed an idle keep-alive connection: one retry on a fresh one.
    if (!reused || !is_stale_connection_error(failed.code())) throw;
  }
  boost::system::error_code ignored;
  socket_.close(ignored);
  connect();
  return post_once(body);
}

McpClient::Reply McpClient::post_once(const std::string& body) {
  http::request<http::string_body> request{http::verb::post, server_.target, 11};
  request.set(http::field::host, server_.host + ":" + server_.port);
  request.set(http::field::accept, "application/json, text/event-stream");
  request.set(http::field::content_type, "application/json");
  request.set(http::field::user_agent, kUserAgent);
  for (const auto& [name, value] : server_.headers) request.set(name, value);
  if (!session_id_.empty()) request.set("mcp-session-id", session_id_);
  if (!protocol_version_.empty()) request.set("mcp-protocol-version", protocol_version_);
  request.body() = body;
  request.prepare_payload();
  http::write(socket_, request);

  http::response_parser<http::buffer_body> parser;
  parser.body_limit(kBodyLimit);
  http::read_header(socket_, buffer_, parser);
  const auto& head = parser.get();
  if (head.result_int() >= 300) {
    boost::system::error_code ignored;
    socket_.close(ignored);  // the error body is not read: the connection cannot be reused
    throw McpError(fmt::format("HTTP {} from the MCP server", head.result_int()),
                   head.result_int());
  }
  if (const auto id = head["mcp-session-id"]; !id.empty()) session_id_ = id;
  const bool event_stream = head[http::field::content_type].starts_with("text/event-stream");

  Reply reply;
  std::string received;
  EventStreamScanner scanner;
  std::array<char, 16 * 1024> piece{};
  while (!parser.is_done()) {
    parser.get().body().data = piece.data();
    parser.get().body().size = piece.size();
    boost::system::error_code ec;
    http::read_some(socket_, buffer_, parser, ec);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) throw boost::system::system_error(ec);
    received.append(piece.data(), piece.size() - parser.get().body().size);
    if (event_stream && reply.arrived_ns == 0) {
      if (auto message = scanner.scan(received)) {
        reply.arrived_ns = now_ns();
        reply.message = std::move(*message);
      }
    }
  }
  if (!event_stream && !received.empty()) {
    reply.arrived_ns = now_ns();
    reply.message = json::parse(received).as_object();
  }
  if (!parser.keep_alive()) {
    boost::system::error_code ignored;
    socket_.close(ignored);
  }
  return reply;
}

}  // namespace ccgate::bench
