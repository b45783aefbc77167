#pragma once
// What one phase of the gateway benchmark measured, and its JSON report.

#include <cstdint>
#include <map>
#include <string>

#include "common/histogram.hpp"
#include "gateway_client/options.hpp"

namespace ccgate::bench {

struct Metrics {
  std::uint64_t ok = 0;
  std::uint64_t lost = 0;  // turn: streams with the wrong number of content deltas
  std::map<std::string, std::uint64_t> errors;
  Histogram line_to_client;
  Histogram ttft;
  Histogram turn;
  Histogram mcp_round_trip;
  Histogram tool_call;
  Histogram tool_result;

  void error(const std::string& kind) { ++errors[kind]; }
  std::uint64_t failed() const;
};

// {"n":…,"min":…,"mean":…,"p50":…,"p90":…,"p99":…,"p999":…,"max":…} in microseconds.
std::string summary_json(const Histogram& histogram);

// The final line: {"mode":…,"sessions":…,"ok":…,"errors":{…},"elapsed_s":…,<summaries>,"lost":…}
std::string report_json(const Options& options, const Metrics& metrics, double elapsed_s);

}  // namespace ccgate::bench
