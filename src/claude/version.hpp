#pragma once
// Asking the Claude Code CLI for its version: the cheapest proof that it can start at all.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace ccgate::claude {

namespace asio = boost::asio;

// Runs `<cli> --version` (isolated like a session, in a private temp dir removed afterwards) and
// returns the version, e.g. "2.1.330". Throws std::runtime_error saying why otherwise: it could
// not be started, exited with an error (with its first stderr line), printed no version, or did
// not finish within `timeout`.
asio::awaitable<std::string> cli_version(
    asio::any_io_executor executor, std::filesystem::path cli,
    std::chrono::milliseconds timeout = std::chrono::seconds(10));

// The first "X.Y.Z" in `output`, e.g. "2.1.330" from "2.1.330 (Claude Code)".
std::optional<std::string> parse_version(std::string_view output);

// Numeric, part by part: "2.1.330" is at least "2.1.99". A version that does not parse is not.
bool version_at_least(std::string_view version, std::string_view minimum);

}  // namespace ccgate::claude
