#pragma once
// The mock's request handler, one per event loop: the model endpoints of both protocols, the
// health check and the counters.

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <cstdint>

#include "http/server.hpp"
#include "mock/answer.hpp"
#include "mock/directives.hpp"
#include "mock/stats.hpp"

namespace ccgate::bench {

class Routes {
 public:
  Routes(const http::Server& server, Stats& stats, std::size_t shard);

  boost::asio::awaitable<void> operator()(http::Exchange& exchange);

 private:
  template <class Protocol>
  boost::asio::awaitable<void> answer(http::Exchange& exchange);
  template <class EventStream>
  boost::asio::awaitable<void> stream(http::Exchange& exchange, const Directives& directives,
                                      const Answer& answer);
  void count_request(const http::Exchange& exchange);

  const http::Server* server_;
  Stats* stats_;
  Stats::Shard* shard_;
  std::uint64_t next_id_;
};

}  // namespace ccgate::bench
