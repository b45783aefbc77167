#include <gtest/gtest.h>

#include "proxy/errors.hpp"

namespace ccgate::proxy {
namespace {

using Kind = upstream::Failure::Kind;

TEST(ProxyErrors, UpstreamStatusesMapToAnthropicStatuses) {
  const std::pair<int, int> table[] = {{400, 400}, {422, 400}, {401, 401}, {403, 403}, {404, 404},
                                       {413, 413}, {429, 429}, {408, 504}, {504, 504}, {503, 529},
                                       {529, 529}, {500, 500}, {502, 500}, {418, 400}};
  for (auto [upstream, expected] : table) {
    const auto error = client_error_for(upstream::Failure(Kind::status, upstream, "boom"));
    EXPECT_EQ(error.status, expected) << "upstream " << upstream;
    EXPECT_NE(error.message.find("boom"), std::string::npos);
    EXPECT_NE(error.message.find(std::to_string(upstream)), std::string::npos);
  }
}

TEST(ProxyErrors, RetryAfterIsPassedOn) {
  const auto error = client_error_for(upstream::Failure(Kind::status, 429, "slow down", "7"));
  EXPECT_EQ(error.status, 429);
  EXPECT_EQ(error.retry_after, "7");
}

TEST(ProxyErrors, TransportFailures) {
  EXPECT_EQ(client_error_for(upstream::Failure(Kind::timeout, 0, "t")).status, 504);
  EXPECT_EQ(client_error_for(upstream::Failure(Kind::connect, 0, "refused")).status, 502);
  EXPECT_EQ(client_error_for(upstream::Failure(Kind::protocol, 200, "junk")).status, 502);
}

}  // namespace
}  // namespace ccgate::proxy
