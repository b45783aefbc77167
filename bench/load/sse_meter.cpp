#include "load/sse_meter.hpp"

#include <algorithm>
#include <optional>

namespace ccgate::bench {

namespace {

constexpr std::size_t kSequenceDigits = 6;

std::string_view trim_end(std::string_view text) {
  while (!text.empty() && (text.back() == '\r' || text.back() == ' ' || text.back() == '\n'))
    text.remove_suffix(1);
  return text;
}

// A field's value: the text after "name:", less one leading space (the SSE rule).
std::string_view field_value(std::string_view rest) {
  if (rest.starts_with(' ')) rest.remove_prefix(1);
  return rest;
}

std::string_view skip_spaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  return text;
}

// The raw text of the JSON string value of the first `key` (quoted) at or after `from`, or
// nothing when that key is absent or its value is not a string.
std::optional<std::string_view> string_value(std::string_view json, std::string_view key,
                                             std::size_t from) {
  const auto at = json.find(key, from);
  if (at == std::string_view::npos) return std::nullopt;
  auto rest = skip_spaces(json.substr(at + key.size()));
  if (!rest.starts_with(':')) return std::nullopt;
  rest = skip_spaces(rest.substr(1));
  if (!rest.starts_with('"')) return std::nullopt;
  rest.remove_prefix(1);
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '\\')
      ++i;
    else if (rest[i] == '"')
      return rest.substr(0, i);
  }
  return rest;  // cut short; the beginning is all that is looked at
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// The text of a content delta, or nothing when the event is not one.
std::optional<std::string_view> content_text(std::string_view name, std::string_view data) {
  const auto delta = data.find("\"delta\"");
  if (name == "content_block_delta" || contains(data, "\"content_block_delta\"")) {
    if (!contains(data, "\"text_delta\"")) return std::nullopt;
    const auto from = delta == std::string_view::npos ? 0 : delta;
    return string_value(data, "\"text\"", from).value_or(std::string_view{});
  }
  if (delta == std::string_view::npos) return std::nullopt;
  const auto text = string_value(data, "\"content\"", delta);
  if (!text || text->empty()) return std::nullopt;
  return text;
}

bool is_terminator(std::string_view name, std::string_view data) {
  return name == "message_stop" || data == "[DONE]" ||
         data.starts_with(R"({"type":"message_stop")");
}

std::optional<std::uint64_t> sequence_number(std::string_view text) {
  if (text.size() < kSequenceDigits) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : text.substr(0, kSequenceDigits)) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

}  // namespace

void SseMeter::start() {
  stream_ = {};
  pending_.clear();
  content_in_read_ = 0;
  next_sequence_ = 0;
}

void SseMeter::feed(std::string_view body, std::uint64_t read_ns, Histogram& gaps) {
  if (pending_.empty()) {
    const auto used = split_events(body, read_ns, gaps);
    pending_.assign(body.substr(used));
    return;
  }
  pending_.append(body);
  const auto used = split_events(pending_, read_ns, gaps);
  pending_.erase(0, used);
}

void SseMeter::end_read() {
  if (content_in_read_ == 0) return;
  ++stream_.reads_with_content;
  stream_.content_in_those_reads += content_in_read_;
  if (content_in_read_ > 1) ++stream_.reads_with_several;
  content_in_read_ = 0;
}

// Hands every complete event of text to on_event; returns the bytes used.
std::size_t SseMeter::split_events(std::string_view text, std::uint64_t read_ns, Histogram& gaps) {
  std::size_t used = 0;
  std::size_t search = 0;
  while (true) {
    const auto newline = text.find('\n', search);
    if (newline == std::string_view::npos) break;
    const auto after = text.substr(newline + 1);
    std::size_t separator = 0;  // bytes of the blank line ending the event
    if (after.starts_with('\n'))
      separator = 2;
    else if (after.starts_with("\r\n"))
      separator = 3;
    else if (after.empty() || after == "\r")
      break;  // the next read tells whether this line ends the event
    if (separator == 0) {
      search = newline + 1;
      continue;
    }
    on_event(text.substr(used, newline - used), read_ns, gaps);
    used = newline + separator;
    search = used;
  }
  return used;
}

void SseMeter::on_event(std::string_view event, std::uint64_t read_ns, Histogram& gaps) {
  std::string_view name;
  std::string_view data;
  bool data_seen = false;
  std::string_view rest = event;
  while (!rest.empty()) {
    const auto newline = std::min(rest.find('\n'), rest.size());
    auto line = rest.substr(0, newline);
    rest.remove_prefix(std::min(newline + 1, rest.size()));
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.front() == ':') {
      ++stream_.keepalives;
    } else if (line.starts_with("event:")) {
      name = trim_end(field_value(line.substr(6)));
    } else if (line.starts_with("data:") && !data_seen) {
      // Several data lines make one value; searching from the first to the event's end is enough.
      const auto value = field_value(line.substr(5));
      const auto event_end = event.data() + event.size();
      data = std::string_view(value.data(), static_cast<std::size_t>(event_end - value.data()));
      data_seen = true;
    }
  }
  data = trim_end(data);
  if (name == "ping") {
    ++stream_.keepalives;
    return;
  }
  if (is_terminator(name, data)) {
    stream_.terminator_seen = true;
    return;
  }
  if (const auto text = content_text(name, data)) on_content(*text, read_ns, gaps);
}

void SseMeter::on_content(std::string_view text, std::uint64_t read_ns, Histogram& gaps) {
  ++stream_.content_events;
  ++content_in_read_;
  if (stream_.content_events == 1)
    stream_.first_content_ns = read_ns;
  else
    gaps.record(read_ns - stream_.last_content_ns);
  stream_.last_content_ns = read_ns;

  if (const auto sequence = sequence_number(text)) {
    if (*sequence != next_sequence_) ++stream_.order_violations;
    next_sequence_ = *sequence + 1;
  }
}

}  // namespace ccgate::bench
