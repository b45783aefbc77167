#pragma once
// Anthropic stream events on the wire: "event: <name>\ndata: <compact json>\n\n".

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

namespace ccgate::anthropic {

// The object is serialized compactly in its own key order ("type" first, as Anthropic sends it).
void append_event(std::string& out, std::string_view name, const boost::json::object& data);

}  // namespace ccgate::anthropic
