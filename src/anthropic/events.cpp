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

}  // namespace ccgate::anthropic
