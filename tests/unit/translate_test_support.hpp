#pragma once
// Helpers shared by the translate unit tests.

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "http/sse.hpp"
#include "translate/ids.hpp"

namespace ccgate::translate::testing {

namespace json = boost::json;

inline json::value parse_json(std::string_view text) {
  return json::parse(text);
}

inline json::object parse_object(std::string_view text) {
  return json::parse(text).as_object();
}

// "msg_1", "toolu_1", "toolu_2", …: one counter for all prefixes, so ids are unique and stable.
inline MakeId sequential_ids() {
  return [counter = 0](std::string_view prefix) mutable {
    return std::string(prefix) + std::to_string(++counter);
  };
}

struct Event {
  std::string name;
  json::object data;
};

inline std::vector<Event> parse_events(std::string_view sse) {
  http::SseReader reader;
  reader.feed(sse);
  std::vector<Event> events;
  while (auto event = reader.next()) {
    events.push_back({event->event, json::parse(event->data).as_object()});
  }
  if (reader.buffered() != 0) throw std::runtime_error("stream ends inside an event");
  return events;
}

inline std::string read_fixture(std::string_view name) {
  const auto path = std::filesystem::path(__FILE__).parent_path() / "fixtures" / name;
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("cannot open fixture " + path.string());
  std::ostringstream bytes;
  bytes << file.rdbuf();
  return bytes.str();
}

}  // namespace ccgate::translate::testing
