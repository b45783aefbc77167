#pragma once
// Helpers shared by the libFuzzer targets: properties that abort when violated (so libFuzzer
// saves the input), JSON parsed as the doors parse it, cut points chosen by the fuzzer, and
// validators for the two kinds of stream ccgate writes (Anthropic events, OpenAI chunks).

#include <fuzzer/FuzzedDataProvider.h>

#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/sse.hpp"
#include "translate/ids.hpp"

namespace ccgate::fuzz {

namespace json = boost::json;

// A violated property: say which, and abort so libFuzzer reports it and keeps the input.
[[noreturn]] inline void violated(std::string_view property, std::string_view detail = {}) {
  std::fprintf(stderr, "\n*** property violated: %.*s\n", static_cast<int>(property.size()),
               property.data());
  if (!detail.empty()) {
    std::fprintf(stderr, "*** %.*s\n", static_cast<int>(std::min<std::size_t>(detail.size(), 4000)),
                 detail.data());
  }
  std::abort();
}

inline void require(bool holds, std::string_view property, std::string_view detail = {}) {
  if (!holds) violated(property, detail);
}

// MAX_JSON_DEPTH's default: the depth the doors accept.
inline constexpr std::size_t kMaxJsonDepth = 128;

inline std::optional<json::value> parse_json(std::string_view text,
                                             std::size_t max_depth = kMaxJsonDepth) {
  json::parse_options options;
  options.max_depth = max_depth;
  boost::system::error_code ec;
  json::value value = json::parse(text, ec, {}, options);
  if (ec) return std::nullopt;
  return value;
}

// Equal, but for the last bits of doubles: Boost.JSON 1.81 does not parse every decimal to the
// nearest double (1e41-sized integers come back one unit off).
bool nearly_equal(const json::value& a, const json::value& b);

// Serializing a value and parsing it back gives the same value: whatever ccgate sends is JSON.
inline std::string serialize_checked(const json::value& value, std::string_view what) {
  std::string text = json::serialize(value);
  const auto again = parse_json(text, 100000);
  require(again.has_value(), "serialized output parses as JSON", text);
  require(nearly_equal(*again, value), "serialized output parses back to the same value", what);
  return text;
}

// "msg_1", "toolu_2", …: deterministic ids, so two runs over the same input can be compared.
inline translate::MakeId sequential_ids() {
  return [counter = 0](std::string_view prefix) mutable {
    return std::string(prefix) + std::to_string(++counter);
  };
}

// The input split in two: options and cut points come from the end of the input (the way
// FuzzedDataProvider reads integers), the payload is what is left at the front. The seeds
// for such targets carry a trailer that scripts/fuzz-seeds.mjs appends.
struct Cuts {
  std::vector<std::size_t> sizes;  // piece sizes, in order; the last piece takes the rest

  // Pieces of `bytes` as a socket might deliver them.
  std::vector<std::string_view> apply(std::string_view bytes) const {
    std::vector<std::string_view> pieces;
    for (const std::size_t size : sizes) {
      if (bytes.empty()) break;
      const std::size_t take = std::min(size, bytes.size());
      pieces.push_back(bytes.substr(0, take));
      bytes.remove_prefix(take);
    }
    if (!bytes.empty()) pieces.push_back(bytes);
    return pieces;
  }
};

inline Cuts consume_cuts(FuzzedDataProvider& provider) {
  Cuts cuts;
  const auto count = provider.ConsumeIntegralInRange<std::uint8_t>(0, 24);
  for (std::uint8_t i = 0; i < count; ++i) {
    cuts.sizes.push_back(provider.ConsumeIntegralInRange<std::uint16_t>(0, 600));
  }
  return cuts;
}

// Every event of an SSE text, which must end at an event boundary.
inline std::vector<http::SseEvent> read_sse(std::string_view sse) {
  http::SseReader reader;
  reader.feed(sse);
  std::vector<http::SseEvent> events;
  while (auto event = reader.next()) events.push_back(std::move(*event));
  require(reader.buffered() == 0, "the stream ends at an event boundary", sse);
  require(!reader.finish().has_value(), "nothing follows the last event", sse);
  return events;
}

struct AnthropicStreamSummary {
  bool ended_with_error = false;
  std::size_t tool_use_blocks = 0;
  std::string stop_reason;
  std::string text;      // every text_delta, joined
  std::string thinking;  // every thinking_delta, joined
};

// An Anthropic Messages stream as the SDKs and Claude Code read it: message_start first;
// content blocks strictly one after another, indexed 0, 1, 2 …, each delta of its block's type;
// message_delta once no block is open; then message_stop. An error event ends the stream at any
// point. Each event's data is the compact JSON of an object whose "type" is the event's name.
AnthropicStreamSummary check_anthropic_stream(std::string_view sse);

// An OpenAI Chat Completions stream as the OpenAI SDK reads it: "data:" events only, each a
// chat.completion.chunk (or an error object), then "data: [DONE]" exactly once, last.
// Tool-call deltas name each call once (index, id, name) before its arguments.
// Returns the content deltas, joined.
std::string check_openai_stream(std::string_view sse);

}  // namespace ccgate::fuzz
