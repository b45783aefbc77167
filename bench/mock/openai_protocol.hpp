#pragma once
// The mock's answers in the OpenAI Chat Completions protocol.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mock/answer.hpp"

namespace ccgate::bench::openai {

std::string error_body(std::string_view message);
std::string completion_body(const Answer& answer);

// The events of one streamed answer (`data: <chunk>\n\n`), each rendered into one reused buffer:
// a view stays valid until the next call.
class EventStream {
 public:
  explicit EventStream(const Answer& answer);

  static constexpr std::size_t opening_count() { return 1; }
  std::string_view opening(std::size_t index);
  std::string_view delta(std::uint64_t index);
  std::size_t closing_count() const { return answer_.include_usage ? 3 : 2; }
  std::string_view closing(std::size_t index);

 private:
  Answer answer_;
  std::string head_;  // every chunk's members before "choices"
  std::string event_;
};

}  // namespace ccgate::bench::openai
