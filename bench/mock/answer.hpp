#pragma once
// What the protocol renderers need to know about one answer, and the text they fill it with.

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>

namespace ccgate::bench {

struct Answer {
  std::uint64_t id = 0;
  std::int64_t created = 0;  // Unix seconds
  std::uint64_t prompt_tokens = 0;
  std::uint64_t completion_tokens = 0;
  std::size_t text_bytes = 0;  // non-streaming: the whole text; streaming: each delta's text
  bool include_usage = false;  // OpenAI streaming: a usage chunk before [DONE]
};

// Delta i's text: i as 6 zero-padded digits, then 'x' up to `bytes`. Clients check order with it.
inline void append_delta_text(std::string& out, std::uint64_t index, std::size_t bytes) {
  const auto before = out.size();
  fmt::format_to(std::back_inserter(out), "{:06}", index);
  const auto written = out.size() - before;
  if (bytes > written) out.append(bytes - written, 'x');
}

}  // namespace ccgate::bench
