#include "gateway_client/chat_stream.hpp"

#include <charconv>

namespace ccgate::bench {

namespace {

// Where the event that starts at `from` ends, and the length of the blank line ending it.
std::pair<std::size_t, std::size_t> event_end(std::string_view text, std::size_t from) {
  const auto lf = text.find("\n\n", from);
  const auto crlf = text.find("\r\n\r\n", from);
  if (crlf != std::string_view::npos && (lf == std::string_view::npos || crlf < lf))
    return {crlf, 4};
  return {lf, 2};
}

}  // namespace

std::optional<std::uint64_t> stamped_number(std::string_view text, std::string_view key) {
  const auto at = text.find(key);
  if (at == std::string_view::npos || at + key.size() >= text.size() ||
      text[at + key.size()] != '=')
    return std::nullopt;
  const char* begin = text.data() + at + key.size() + 1;
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(begin, text.data() + text.size(), value);
  if (error != std::errc{} || end == begin) return std::nullopt;
  return value;
}

void ChatStreamScanner::reset() {
  pending_.clear();
  content_deltas_ = 0;
  first_content_ns_.reset();
  done_seen_ = false;
  error_seen_ = false;
  line_to_client_ns_.clear();
}

void ChatStreamScanner::feed(std::string_view bytes, std::uint64_t read_ns) {
  pending_.append(bytes);
  std::size_t begin = 0;
  for (;;) {
    const auto [end, separator] = event_end(pending_, begin);
    if (end == std::string_view::npos) break;
    on_event(std::string_view(pending_).substr(begin, end - begin), read_ns);
    begin = end + separator;
  }
  pending_.erase(0, begin);
}

void ChatStreamScanner::on_event(std::string_view event, std::uint64_t read_ns) {
  if (!event.starts_with("data:")) return;  // comments (keep-alives) and other fields
  if (event.find("[DONE]") != std::string_view::npos) {
    done_seen_ = true;
    return;
  }
  if (event.find(R"({"error":)") != std::string_view::npos) error_seen_ = true;
  const auto delta = event.find(R"("delta":{)");
  if (delta == std::string_view::npos) return;
  constexpr std::string_view kContent = R"("content":")";
  const auto content = event.find(kContent, delta);
  if (content == std::string_view::npos) return;
  const std::string_view text = event.substr(content + kContent.size());
  if (text.empty() || text.front() == '"') return;  // the role chunk's empty content
  ++content_deltas_;
  if (!first_content_ns_) first_content_ns_ = read_ns;
  if (!text.starts_with("ts=")) return;
  if (const auto stamp = stamped_number(text.substr(0, 24), "ts"); stamp && *stamp <= read_ns)
    line_to_client_ns_.push_back(read_ns - *stamp);
}

}  // namespace ccgate::bench
