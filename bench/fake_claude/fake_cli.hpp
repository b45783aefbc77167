#pragma once
// The stub CLI's life: connect to ccgate's MCP servers, then answer each user line on stdin
// with one turn (text, or a gateway tool call approved through the auth server) on stdout.

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fake_claude/arguments.hpp"
#include "fake_claude/directive.hpp"
#include "fake_claude/mcp_client.hpp"
#include "fake_claude/transcript.hpp"

namespace ccgate::bench {

class FakeCli {
 public:
  // Connects to the MCP servers at once, as the CLI does at start-up; a server that cannot be
  // reached is reported "failed" in the init line.
  FakeCli(const Arguments& arguments, std::uint64_t started_ns);

  // Answers user lines until stdin ends.
  void run();

 private:
  struct Approval {
    bool allowed = false;
    std::string message;        // why not, when denied
    boost::json::object input;  // the input to run the tool with, when allowed
  };

  // Deltas that open a text message with a fact instead of a timestamp: "<key>=<value>;".
  using Leading = std::vector<std::pair<std::string, std::uint64_t>>;

  void answer(std::string_view line);
  void tool_turn(const Directive& directive, std::size_t input_tokens, TurnTotals& totals);
  void text_message(const Directive& directive, const Leading& leading, std::size_t input_tokens,
                    TurnTotals& totals);
  // One MCP initialize to the gateway server with a wrong secret, or for an unknown session:
  // the HTTP status it got.
  unsigned probe_gateway(bool wrong_secret);
  Approval ask_approval(std::string_view cli_name, std::string_view tool_use_id);
  ToolCallOutcome call_gateway_tool(std::string_view name, const boost::json::object& input,
                                    std::string_view tool_use_id);
  std::string next_id(std::string_view prefix);

  std::uint64_t started_ns_;
  boost::asio::io_context io_;
  std::optional<McpServerConfig> gateway_config_;
  std::optional<McpClient> gateway_;
  std::optional<McpClient> auth_;
  std::optional<Transcript> transcript_;
  std::string id_salt_;  // keeps ids unique across the stubs of one ccgate
  std::uint64_t ids_ = 0;
  bool first_turn_ = true;
};

}  // namespace ccgate::bench
