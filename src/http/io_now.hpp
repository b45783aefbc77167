#pragma once
// Socket reads and writes tried at once, without waiting. Asio completes even an operation that
// succeeds on its first try through the scheduler: one more round of the event loop (and an
// epoll_wait) before the coroutine goes on. Most answers and requests fit in the socket's send
// buffer, and a request is read once the socket is known to be readable, so trying first saves
// a round per read and per write. Whatever was not done at once is left to the caller's
// asynchronous operation, which also reports any error the socket has.

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <boost/asio/buffer.hpp>
#include <cerrno>
#include <cstddef>
#include <optional>

namespace ccgate::http {

// The bytes sent: all, some, or none (the socket is full, or in error).
template <class ConstBuffers>
std::size_t send_now(int fd, const ConstBuffers& buffers) {
  constexpr std::size_t kMostPieces = 16;  // more pieces are left to the asynchronous write
  std::array<iovec, kMostPieces> pieces{};
  std::size_t count = 0;
  for (auto it = boost::asio::buffer_sequence_begin(buffers);
       it != boost::asio::buffer_sequence_end(buffers) && count < kMostPieces; ++it) {
    const boost::asio::const_buffer piece(*it);
    if (piece.size() == 0) continue;
    pieces[count++] = {const_cast<void*>(piece.data()), piece.size()};
  }
  if (count == 0) return 0;
  msghdr message{};
  message.msg_iov = pieces.data();
  message.msg_iovlen = count;
  ssize_t sent;
  do {
    sent = ::sendmsg(fd, &message, MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  return sent > 0 ? static_cast<std::size_t>(sent) : 0;
}

// The bytes received, or nullopt when none could be at once (none there yet, or an error).
// 0 is the peer's end of stream.
inline std::optional<std::size_t> receive_now(int fd, boost::asio::mutable_buffer into) {
  ssize_t received;
  do {
    received = ::recv(fd, into.data(), into.size(), MSG_DONTWAIT);
  } while (received < 0 && errno == EINTR);
  if (received < 0) return std::nullopt;
  return static_cast<std::size_t>(received);
}

}  // namespace ccgate::http
