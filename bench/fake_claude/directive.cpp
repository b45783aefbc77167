#include "fake_claude/directive.hpp"

#include <charconv>

namespace ccgate::bench {
namespace {

template <typename Number>
void read_number(std::string_view value, Number& out) {
  Number parsed{};
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), parsed);
  if (error == std::errc{} && end == value.data() + value.size()) out = parsed;
}

template <typename Number>
void read_number(std::string_view value, std::optional<Number>& out) {
  Number parsed{};
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), parsed);
  if (error == std::errc{} && end == value.data() + value.size()) out = parsed;
}

void apply(std::string_view key, std::string_view value, Directive& directive) {
  if (key == "lines") read_number(value, directive.lines);
  if (key == "interval_us") read_number(value, directive.interval_us);
  if (key == "chunk_bytes") read_number(value, directive.chunk_bytes);
  if (key == "startup_ms") read_number(value, directive.startup_ms);
  if (key == "tool") directive.tool = std::string(value);
  if (key == "crash_after") read_number(value, directive.crash_after);
  if (key == "hang_after") read_number(value, directive.hang_after);
  if (key == "garbage") read_number(value, directive.garbage);
  if (key == "probe_mcp") directive.probe_mcp = value == "1";
  if (key == "tag") read_number(value, directive.tag);
}

}  // namespace

Directive parse_directive(std::string_view text) {
  Directive directive;
  constexpr std::string_view kOpen = "FAKE[";
  const auto open = text.rfind(kOpen);
  if (open == std::string_view::npos) return directive;
  const auto close = text.find(']', open);
  if (close == std::string_view::npos) return directive;
  std::string_view pairs = text.substr(open + kOpen.size(), close - open - kOpen.size());
  while (!pairs.empty()) {
    const auto separator = pairs.find(';');
    const std::string_view pair = pairs.substr(0, separator);
    pairs = separator == std::string_view::npos ? std::string_view{} : pairs.substr(separator + 1);
    const auto equals = pair.find('=');
    if (equals != std::string_view::npos)
      apply(pair.substr(0, equals), pair.substr(equals + 1), directive);
  }
  return directive;
}

}  // namespace ccgate::bench
