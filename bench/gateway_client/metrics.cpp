#include "gateway_client/metrics.hpp"

#include <fmt/format.h>

#include <iterator>

namespace ccgate::bench {

namespace {

double microseconds(double ns) {
  return ns / 1000.0;
}

}  // namespace

std::uint64_t Metrics::failed() const {
  std::uint64_t total = lost;
  for (const auto& [kind, count] : errors) total += count;
  return total;
}

std::string summary_json(const Histogram& histogram) {
  auto us = [&](double q) { return microseconds(static_cast<double>(histogram.quantile(q))); };
  return fmt::format(
      R"({{"n":{},"min":{:.1f},"mean":{:.1f},"p50":{:.1f},"p90":{:.1f},"p99":{:.1f},)"
      R"("p999":{:.1f},"max":{:.1f}}})",
      histogram.count(), microseconds(static_cast<double>(histogram.min())),
      microseconds(histogram.mean()), us(0.5), us(0.9), us(0.99), us(0.999),
      microseconds(static_cast<double>(histogram.max())));
}

std::string report_json(const Options& options, const Metrics& metrics, double elapsed_s) {
  std::string out = fmt::format(R"({{"mode":"{}","sessions":{},"ok":{},"errors":{{)",
                                mode_name(options.mode), options.sessions, metrics.ok);
  bool first = true;
  for (const auto& [kind, count] : metrics.errors) {
    fmt::format_to(std::back_inserter(out), R"({}"{}":{})", first ? "" : ",", kind, count);
    first = false;
  }
  fmt::format_to(std::back_inserter(out), R"(}},"elapsed_s":{:.3f})", elapsed_s);
  auto add = [&](std::string_view name, const Histogram& histogram) {
    fmt::format_to(std::back_inserter(out), R"(,"{}":{})", name, summary_json(histogram));
  };
  switch (options.mode) {
    case Mode::turn:
      add("line_to_client_us", metrics.line_to_client);
      add("ttft_us", metrics.ttft);
      add("turn_us", metrics.turn);
      break;
    case Mode::tool:
      add("mcp_round_trip_us", metrics.mcp_round_trip);
      add("tool_call_us", metrics.tool_call);
      add("tool_result_us", metrics.tool_result);
      break;
    case Mode::idle:
      add("turn_us", metrics.turn);
      break;
  }
  fmt::format_to(std::back_inserter(out), R"(,"lost":{}}})", metrics.lost);
  return out;
}

}  // namespace ccgate::bench
