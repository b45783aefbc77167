#include "anthropic/events.hpp"

#include <boost/json/serializer.hpp>

namespace ccgate::anthropic {

void append_event(std::string& out, std::string_view name, const boost::json::object& data) {
  out.append("event: ").append(name).append("\ndata: ");
  boost::json::serializer serializer;
  serializer.reset(&data);
  char piece[1024];
  while (!serializer.done()) {
    const auto written = serializer.read(piece);
    out.append(written.data(), written.size());
  }
  out.append("\n\n");
}

void append_json_string(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t clean = 0;  // start of the run of bytes that need no escape
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto byte = static_cast<unsigned char>(value[i]);
    if (byte >= 0x20 && byte != '"' && byte != '\\') continue;
    out.append(value.substr(clean, i - clean));
    clean = i + 1;
    switch (byte) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        out.append("\\u00");
        out.push_back(kHex[byte >> 4]);
        out.push_back(kHex[byte & 0xf]);
    }
  }
  out.append(value.substr(clean));
  out.push_back('"');
}

void append_block_delta(std::string& out, std::int64_t index, std::string_view delta_type,
                        std::string_view field, std::string_view value) {
  out.append(R"(event: content_block_delta
data: {"type":"content_block_delta","index":)");
  out.append(std::to_string(index));
  out.append(R"(,"delta":{"type":")").append(delta_type).append(R"(",")").append(field);
  out.append(R"(":)");
  append_json_string(out, value);
  out.append("}}\n\n");
}

}  // namespace ccgate::anthropic
