#include "http/sse.hpp"

namespace ccgate::http {

void SseReader::feed(std::string_view bytes) {
  if (consumed_ > 0 && consumed_ * 2 >= buffer_.size()) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  buffer_.append(bytes);
}

bool SseReader::take_line(std::string_view& line) {
  const auto end = buffer_.find('\n', consumed_);
  if (end == std::string::npos) return false;
  line = std::string_view(buffer_).substr(consumed_, end - consumed_);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  consumed_ = end + 1;
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
    consumed_ = buffer_.size();
    if (!rest.empty() && rest.back() == '\r') rest.pop_back();
    apply_line(rest);
  }
  return dispatch();
}

void append_sse_event(std::string& out, std::string_view event, std::string_view data) {
  out.append("event: ").append(event).append("\ndata: ").append(data).append("\n\n");
}

void append_sse_data(std::string& out, std::string_view data) {
  out.append("data: ").append(data).append("\n\n");
}

void append_sse_comment(std::string& out, std::string_view text) {
  out.append(": ").append(text).append("\n\n");
}

}  // namespace ccgate::http
