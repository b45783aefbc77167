// http::SseReader alone, on any bytes an upstream may send, split where the fuzzer chooses (the
// trailer at the end of the input, see fuzz_support.hpp); and the SSE writers.
//
// Properties, besides ASan/UBSan: the events are the same however the bytes are split; after
// the complete events are taken, only the unfinished last line stays buffered; every event
// written with append_sse_event/append_sse_data reads back as itself; a comment is never read
// as an event.

#include "fuzz_support.hpp"
#include "http/sse.hpp"

namespace {

using ccgate::fuzz::require;
using ccgate::http::SseEvent;
using ccgate::http::SseReader;

bool same(const SseEvent& a, const SseEvent& b) {
  return a.event == b.event && a.data == b.data;
}

bool same(const std::vector<SseEvent>& a, const std::vector<SseEvent>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!same(a[i], b[i])) return false;
  }
  return true;
}

std::vector<SseEvent> read_all(const std::vector<std::string_view>& pieces) {
  SseReader reader;
  std::vector<SseEvent> events;
  std::size_t since_newline = 0;  // bytes after the last '\n' fed so far
  for (const auto piece : pieces) {
    reader.feed(piece);
    const auto newline = piece.rfind('\n');
    since_newline = newline == std::string_view::npos ? since_newline + piece.size()
                                                      : piece.size() - newline - 1;
    while (auto event = reader.next()) events.push_back(std::move(*event));
    require(reader.buffered() == since_newline,
            "after the complete events, only the unfinished line stays buffered");
  }
  if (auto last = reader.finish()) events.push_back(std::move(*last));
  require(!reader.finish().has_value(), "finish() gives the last event once");
  return events;
}

// Our writers put only JSON in data (no bare '\r'); an event name never holds a line break.
bool writable(const SseEvent& event) {
  return event.event.find_first_of("\r\n") == std::string::npos &&
         event.data.find('\r') == std::string::npos;
}

void check_round_trip(const SseEvent& event) {
  std::string out;
  if (event.event.empty()) {
    ccgate::http::append_sse_data(out, event.data);
  } else {
    ccgate::http::append_sse_event(out, event.event, event.data);
  }
  SseReader reader;
  reader.feed(out);
  const auto again = reader.next();
  require(again && same(*again, event), "a written event reads back as itself", out);
  require(!reader.next() && reader.buffered() == 0, "a written event is one event", out);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider provider(data, size);
  const auto cuts = ccgate::fuzz::consume_cuts(provider);
  const std::string bytes = provider.ConsumeRemainingBytesAsString();

  const auto whole = read_all({bytes});
  require(same(read_all(cuts.apply(bytes)), whole), "the events are the same however split");

  for (const auto& event : whole) {
    if (writable(event)) check_round_trip(event);
  }

  std::string comment;
  ccgate::http::append_sse_comment(comment, bytes);
  SseReader reader;
  reader.feed(comment);
  require(!reader.next() && !reader.finish(), "a comment is never an event", comment);
  return 0;
}
