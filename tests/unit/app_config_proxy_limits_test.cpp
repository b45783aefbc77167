// The proxy door's limits as read from the environment (MAX_RESPONSE_SIZE, and the shared input
// limits it enforces).

#include <gtest/gtest.h>

#include <string>

#include "app/config.hpp"

namespace ccgate::app {
namespace {

TEST(ProxyLimits, DefaultsAreTheDocumentedOnes) {
  const Config config = load_config({});
  EXPECT_EQ(config.proxy.max_response_size, 64u * 1024 * 1024);
  EXPECT_EQ(config.proxy.max_json_depth, 128u);
  EXPECT_EQ(config.proxy.max_line_size, 16u * 1024 * 1024);
}

TEST(ProxyLimits, AreReadFromTheirVariables) {
  const Config config = load_config(
      {{"MAX_RESPONSE_SIZE", "65536"}, {"MAX_JSON_DEPTH", "40"}, {"MAX_LINE_SIZE", "4096"}});
  EXPECT_EQ(config.proxy.max_response_size, 65536u);
  EXPECT_EQ(config.proxy.max_json_depth, 40u);
  EXPECT_EQ(config.proxy.max_line_size, 4096u);
}

TEST(ProxyLimits, AResponseSizeOutOfRangeIsRejectedNamingTheVariable) {
  for (const char* value : {"0", "1023", "big", "-5"}) {
    try {
      load_config({{"MAX_RESPONSE_SIZE", value}});
      ADD_FAILURE() << "MAX_RESPONSE_SIZE=" << value << " was accepted";
    } catch (const ConfigError& error) {
      EXPECT_NE(std::string(error.what()).find("MAX_RESPONSE_SIZE"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace ccgate::app
