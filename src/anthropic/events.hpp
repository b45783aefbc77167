#pragma once
// Anthropic stream events on the wire: "event: <name>\ndata: <compact json>\n\n".

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace ccgate::anthropic {

// The object is serialized compactly in its own key order ("type" first, as Anthropic sends it).
void append_event(std::string& out, std::string_view name, const boost::json::object& data);

// A content_block_delta event, written directly: it is the one event sent per upstream delta,
// so it skips building a JSON object. Same bytes as append_event would give:
// {"type":"content_block_delta","index":<index>,"delta":{"type":"<type>","<field>":"<value>"}}
void append_block_delta(std::string& out, std::int64_t index, std::string_view delta_type,
                        std::string_view field, std::string_view value);

// value as a JSON string, quotes included, escaped as Boost.JSON's serializer escapes it.
void append_json_string(std::string& out, std::string_view value);

}  // namespace ccgate::anthropic
