#pragma once
// One keep-alive HTTP/1.1 client connection on a raw socket (TCP_NODELAY), one request at a
// time. The body is handed out as it arrives, de-chunked, one piece per socket read, each with
// the time that read returned: what the benchmark times is when bytes reach the client.

#include <array>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ccgate::bench {

// A failed exchange; kind() is the name it is counted under: connect, reset or protocol.
class HttpError : public std::runtime_error {
 public:
  HttpError(std::string kind, const std::string& what)
      : std::runtime_error(what), kind_(std::move(kind)) {}
  const std::string& kind() const { return kind_; }

 private:
  std::string kind_;
};

struct BodyPiece {
  std::string_view bytes;  // valid until the next call on the connection
  std::uint64_t read_ns = 0;
};

class HttpConnection {
 public:
  HttpConnection(boost::asio::any_io_executor executor, boost::asio::ip::tcp::endpoint endpoint);

  // Writes the whole request with one write (connecting first when needed) and reads the
  // response head. A kept-alive connection the server has meanwhile closed is replaced once.
  // Returns the response status; sent_ns() is now_ns() taken just before the write.
  boost::asio::awaitable<int> send(std::string_view request);
  std::uint64_t sent_ns() const { return sent_ns_; }

  // The next piece of the response body; std::nullopt once it is complete.
  boost::asio::awaitable<std::optional<BodyPiece>> read_body();
  // The rest of the body.
  boost::asio::awaitable<std::string> read_all();

  void close();
  std::uint64_t last_read_ns() const { return last_read_ns_; }

 private:
  enum class Framing { length, chunked, until_close };
  enum class ChunkState { size_line, data, data_end, trailer };

  boost::asio::awaitable<void> connect();
  boost::asio::awaitable<int> write_and_read_head(std::string_view request);
  boost::asio::awaitable<bool> read_more();  // false at EOF
  int parse_head(std::string_view head);
  void decode_available();
  bool decode_chunked_step();

  boost::asio::ip::tcp::socket socket_;
  boost::asio::ip::tcp::endpoint endpoint_;
  std::array<char, 16 * 1024> scratch_{};
  std::string input_;  // received, not yet consumed
  std::size_t consumed_ = 0;
  std::string decoded_;  // the body piece being handed out
  Framing framing_ = Framing::length;
  ChunkState chunk_state_ = ChunkState::size_line;
  std::uint64_t remaining_ = 0;  // body bytes (length) or chunk bytes (chunked) still due
  bool body_done_ = false;
  bool keep_alive_ = true;
  bool received_any_ = false;  // of the current response
  std::uint64_t sent_ns_ = 0;
  std::uint64_t last_read_ns_ = 0;
};

}  // namespace ccgate::bench
