#pragma once
// The mock's answers in the Anthropic Messages protocol.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mock/answer.hpp"

namespace ccgate::bench::anthropic {

std::string error_body(std::string_view message);
std::string message_body(const Answer& answer);
std::string count_tokens_body(std::size_t request_bytes);

// The events of one streamed answer (`event: <type>\ndata: <json>\n\n`), each rendered into one
// reused buffer: a view stays valid until the next call.
class EventStream {
 public:
  explicit EventStream(const Answer& answer);

  static constexpr std::size_t opening_count() { return 2; }
  std::string_view opening(std::size_t index);
  std::string_view delta(std::uint64_t index);
  static constexpr std::size_t closing_count() { return 3; }
  std::string_view closing(std::size_t index);

 private:
  Answer answer_;
  std::string event_;
};

}  // namespace ccgate::bench::anthropic
