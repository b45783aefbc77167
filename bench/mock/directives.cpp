#include "mock/directives.hpp"

#include <algorithm>
#include <array>
#include <boost/beast/core/string.hpp>
#include <charconv>
#include <optional>

namespace ccgate::bench {
namespace {

using namespace std::string_view_literals;

enum Key : std::size_t {
  kDelayMs,
  kStatus,
  kChunks,
  kIntervalMs,
  kIntervalUs,
  kChunkBytes,
  kResponseBytes,
  kHold,
  kReset,
  kResetAfter,
  kMalformedAt,
  kHtml,
  kKeyCount
};

struct KeySpec {
  std::string_view name;
  std::uint64_t highest;  // a sanity bound, so that a typo cannot exhaust memory or time
};

constexpr std::array<KeySpec, kKeyCount> kKeys{{
    {"delay_ms", 3'600'000},
    {"status", 599},
    {"chunks", 100'000'000},
    {"interval_ms", 3'600'000},
    {"interval_us", 3'600'000'000},
    {"chunk_bytes", 1 << 20},
    {"response_bytes", 1 << 28},
    {"hold", 1},
    {"reset", 1},
    {"reset_after", 100'000'000},
    {"malformed_at", 100'000'000},
    {"html", 1},
}};

constexpr std::string_view kBodyOpening = "MOCK[";
constexpr std::string_view kHeaderPrefix = "x-mock-";

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The values given so far, by key; later sources overwrite earlier ones.
class RawDirectives {
 public:
  // Returns an error message, or an empty string.
  std::string set(std::string_view key, std::string_view text) {
    key = trim(key);
    text = trim(text);
    for (std::size_t k = 0; k < kKeyCount; ++k) {
      if (!boost::beast::iequals(key, kKeys[k].name)) continue;
      std::uint64_t value = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec != std::errc{} || end != text.data() + text.size() || value > kKeys[k].highest)
        return "bad mock directive value: " + std::string(key) + "=" + std::string(text);
      values_[k] = value;
      return {};
    }
    return "unknown mock directive: " + std::string(key);
  }

  DirectivesOrError resolve() const {
    DirectivesOrError result;
    Directives& d = result.directives;
    if (const auto& v = values_[kDelayMs]) d.delay = std::chrono::milliseconds(*v);
    if (const auto& v = values_[kStatus]) d.status = static_cast<unsigned>(*v);
    if (const auto& v = values_[kChunks]) d.chunks = *v;
    if (const auto& v = values_[kIntervalUs])
      d.interval = std::chrono::microseconds(*v);
    else if (const auto& ms = values_[kIntervalMs])
      d.interval = std::chrono::milliseconds(*ms);
    if (const auto& v = values_[kChunkBytes]) d.chunk_bytes = std::max<std::size_t>(*v, 6);
    if (const auto& v = values_[kResponseBytes]) d.response_bytes = *v;
    if (const auto& v = values_[kHold]) d.hold = *v == 1;
    if (const auto& v = values_[kReset]) d.reset = *v == 1;
    d.reset_after = values_[kResetAfter];
    d.malformed_at = values_[kMalformedAt];
    if (const auto& v = values_[kHtml]) d.html = *v == 1;
    if (d.status < 200) result.error = "bad mock directive value: status below 200";
    return result;
  }

 private:
  std::array<std::optional<std::uint64_t>, kKeyCount> values_;
};

std::string read_headers(const http::Request& request, RawDirectives& raw) {
  for (const auto& field : request) {
    const std::string_view name = field.name_string();
    if (name.size() <= kHeaderPrefix.size() ||
        !boost::beast::iequals(name.substr(0, kHeaderPrefix.size()), kHeaderPrefix))
      continue;
    if (auto error = raw.set(name.substr(kHeaderPrefix.size()), field.value()); !error.empty())
      return error;
  }
  return {};
}

std::string read_body(std::string_view body, RawDirectives& raw) {
  const auto opening = body.find(kBodyOpening);
  if (opening == std::string_view::npos) return {};
  const auto start = opening + kBodyOpening.size();
  const auto closing = body.find(']', start);
  if (closing == std::string_view::npos) return "unterminated MOCK[ directive";
  std::string_view pairs = body.substr(start, closing - start);
  while (!pairs.empty()) {
    const auto separator = pairs.find(';');
    const std::string_view pair = pairs.substr(0, separator);
    pairs = separator == std::string_view::npos ? std::string_view{} : pairs.substr(separator + 1);
    if (trim(pair).empty()) continue;
    const auto equals = pair.find('=');
    if (equals == std::string_view::npos)
      return "mock directive without a value: " + std::string(trim(pair));
    if (auto error = raw.set(pair.substr(0, equals), pair.substr(equals + 1)); !error.empty())
      return error;
  }
  return {};
}

std::string_view skip_json_space(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\n' ||
                           text.front() == '\r'))
    text.remove_prefix(1);
  return text;
}

bool member_is_true(std::string_view body, std::string_view quoted_name) {
  for (auto at = body.find(quoted_name); at != std::string_view::npos;
       at = body.find(quoted_name, at + 1)) {
    std::string_view rest = skip_json_space(body.substr(at + quoted_name.size()));
    if (rest.empty() || rest.front() != ':') continue;  // the name as a value, not a member
    return skip_json_space(rest.substr(1)).starts_with("true");
  }
  return false;
}

}  // namespace

DirectivesOrError read_directives(const http::Request& request) {
  RawDirectives raw;
  if (auto error = read_headers(request, raw); !error.empty()) return {{}, std::move(error)};
  if (auto error = read_body(request.body(), raw); !error.empty()) return {{}, std::move(error)};
  return raw.resolve();
}

bool body_requests_stream(std::string_view body) {
  return member_is_true(body, R"("stream")"sv);
}

bool body_requests_usage(std::string_view body) {
  return member_is_true(body, R"("include_usage")"sv);
}

}  // namespace ccgate::bench
