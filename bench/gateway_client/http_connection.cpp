#include "gateway_client/http_connection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/system_error.hpp>
#include <charconv>
#include <utility>

#include "common/clock.hpp"

namespace ccgate::bench {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

bool contains_token(std::string_view value, std::string_view token) {
  for (std::size_t i = 0; i + token.size() <= value.size(); ++i)
    if (iequals(value.substr(i, token.size()), token)) return true;
  return false;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

HttpConnection::HttpConnection(asio::any_io_executor executor, tcp::endpoint endpoint)
    : socket_(std::move(executor)), endpoint_(std::move(endpoint)) {}

asio::awaitable<void> HttpConnection::connect() {
  input_.clear();
  consumed_ = 0;
  try {
    co_await socket_.async_connect(endpoint_, asio::use_awaitable);
  } catch (const boost::system::system_error& failed) {
    close();
    throw HttpError("connect", failed.what());
  }
  socket_.set_option(tcp::no_delay(true));
}

void HttpConnection::close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
  input_.clear();
  consumed_ = 0;
}

asio::awaitable<int> HttpConnection::send(std::string_view request) {
  const bool reused = socket_.is_open();
  if (!reused) co_await connect();
  try {
    co_return co_await write_and_read_head(request);
  } catch (const HttpError& failed) {
    // A kept-alive connection the server closed while idle fails before any answer: retry once.
    if (!reused || failed.kind() != "reset" || received_any_) throw;
  }
  close();
  co_await connect();
  co_return co_await write_and_read_head(request);
}

asio::awaitable<int> HttpConnection::write_and_read_head(std::string_view request) {
  body_done_ = false;
  received_any_ = false;
  decoded_.clear();
  sent_ns_ = now_ns();
  try {
    co_await asio::async_write(socket_, asio::buffer(request), asio::use_awaitable);
  } catch (const boost::system::system_error& failed) {
    close();
    throw HttpError("reset", failed.what());
  }
  for (;;) {
    const std::string_view pending = std::string_view(input_).substr(consumed_);
    if (const auto end = pending.find("\r\n\r\n"); end != std::string_view::npos) {
      const int status = parse_head(pending.substr(0, end + 2));
      consumed_ += end + 4;
      co_return status;
    }
    const bool more = co_await read_more();
    if (!more) {
      close();
      throw HttpError("reset", "the server closed the connection before answering");
    }
  }
}

int HttpConnection::parse_head(std::string_view head) {
  const auto line_end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, line_end);
  int status = 0;
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12 ||
      std::from_chars(status_line.data() + 9, status_line.data() + 12, status).ec != std::errc{})
    throw HttpError("protocol", fmt::format("bad status line '{}'", status_line));
  keep_alive_ = status_line.starts_with("HTTP/1.1");
  framing_ = Framing::until_close;
  std::string_view fields = head.substr(line_end + 2);
  while (!fields.empty()) {
    const auto end = fields.find("\r\n");
    const std::string_view field = fields.substr(0, end);
    fields = end == std::string_view::npos ? std::string_view{} : fields.substr(end + 2);
    const auto colon = field.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = field.substr(0, colon);
    const std::string_view value = trimmed(field.substr(colon + 1));
    if (iequals(name, "content-length") && framing_ != Framing::chunked) {
      framing_ = Framing::length;
      if (std::from_chars(value.data(), value.data() + value.size(), remaining_).ec != std::errc{})
        throw HttpError("protocol", "bad content-length");
    } else if (iequals(name, "transfer-encoding") && contains_token(value, "chunked")) {
      framing_ = Framing::chunked;
      chunk_state_ = ChunkState::size_line;
    } else if (iequals(name, "connection")) {
      if (contains_token(value, "close")) keep_alive_ = false;
      if (contains_token(value, "keep-alive")) keep_alive_ = true;
    }
  }
  if (framing_ == Framing::length && remaining_ == 0) body_done_ = true;
  if (framing_ == Framing::until_close) keep_alive_ = false;
  return status;
}

asio::awaitable<bool> HttpConnection::read_more() {
  if (consumed_ > 0 && consumed_ == input_.size()) {
    input_.clear();
    consumed_ = 0;
  } else if (consumed_ > input_.size() / 2) {
    input_.erase(0, consumed_);
    consumed_ = 0;
  }
  auto [error, size] =
      co_await socket_.async_read_some(asio::buffer(scratch_), asio::as_tuple(asio::use_awaitable));
  last_read_ns_ = now_ns();
  if (error == asio::error::eof) co_return false;
  if (error) throw HttpError("reset", error.message());
  input_.append(scratch_.data(), size);
  received_any_ = true;
  co_return true;
}

asio::awaitable<std::optional<BodyPiece>> HttpConnection::read_body() {
  decoded_.clear();
  for (;;) {
    decode_available();
    if (!decoded_.empty()) co_return BodyPiece{decoded_, last_read_ns_};
    if (body_done_) {
      if (!keep_alive_) close();
      co_return std::nullopt;
    }
    const bool more = co_await read_more();
    if (!more) {
      if (framing_ != Framing::until_close) {
        close();
        throw HttpError("reset", "the server closed the connection in the middle of a response");
      }
      body_done_ = true;
    }
  }
}

asio::awaitable<std::string> HttpConnection::read_all() {
  std::string body;
  for (;;) {
    const auto piece = co_await read_body();
    if (!piece) break;
    body.append(piece->bytes);
  }
  co_return body;
}

void HttpConnection::decode_available() {
  const std::string_view pending = std::string_view(input_).substr(consumed_);
  switch (framing_) {
    case Framing::until_close:
      decoded_.append(pending);
      consumed_ = input_.size();
      return;
    case Framing::length: {
      const auto take =
          static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, pending.size()));
      decoded_.append(pending.substr(0, take));
      consumed_ += take;
      remaining_ -= take;
      if (remaining_ == 0) body_done_ = true;
      return;
    }
    case Framing::chunked:
      while (!body_done_ && decode_chunked_step()) {
      }
      return;
  }
}

// One step of the chunked decoder; false when it needs more input.
bool HttpConnection::decode_chunked_step() {
  const std::string_view pending = std::string_view(input_).substr(consumed_);
  switch (chunk_state_) {
    case ChunkState::size_line: {
      const auto end = pending.find("\r\n");
      if (end == std::string_view::npos) return false;
      const std::string_view size = pending.substr(0, std::min(end, pending.find(';')));
      if (std::from_chars(size.data(), size.data() + size.size(), remaining_, 16).ec != std::errc{})
        throw HttpError("protocol", "bad chunk size");
      consumed_ += end + 2;
      chunk_state_ = remaining_ == 0 ? ChunkState::trailer : ChunkState::data;
      return true;
    }
    case ChunkState::data: {
      if (pending.empty()) return false;
      const auto take =
          static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, pending.size()));
      decoded_.append(pending.substr(0, take));
      consumed_ += take;
      remaining_ -= take;
      if (remaining_ == 0) chunk_state_ = ChunkState::data_end;
      return true;
    }
    case ChunkState::data_end:
      if (pending.size() < 2) return false;
      if (!pending.starts_with("\r\n")) throw HttpError("protocol", "chunk not ended by CRLF");
      consumed_ += 2;
      chunk_state_ = ChunkState::size_line;
      return true;
    case ChunkState::trailer: {
      const auto end = pending.find("\r\n");
      if (end == std::string_view::npos) return false;
      consumed_ += end + 2;
      if (end == 0) body_done_ = true;
      return true;
    }
  }
  return false;
}

}  // namespace ccgate::bench
