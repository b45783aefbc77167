#include "app/log_format.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include <array>
#include <ctime>

#include "translate/text.hpp"

namespace ccgate::app {
namespace {

// Marks a request line among spdlog's messages: the JSON formatter writes its payload as fields
// instead of as a message. Compared by address, so no message can pass for one.
constexpr char kRequestLineMarker[] = "ccgate request line";

void append_escaped_byte(std::string& out, unsigned char c) {
  switch (c) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    default:
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(c));
  }
}

void member(std::string& out, std::string_view name, std::string_view value) {
  if (value.empty()) return;
  if (!out.empty()) out += ',';
  append_json_string(out, name);
  out += ':';
  append_json_string(out, value);
}

void member(std::string& out, std::string_view name, std::optional<std::int64_t> value) {
  if (!value) return;
  if (!out.empty()) out += ',';
  append_json_string(out, name);
  fmt::format_to(std::back_inserter(out), ":{}", *value);
}

std::optional<std::int64_t> count_of(std::optional<std::chrono::milliseconds> duration) {
  if (!duration) return std::nullopt;
  return duration->count();
}

// "model → target via route (passed over …) session s finish in=1 out=2", or the parts there are.

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line = R"({"time":")";
    const auto time = std::chrono::time_point_cast<std::chrono::milliseconds>(msg.time);
    const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    fmt::format_to(std::back_inserter(line), "{:%Y-%m-%dT%H:%M:%S}.{:03}Z\",\"level\":", utc,
                   time.time_since_epoch().count() % 1000);
    const auto level = spdlog::level::to_string_view(msg.level);
    append_json_string(line, std::string_view(level.data(), level.size()));
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    if (msg.source.filename == kRequestLineMarker) {
      if (!payload.empty()) line += ',';
      line += payload;
    } else {
      line += R"(,"message":)";
      append_json_string(line, payload);
    }
    line += "}\n";
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

std::string text_summary(const http::RequestLog& log) {
  std::string out;
  const auto add = [&out](std::string_view text) {
    if (!out.empty()) out += ' ';
    out += text;
  };
  if (!log.mcp.empty()) add(fmt::format("mcp {}", log.mcp));
  if (!log.model.empty() || !log.target.empty()) add(fmt::format("{} → {}", log.model, log.target));
  if (!log.route.empty()) add(fmt::format("via {}", log.route));
  if (!log.passed_over.empty()) add(fmt::format("(passed over {})", log.passed_over));
  if (!log.session.empty()) add(fmt::format("session {}", log.session));
  if (!log.finish.empty()) add(log.finish);
  if (log.tokens_in || log.tokens_out)
    add(fmt::format("in={} out={}", log.tokens_in.value_or(0), log.tokens_out.value_or(0)));
  if (log.estimate) add(fmt::format("estimate={}", *log.estimate));
  return out;
}

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  while (!text.empty()) {
    const auto c = static_cast<unsigned char>(text.front());
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
      text.remove_prefix(1);
    } else if (c < 0x80) {
      append_escaped_byte(out, c);
      text.remove_prefix(1);
    } else if (const std::size_t size = translate::utf8_sequence_length(text)) {
      out.append(text.substr(0, size));
      text.remove_prefix(size);
    } else {
      out += "\\ufffd";
      text.remove_prefix(1);
    }
  }
  out += '"';
}

std::string text_line(const RequestLine& line) {
  std::string out = fmt::format("{} {} {} {}", line.id, line.method.empty() ? "-" : line.method,
                                line.path, line.status);
  const std::string summary = line.details ? text_summary(*line.details) : std::string();
  if (!summary.empty()) fmt::format_to(std::back_inserter(out), " {}", summary);
  if (!line.error.empty()) fmt::format_to(std::back_inserter(out), " {}", line.error);
  if (line.duration) fmt::format_to(std::back_inserter(out), " {}ms", line.duration->count());
  if (line.ttfb) fmt::format_to(std::back_inserter(out), " ttfb={}ms", line.ttfb->count());
  if (line.client_left) out += " (client left)";
  return out;
}

std::string json_members(const RequestLine& line) {
  std::string out;
  member(out, "id", line.id);
  member(out, "method", line.method);
  member(out, "path", line.path);
  member(out, "status", line.status);
  member(out, "duration_ms", count_of(line.duration));
  member(out, "ttfb_ms", count_of(line.ttfb));
  if (const http::RequestLog* log = line.details) {
    member(out, "model", log->model);
    member(out, "target", log->target);
    member(out, "route", log->route);
    member(out, "passed_over", log->passed_over);
    member(out, "session", log->session);
    member(out, "finish", log->finish);
    member(out, "tokens_in", log->tokens_in);
    member(out, "tokens_out", log->tokens_out);
    member(out, "estimate_tokens", log->estimate);
    member(out, "mcp", log->mcp);
  }
  member(out, "error", line.error);
  if (line.client_left) out += R"(,"client_left":true)";
  return out;
}

void log_request(const RequestLine& line, LogFormat format) {
  auto* logger = spdlog::default_logger_raw();
  if (!logger->should_log(spdlog::level::info)) return;
  if (format == LogFormat::json)
    logger->log(spdlog::source_loc{kRequestLineMarker, 1, ""}, spdlog::level::info, "{}",
                json_members(line));
  else
    logger->info("{}", text_line(line));
}

std::unique_ptr<spdlog::formatter> make_formatter(LogFormat format) {
  if (format == LogFormat::json) return std::make_unique<JsonFormatter>();
  return std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
}

}  // namespace ccgate::app
