#include "fake_claude/fake_cli.hpp"

#include <fmt/format.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <charconv>
#include <csignal>
#include <filesystem>
#include <random>

#include "common/clock.hpp"
#include "fake_claude/signals.hpp"
#include "fake_claude/stdin_lines.hpp"

namespace ccgate::bench {
namespace json = boost::json;

namespace {

constexpr std::string_view kToolInput = R"({"q":"bench"})";
constexpr std::string_view kApprovalTool = "mcp__auth__approval_prompt";

std::string model_name(std::string_view model) {
  if (model.empty() || model == "opus") return "claude-opus-5-5";
  if (model == "sonnet") return "claude-sonnet-5-5";
  if (model == "haiku") return "claude-haiku-5-5";
  return std::string(model);
}

std::size_t tokens_for(std::size_t bytes) {
  return bytes / 4 + 1;
}

// The connected client, or nothing when any step of the handshake failed. Also lists the
// server's tools into `tools` as the CLI names them.
std::optional<McpClient> connect(boost::asio::io_context& io,
                                 const std::optional<McpServerConfig>& server,
                                 std::string_view name, std::vector<std::string>& tools) {
  if (!server) return std::nullopt;
  try {
    std::optional<McpClient> client(std::in_place, io, *server);
    client->initialize();
    for (const auto& tool : client->list_tools())
      if (name == "gateway") tools.push_back(fmt::format("mcp__gateway__{}", tool));
    return client;
  } catch (const std::exception& failed) {
    fmt::print(stderr, "fake-claude: MCP server {} failed: {}\n", name, failed.what());
    return std::nullopt;
  }
}

std::string random_hex(std::size_t digits) {
  std::random_device device;
  std::string hex;
  while (hex.size() < digits) hex += fmt::format("{:08x}", device());
  hex.resize(digits);
  return hex;
}

bool carries_tool_results(const json::value& line) {
  const auto* message = line.as_object().if_contains("message");
  const auto* content =
      message && message->is_object() ? message->get_object().if_contains("content") : nullptr;
  if (content == nullptr || !content->is_array()) return false;
  for (const auto& block : content->get_array()) {
    const auto* object = block.if_object();
    const auto* type = object ? object->if_contains("type") : nullptr;
    if (type && type->is_string() && type->get_string() == "tool_result") return true;
  }
  return false;
}

// The soak's "hung CLI": it neither writes nor reads any more, and only a signal ends it (or
// its parent's death, so that a soak that is itself killed leaves no stub behind).
[[noreturn]] void hang_until_killed() {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() == 1) ::_exit(0);
  for (;;) ::pause();
}

// The tool result as the number the soak sent (0 when it is not one).
std::uint64_t number_in(std::string_view text) {
  std::uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

}  // namespace

FakeCli::FakeCli(const Arguments& arguments, std::uint64_t started_ns)
    : started_ns_(started_ns), gateway_config_(arguments.gateway), id_salt_(random_hex(8)) {
  SessionFacts facts;
  facts.session_id = fmt::format("{}-{}-4{}-8{}-{}", random_hex(8), random_hex(4), random_hex(3),
                                 random_hex(3), random_hex(12));
  facts.model = model_name(arguments.model);
  std::error_code ignored;
  facts.cwd = std::filesystem::current_path(ignored).string();
  gateway_ = connect(io_, arguments.gateway, "gateway", facts.tools);
  auth_ = connect(io_, arguments.auth, "auth", facts.tools);
  facts.tools.emplace_back(kApprovalTool);
  if (arguments.gateway)
    facts.mcp_servers.emplace_back("gateway", gateway_ ? "connected" : "failed");
  if (arguments.auth) facts.mcp_servers.emplace_back("auth", auth_ ? "connected" : "failed");
  transcript_.emplace(std::move(facts));
}

void FakeCli::run() {
  StdinLines input;
  while (auto line = input.next()) answer(*line);
}

void FakeCli::answer(std::string_view line) {
  boost::system::error_code ec;
  const json::value parsed = json::parse(line, ec);
  if (ec || !parsed.is_object()) return;
  // The client's answer to a call has already come through MCP; a line that repeats it starts
  // no turn.
  if (carries_tool_results(parsed)) return;

  const Directive directive = parse_directive(line);
  if (first_turn_) {
    first_turn_ = false;
    sleep_until(started_ns_ + directive.startup_ms * 1'000'000ULL);
  }
  clear_interrupt();
  const std::uint64_t turn_started = now_ns();
  const std::size_t input_tokens = tokens_for(line.size());
  TurnTotals totals;
  transcript_->init();
  for (std::size_t i = 0; i < directive.garbage; ++i) transcript_->garbage(i);
  Leading leading;
  if (directive.tag) leading.emplace_back("tag", *directive.tag);
  if (directive.probe_mcp) {
    leading.emplace_back("mcp_wrong_secret", probe_gateway(true));
    leading.emplace_back("mcp_unknown_session", probe_gateway(false));
  }
  if (directive.tool.empty())
    text_message(directive, leading, input_tokens, totals);
  else
    tool_turn(directive, input_tokens, totals);
  transcript_->result(totals, now_ns() - turn_started);
}

void FakeCli::tool_turn(const Directive& directive, std::size_t input_tokens, TurnTotals& totals) {
  const std::string message_id = next_id("msg_fake_");
  const std::string tool_use_id = next_id("toolu_fake");
  const std::string cli_name = fmt::format("mcp__gateway__{}", directive.tool);
  auto& out = *transcript_;
  out.message_start(message_id, input_tokens);
  out.tool_use_block_start(tool_use_id, cli_name);
  out.input_json_delta(kToolInput);
  out.assistant_tool_use(message_id, input_tokens, tool_use_id, cli_name, kToolInput);
  out.block_stop();
  out.message_delta("tool_use", tokens_for(kToolInput.size()));
  out.message_stop();
  ++totals.model_calls;
  totals.input_tokens += input_tokens;
  totals.output_tokens += tokens_for(kToolInput.size());

  const Approval approval = ask_approval(cli_name, tool_use_id);
  if (!approval.allowed) {
    out.tool_denied(tool_use_id, approval.message);
    totals.permission_denials =
        fmt::format(R"([{{"tool_name":{},"tool_use_id":{},"tool_input":{}}}])",
                    json::serialize(json::string(cli_name)),
                    json::serialize(json::string(tool_use_id)), kToolInput);
    Directive short_answer = directive;
    short_answer.lines = 1;
    short_answer.interval_us = 0;
    text_message(short_answer, {}, input_tokens, totals);
    return;
  }
  const ToolCallOutcome outcome = call_gateway_tool(directive.tool, approval.input, tool_use_id);
  out.tool_result(tool_use_id, outcome.text, outcome.is_error);
  const Leading leading{directive.tag ? Leading::value_type{"result", number_in(outcome.text)}
                                      : Leading::value_type{"mcp_result_ns", outcome.arrived_ns}};
  text_message(directive, leading, input_tokens, totals);
}

void FakeCli::text_message(const Directive& directive, const Leading& leading,
                           std::size_t input_tokens, TurnTotals& totals) {
  const std::string message_id = next_id("msg_fake_");
  auto& out = *transcript_;
  out.message_start(message_id, input_tokens);
  out.text_block_start();
  std::string text;
  text.reserve(directive.lines * (directive.chunk_bytes + 24));
  const std::uint64_t start = now_ns();
  const std::uint64_t interval_ns = directive.interval_us * 1'000;
  const std::size_t lines = std::max(directive.lines, leading.size());
  for (std::size_t i = 0; i < lines; ++i) {
    if (directive.crash_after == i) ::_exit(3);
    if (directive.hang_after == i) hang_until_killed();
    if (i > 0 && interval_ns > 0) sleep_until(start + i * interval_ns);
    if (interrupted()) break;
    if (i < leading.size())
      out.text_delta(leading[i].first, leading[i].second, directive.chunk_bytes, text);
    else
      out.stamped_text_delta(directive.chunk_bytes, text);
  }
  out.assistant_text(message_id, input_tokens, text);
  out.block_stop();
  const std::size_t output_tokens = tokens_for(text.size());
  out.message_delta("end_turn", output_tokens);
  out.message_stop();
  ++totals.model_calls;
  totals.input_tokens += input_tokens;
  totals.output_tokens += output_tokens;
  totals.result_text = std::move(text);
}

FakeCli::Approval FakeCli::ask_approval(std::string_view cli_name, std::string_view tool_use_id) {
  Approval approval;
  approval.input = json::parse(kToolInput).as_object();
  if (!auth_) {
    approval.message = "the permission prompt tool's MCP server is not connected";
    return approval;
  }
  try {
    const json::object arguments{
        {"tool_name", cli_name}, {"input", approval.input}, {"tool_use_id", tool_use_id}};
    const ToolCallOutcome outcome = auth_->call_tool("approval_prompt", arguments, tool_use_id);
    const json::value decision = json::parse(outcome.text);
    const auto& object = decision.as_object();
    const auto* behavior = object.if_contains("behavior");
    approval.allowed = behavior && behavior->is_string() && behavior->get_string() == "allow";
    if (const auto* input = object.if_contains("updatedInput"); input && input->is_object())
      approval.input = input->get_object();
    if (const auto* message = object.if_contains("message"); message && message->is_string())
      approval.message = message->get_string();
    if (!approval.allowed && approval.message.empty()) approval.message = "denied";
  } catch (const std::exception& failed) {
    approval.allowed = false;
    approval.message = fmt::format("the permission prompt tool failed: {}", failed.what());
  }
  return approval;
}

ToolCallOutcome FakeCli::call_gateway_tool(std::string_view name, const json::object& input,
                                           std::string_view tool_use_id) {
  try {
    if (gateway_) return gateway_->call_tool(name, input, tool_use_id);
  } catch (const std::exception& failed) {
    return {fmt::format("MCP error: {}", failed.what()), true, now_ns()};
  }
  return {"MCP error: the gateway server is not connected", true, now_ns()};
}

unsigned FakeCli::probe_gateway(bool wrong_secret) {
  if (!gateway_config_) return 0;
  McpServerConfig server = *gateway_config_;
  if (wrong_secret) {
    for (auto& header : server.headers) header.second = "soak-wrong-secret";
  } else {
    server.target.resize(server.target.rfind('/') + 1);
    server.target += "00000000-0000-4000-8000-000000000000";
  }
  McpClient client(io_, std::move(server));
  return client.probe();
}

std::string FakeCli::next_id(std::string_view prefix) {
  return fmt::format("{}{}{:04}", prefix, id_salt_, ++ids_);
}

}  // namespace ccgate::bench
