// Start-up configuration: a .env file → app::parse_dotenv → app::load_config on the result (as
// if it were the whole environment).
//
// Properties, besides ASan/UBSan: a bad value is a ConfigError naming the variable, and nothing
// else escapes (libFuzzer reports any other exception); keys are never empty; every timeout
// that is accepted is longer than zero.

#include <chrono>

#include "app/config.hpp"
#include "app/environment.hpp"
#include "fuzz_support.hpp"

namespace {

using ccgate::fuzz::require;
using std::chrono::milliseconds;

void positive(milliseconds value, std::string_view name) {
  require(value > milliseconds::zero(), "an accepted timeout is longer than zero", name);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto env = ccgate::app::parse_dotenv(std::string_view(reinterpret_cast<const char*>(data), size));
  env.erase("CCGATE_CONFIG");  // a path to any file (/dev/zero): not what this target explores
  for (const auto& [key, value] : env) {
    require(!key.empty(), "a .env key is never empty");
    require(key.find('=') == std::string::npos, "a .env key holds no '='", key);
  }

  ccgate::app::Config config;
  try {
    config = ccgate::app::load_config(env);
  } catch (const ccgate::app::ConfigError& error) {
    require(std::string_view(error.what()).find('=') != std::string_view::npos ||
                std::string_view(error.what()).find(':') != std::string_view::npos,
            "a ConfigError names the variable", error.what());
    return 0;
  }
  positive(config.server.shutdown_grace, "SHUTDOWN_GRACE");
  const auto& timeouts = ccgate::app::default_provider(config).settings.timeouts;
  positive(timeouts.connect, "CONNECT_TIMEOUT");
  positive(timeouts.first_byte, "REQUEST_TIMEOUT");
  positive(timeouts.idle, "IDLE_TIMEOUT");
  positive(timeouts.total, "TOTAL_TIMEOUT");
  positive(config.proxy.ping_interval, "PING_INTERVAL");
  positive(config.gateway.session_idle_timeout, "SESSION_IDLE_TIMEOUT");
  positive(config.gateway.tool_call_timeout, "TOOL_CALL_TIMEOUT");
  positive(config.gateway.tool_cache_ttl, "TOOL_CACHE_TTL");
  positive(config.gateway.keepalive, "GATEWAY_KEEPALIVE");
  require(config.gateway.max_sessions >= 1, "MAX_SESSIONS is at least 1");
  return 0;
}
