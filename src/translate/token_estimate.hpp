#pragma once
// count_tokens: an estimate of everything the model will read — system, every block of every
// message (text, thinking, tool_use inputs, tool_result contents, documents), images at a
// fixed cost, and the tool definitions. Pure.

#include <boost/json/value.hpp>
#include <cstdint>

namespace ccgate::translate {

std::int64_t estimate_input_tokens(const boost::json::value& anthropic_request);

}  // namespace ccgate::translate
