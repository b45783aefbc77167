#include "http/sse.hpp"

#include <string>

namespace ccgate::http {

namespace {

// A buffer that once held a long line gives its memory back when it is mostly empty again.
constexpr std::size_t kKeptCapacity = 64 * 1024;

[[noreturn]] void too_long(std::string_view what, std::size_t limit) {
  throw SseTooLong(std::string(what) + " longer than " + std::to_string(limit) + " bytes");
}

}  // namespace

void SseReader::feed(std::string_view bytes) {
  if (consumed_ > 0 && consumed_ * 2 >= buffer_.size()) {
    buffer_.erase(0, consumed_);
    scanned_ -= consumed_;
    consumed_ = 0;
    if (buffer_.capacity() > kKeptCapacity && buffer_.size() < kKeptCapacity / 2)
      buffer_.shrink_to_fit();
  }
  buffer_.append(bytes);
}

// Searches only the bytes no earlier call has searched: a long line arriving in small pieces
// costs one pass, not one pass per piece.
bool SseReader::take_line(std::string_view& line) {
  const auto end = buffer_.find('\n', scanned_);
  if (end == std::string::npos) {
    scanned_ = buffer_.size();
    // (+ 1: the line's '\r' may be here while its '\n' is still on the way)
    if (scanned_ - consumed_ > max_line_size_ + 1) too_long("an SSE line", max_line_size_);
    return false;
  }
  line = std::string_view(buffer_).substr(consumed_, end - consumed_);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.size() > max_line_size_) too_long("an SSE line", max_line_size_);
  consumed_ = scanned_ = end + 1;
  return true;
}

bool SseReader::apply_line(std::string_view line) {
  if (line.empty()) return true;
  if (line.front() == ':') return false;
  const auto colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (data_.size() + value.size() + (has_data_ ? 1 : 0) > max_line_size_)
      too_long("an SSE event's data", max_line_size_);
    if (has_data_) data_.push_back('\n');
    data_.append(value);
    has_data_ = true;
  } else if (field == "event") {
    event_.assign(value);
  }
  return false;
}

std::optional<SseEvent> SseReader::dispatch() {
  if (!has_data_) {
    event_.clear();
    return std::nullopt;
  }
  SseEvent out{std::move(event_), std::move(data_)};
  event_.clear();
  data_.clear();
  has_data_ = false;
  return out;
}

std::optional<SseEvent> SseReader::next() {
  std::string_view line;
  while (take_line(line)) {
    if (apply_line(line)) {
      if (auto event = dispatch()) return event;
    }
  }
  return std::nullopt;
}

std::optional<SseEvent> SseReader::finish() {
  if (auto event = next()) return event;
  if (consumed_ < buffer_.size()) {
    std::string rest = buffer_.substr(consumed_);
    consumed_ = scanned_ = buffer_.size();
    if (!rest.empty() && rest.back() == '\r') rest.pop_back();
    if (rest.size() > max_line_size_) too_long("an SSE line", max_line_size_);
    apply_line(rest);
  }
  return dispatch();
}

namespace {

// Every line of a multi-line value gets its own prefix; otherwise the lines after the first
// would be read as other fields (or as an injected event).
void append_prefixed_lines(std::string& out, std::string_view prefix, std::string_view value) {
  for (;;) {
    const auto end = value.find('\n');
    out.append(prefix).append(value.substr(0, end)).push_back('\n');
    if (end == std::string_view::npos) return;
    value.remove_prefix(end + 1);
  }
}

}  // namespace

void append_sse_event(std::string& out, std::string_view event, std::string_view data) {
  out.append("event: ").append(event).push_back('\n');
  append_sse_data(out, data);
}

void append_sse_data(std::string& out, std::string_view data) {
  append_prefixed_lines(out, "data: ", data);
  out.push_back('\n');
}

void append_sse_comment(std::string& out, std::string_view text) {
  append_prefixed_lines(out, ": ", text);
  out.push_back('\n');
}

}  // namespace ccgate::http
