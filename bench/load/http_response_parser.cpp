#include "load/http_response_parser.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace ccgate::bench {

namespace {

constexpr std::size_t kMaxLineBytes = 4 * 1024;  // chunk-size and trailer lines

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::ranges::equal(a, b, [](char x, char y) { return lower(x) == lower(y); });
}

bool icontains(std::string_view text, std::string_view word) {
  if (word.size() > text.size()) return false;
  for (std::size_t i = 0; i + word.size() <= text.size(); ++i)
    if (iequals(text.substr(i, word.size()), word)) return true;
  return false;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
    text.remove_suffix(1);
  return text;
}

// Takes the next line (without its "\n" and any "\r") off text; false when no line is complete.
bool take_line(std::string_view& text, std::string_view& line) {
  const auto newline = text.find('\n');
  if (newline == std::string_view::npos) return false;
  line = text.substr(0, newline);
  if (line.ends_with('\r')) line.remove_suffix(1);
  text.remove_prefix(newline + 1);
  return true;
}

struct Head {
  int status = 0;
  bool http10 = false;
  bool chunked = false;
  bool has_length = false;
  std::uint64_t length = 0;
  bool connection_close = false;
  bool connection_keep_alive = false;
};

bool parse_status_line(std::string_view line, Head& head) {
  // "HTTP/1.1 200 OK"
  if (line.size() < 12 || !line.starts_with("HTTP/1.") || line[8] != ' ') return false;
  head.http10 = line[7] == '0';
  const auto code = line.substr(9, 3);
  const auto [end, error] = std::from_chars(code.data(), code.data() + code.size(), head.status);
  return error == std::errc{} && end == code.data() + code.size() && head.status >= 100;
}

bool parse_field(std::string_view line, Head& head) {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  const auto name = line.substr(0, colon);
  const auto value = trim(line.substr(colon + 1));
  if (iequals(name, "content-length")) {
    const auto [end, error] =
        std::from_chars(value.data(), value.data() + value.size(), head.length);
    if (error != std::errc{} || end != value.data() + value.size()) return false;
    head.has_length = true;
  } else if (iequals(name, "transfer-encoding")) {
    head.chunked = icontains(value, "chunked");
  } else if (iequals(name, "connection")) {
    head.connection_close = head.connection_close || icontains(value, "close");
    head.connection_keep_alive = head.connection_keep_alive || icontains(value, "keep-alive");
  }
  return true;
}

}  // namespace

void HttpResponseParser::start() {
  state_ = State::head;
  status_ = 0;
  keep_alive_ = true;
  remaining_ = 0;
}

HttpResponseParser::Step HttpResponseParser::next(std::string_view& input) {
  while (true) {
    switch (state_) {
      case State::head:
        return parse_head(input);
      case State::sized_body:
        if (remaining_ == 0) return complete();
        return take_body(input);
      case State::chunk_size:
        if (const auto step = parse_chunk_size(input)) return *step;
        continue;
      case State::chunk_data:
        if (remaining_ == 0) {
          state_ = State::chunk_data_end;
          continue;
        }
        return take_body(input);
      case State::chunk_data_end:
        if (const auto step = parse_chunk_data_end(input)) return *step;
        continue;
      case State::trailers:
        return parse_trailers(input);
      case State::body_until_close:
        if (input.empty()) return {};
        return take_body(input);
      case State::done:
        return {Event::complete, {}};
      case State::failed:
        return {Event::error, {}};
    }
  }
}

HttpResponseParser::Event HttpResponseParser::finish_at_eof() {
  if (state_ == State::body_until_close || state_ == State::done) {
    state_ = State::done;
    keep_alive_ = false;
    return Event::complete;
  }
  state_ = State::failed;
  return Event::error;
}

HttpResponseParser::Step HttpResponseParser::parse_head(std::string_view& input) {
  auto end = input.find("\r\n\r\n");
  std::size_t terminator = 4;
  if (end == std::string_view::npos) {
    end = input.find("\n\n");
    terminator = 2;
  }
  if (end == std::string_view::npos) return input.size() >= kMaxHeadBytes ? fail() : Step{};

  std::string_view text = input.substr(0, end + terminator);
  input.remove_prefix(end + terminator);
  Head head;
  std::string_view line;
  if (!take_line(text, line) || !parse_status_line(line, head)) return fail();
  while (take_line(text, line) && !line.empty())
    if (!parse_field(line, head)) return fail();

  if (head.status < 200) {
    if (head.status == 101) return fail();
    return parse_head(input);  // an interim response: the real one follows
  }
  status_ = head.status;
  keep_alive_ =
      head.http10 ? head.connection_keep_alive && !head.connection_close : !head.connection_close;
  if (head.status == 204 || head.status == 304) {
    remaining_ = 0;
    state_ = State::sized_body;
  } else if (head.chunked) {
    state_ = State::chunk_size;
  } else if (head.has_length) {
    remaining_ = head.length;
    state_ = State::sized_body;
  } else {
    keep_alive_ = false;
    state_ = State::body_until_close;
  }
  return {Event::head, {}};
}

std::optional<HttpResponseParser::Step> HttpResponseParser::parse_chunk_size(
    std::string_view& input) {
  std::string_view line;
  if (!take_line(input, line)) return input.size() > kMaxLineBytes ? fail() : Step{};
  std::uint64_t size = 0;
  const auto [end, error] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
  if (error != std::errc{} || (end != line.data() + line.size() && *end != ';' && *end != ' '))
    return fail();
  if (size == 0) {
    state_ = State::trailers;
    return parse_trailers(input);
  }
  remaining_ = size;
  state_ = State::chunk_data;
  return std::nullopt;
}

std::optional<HttpResponseParser::Step> HttpResponseParser::parse_chunk_data_end(
    std::string_view& input) {
  std::string_view line;
  if (!take_line(input, line)) return input.size() > 2 ? fail() : Step{};
  if (!line.empty()) return fail();
  state_ = State::chunk_size;
  return std::nullopt;
}

HttpResponseParser::Step HttpResponseParser::parse_trailers(std::string_view& input) {
  std::string_view line;
  while (take_line(input, line))
    if (line.empty()) return complete();
  return input.size() > kMaxLineBytes ? fail() : Step{};
}

HttpResponseParser::Step HttpResponseParser::take_body(std::string_view& input) {
  if (input.empty()) return {};
  std::size_t size = input.size();
  if (state_ != State::body_until_close) {
    size = static_cast<std::size_t>(std::min<std::uint64_t>(size, remaining_));
    remaining_ -= size;
  }
  const auto piece = input.substr(0, size);
  input.remove_prefix(size);
  return {Event::body, piece};
}

HttpResponseParser::Step HttpResponseParser::fail() {
  state_ = State::failed;
  return {Event::error, {}};
}

HttpResponseParser::Step HttpResponseParser::complete() {
  state_ = State::done;
  return {Event::complete, {}};
}

}  // namespace ccgate::bench
