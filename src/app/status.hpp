#pragma once
// The status page (GET /status) and its data (GET /status.json): what ccgate is doing now, for
// an operator's browser. StatusBoard keeps the recent past of the requests, filled from each
// request's log line and shared by every event loop; its memory is fixed (rings), whatever the
// traffic. The page shows no key: providers' keys and header values are masked, client keys are
// only "set" or "not set".

#include <array>
#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "app/config.hpp"
#include "gateway/session_manager.hpp"
#include "routing/live.hpp"

namespace ccgate::app {

// One finished request, without its bodies.
struct RequestRecord {
  std::chrono::system_clock::time_point ended;
  std::string id;
  std::string method;
  std::string path;
  int status = 0;  // 499: the client left before the response began
  std::chrono::milliseconds duration{};
  std::chrono::milliseconds ttfb{};
  std::string summary;  // the door's words: "model → provider/target in=… out=…"
  bool client_left = false;
};

class StatusBoard {
 public:
  static constexpr std::size_t kRecent = 100;            // requests listed
  static constexpr std::size_t kLatencySamples = 1'000;  // percentiles of the last N requests
  static constexpr std::size_t kSeconds = 30 * 60;       // per-second counts kept: 30 minutes
  // A record's text is cut to these (valid UTF-8, "…" at a cut).
  static constexpr std::size_t kMaxIdBytes = 64;  // also the method
  static constexpr std::size_t kMaxPathBytes = 256;
  static constexpr std::size_t kMaxSummaryBytes = 512;
  using Clock = std::chrono::steady_clock;

  explicit StatusBoard(Clock::time_point started = Clock::now()) : started_(started) {}

  // Any thread: one short critical section (the record's strings are moved, not copied, and the
  // one it replaces is freed after the lock).
  void record(RequestRecord request, Clock::time_point now = Clock::now());
  // The rates, latencies and recent requests (see status.json in the README).
  boost::json::object snapshot(Clock::time_point now = Clock::now()) const;

 private:
  struct Second {
    std::int64_t second = -1;  // since started_; -1: unused
    std::uint32_t requests = 0;
    std::uint32_t client_errors = 0;  // 4xx (499 included: the client left)
    std::uint32_t server_errors = 0;  // 5xx
  };
  std::int64_t second_of(Clock::time_point now) const;

  const Clock::time_point started_;
  mutable std::mutex mutex_;
  std::vector<RequestRecord> recent_;  // a ring of kRecent, next_recent_ the oldest once full
  std::size_t next_recent_ = 0;
  std::array<std::uint32_t, kLatencySamples> latencies_ms_{};
  std::size_t latency_count_ = 0;
  std::array<Second, kSeconds> seconds_{};
  std::uint64_t total_ = 0;
  std::uint64_t total_client_errors_ = 0;
  std::uint64_t total_server_errors_ = 0;
};

// Whether a request to `path` is recorded on the board: not the monitoring endpoints (the page
// polls every 2 s and would fill the list with itself), nor the MCP calls of ccgate's own Claude
// Code processes (internal; most of the rows of a tool round trip, and their expected 405s would
// count as errors).
bool recorded_on_status_board(std::string_view path);

// A provider as /health and /status show it: never a key, only how many and how they fare.
boost::json::object provider_health(const routing::LiveCatalog& live, std::size_t index);

// The configuration in force, every secret masked: client keys "set"/"not set", provider keys
// counted, provider header values "••••", URLs without credentials or query.
boost::json::object masked_config(const Config& config, const routing::Catalog& catalog);

// The gateway's live sessions, oldest first.
boost::json::object sessions_report(const std::vector<gateway::SessionView>& sessions,
                                    std::size_t max_sessions);

// /status.json: the board's snapshot, with uptime, version, providers, sessions and config.
boost::json::object status_report(const StatusBoard& board, const Config& config,
                                  const routing::LiveCatalog& live,
                                  const std::vector<gateway::SessionView>& sessions,
                                  std::chrono::seconds uptime);

// The page itself (src/app/status_page.html, embedded at build time).
std::string_view status_page_html();
// Its Content-Security-Policy: only its own inline script and style run (by their SHA-256), and
// it reaches nothing but ccgate.
std::string_view status_page_csp();

}  // namespace ccgate::app
