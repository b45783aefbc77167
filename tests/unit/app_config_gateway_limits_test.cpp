// The gateway's lifecycle limits as the configuration reads them (TURN_TIMEOUT,
// INTERRUPT_TIMEOUT).

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "app/config.hpp"

namespace ccgate::app {
namespace {

using std::chrono::milliseconds;

TEST(ConfigGatewayLimits, TurnAndInterruptTimeoutsHaveDefaults) {
  const Config config = load_config({});
  EXPECT_EQ(config.gateway.turn_timeout, milliseconds(600'000));
  EXPECT_EQ(config.gateway.interrupt_timeout, milliseconds(10'000));
}

TEST(ConfigGatewayLimits, TurnAndInterruptTimeoutsAreReadInSeconds) {
  const Config config = load_config({{"TURN_TIMEOUT", "2.5"}, {"INTERRUPT_TIMEOUT", "1"}});
  EXPECT_EQ(config.gateway.turn_timeout, milliseconds(2'500));
  EXPECT_EQ(config.gateway.interrupt_timeout, milliseconds(1'000));
}

TEST(ConfigGatewayLimits, ANonPositiveTimeoutIsRejectedNamingTheVariable) {
  for (const std::string name : {"TURN_TIMEOUT", "INTERRUPT_TIMEOUT"}) {
    for (const std::string value : {"0", "-1", "soon"}) {
      try {
        load_config({{name, value}});
        ADD_FAILURE() << name << "=" << value << " was accepted";
      } catch (const ConfigError& error) {
        EXPECT_NE(std::string(error.what()).find(name), std::string::npos) << error.what();
      }
    }
  }
}

}  // namespace
}  // namespace ccgate::app
