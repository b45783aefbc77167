#include "load/report.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <iterator>

namespace ccgate::bench {

namespace {

constexpr std::string_view kFailureNames[kFailureKinds] = {"connect", "reset", "protocol",
                                                           "timeout"};

double micros(std::uint64_t ns) {
  return static_cast<double>(ns) / 1000.0;
}

void append_summary(fmt::memory_buffer& out, const Histogram& histogram) {
  fmt::format_to(std::back_inserter(out),
                 R"({{"n":{},"min":{:.1f},"mean":{:.1f},"p50":{:.1f},"p90":{:.1f},"p99":{:.1f},)"
                 R"("p999":{:.1f},"max":{:.1f}}})",
                 histogram.count(), micros(histogram.min()), histogram.mean() / 1000.0,
                 micros(histogram.quantile(0.50)), micros(histogram.quantile(0.90)),
                 micros(histogram.quantile(0.99)), micros(histogram.quantile(0.999)),
                 micros(histogram.max()));
}

void append_json_string(fmt::memory_buffer& out, std::string_view text) {
  out.push_back('"');
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(c));
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

void append_errors(fmt::memory_buffer& out, const ErrorCounts& errors) {
  out.push_back('{');
  const char* separator = "";
  for (std::size_t kind = 0; kind < kFailureKinds; ++kind) {
    if (errors.failures[kind] == 0) continue;
    fmt::format_to(std::back_inserter(out), R"({}"{}":{})", separator, kFailureNames[kind],
                   errors.failures[kind]);
    separator = ",";
  }
  for (const auto& [status, count] : errors.statuses) {
    fmt::format_to(std::back_inserter(out), R"({}"status_{}":{})", separator, status, count);
    separator = ",";
  }
  out.push_back('}');
}

void append_sse(fmt::memory_buffer& out, const SseTotals& sse) {
  const auto append = [&](std::string_view text) { out.append(text); };
  append(R"(,"sse":{"ttfb_us":)");
  append_summary(out, sse.ttfb_ns);
  append(R"(,"ttft_us":)");
  append_summary(out, sse.ttft_ns);
  append(R"(,"gap_us":)");
  append_summary(out, sse.gap_ns);
  const double events_per_read =
      sse.reads_with_content == 0
          ? 0.0
          : static_cast<double>(sse.content_in_those_reads) / sse.reads_with_content;
  fmt::format_to(std::back_inserter(out),
                 R"(,"content_events":{},"streams":{},"lost_streams":{},"order_violations":{},)"
                 R"("missing_terminator":{},"keepalives":{},"events_per_read_mean":{:.3f},)"
                 R"("reads_with_multiple_events":{}}})",
                 sse.content_events, sse.streams, sse.lost_streams, sse.order_violations,
                 sse.missing_terminator, sse.keepalives, events_per_read, sse.reads_with_several);
}

}  // namespace

std::string render_report(const Options& options, const Stats& stats, const RunSummary& summary) {
  fmt::memory_buffer out;
  const auto append = [&](std::string_view text) { out.append(text); };
  append(R"({"mode":")");
  append(mode_name(options.mode));
  append(R"(","url":)");
  append_json_string(out, options.url);
  const double rps = summary.elapsed_s > 0 ? static_cast<double>(stats.ok) / summary.elapsed_s : 0;
  fmt::format_to(std::back_inserter(out), R"(,"concurrency":{},"rate":{},"ok":{},"errors":)",
                 options.concurrency, options.rate, stats.ok);
  append_errors(out, stats.errors);
  fmt::format_to(std::back_inserter(out), R"(,"elapsed_s":{:.3f},"rps":{:.1f})", summary.elapsed_s,
                 rps);
  if (summary.unsent) fmt::format_to(std::back_inserter(out), R"(,"unsent":{})", *summary.unsent);
  fmt::format_to(std::back_inserter(out), R"(,"connections_opened":{},"latency_us":)",
                 summary.connections_opened);
  append_summary(out, stats.latency_ns);
  if (options.sse) append_sse(out, stats.sse);
  out.push_back('}');
  return fmt::to_string(out);
}

std::string render_held_line(std::uint64_t held, std::uint64_t failed) {
  return fmt::format(R"({{"held":{},"failed":{}}})", held, failed);
}

void print_line(std::string_view line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

}  // namespace ccgate::bench
