// How configuration values are read and shown; the cases the dotenv_config fuzz target found.

#include <gtest/gtest.h>

#include "app/config.hpp"
#include "app/environment.hpp"

namespace ccgate::app {
namespace {

TEST(QuotedValue, EscapesWhatATerminalWouldMangle) {
  EXPECT_EQ(quoted_value("plain"), R"("plain")");
  EXPECT_EQ(quoted_value("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(quoted_value("line\nnext\tx\r\x01\x7f"), R"("line\nnext\tx\x0d\x01\x7f")");
}

TEST(QuotedValue, KeepsUtf8AndEscapesBytesThatAreNot) {
  EXPECT_EQ(quoted_value("m\xc3\xa9t\xc3\xa9o \xf0\x9f\x8e\x89"),
            "\"m\xc3\xa9t\xc3\xa9o \xf0\x9f\x8e\x89\"");
  EXPECT_EQ(quoted_value("-3\xc0"), R"("-3\xc0")");                      // a lead byte at the end
  EXPECT_EQ(quoted_value("\xe2\x82"), R"("\xe2\x82")");                  // a sequence cut short
  EXPECT_EQ(quoted_value("\xc0\xaf"), R"("\xc0\xaf")");                  // an overlong '/'
  EXPECT_EQ(quoted_value("\xed\xa0\x80"), R"("\xed\xa0\x80")");          // a UTF-16 surrogate
  EXPECT_EQ(quoted_value("\xf4\x90\x80\x80"), R"("\xf4\x90\x80\x80")");  // above U+10FFFF
}

// Found by fuzz_dotenv_config: fmt 9's "{:?}" hit an assertion (std::terminate, no message) on a
// value ending inside a UTF-8 sequence, so one stray byte in .env killed ccgate at start-up.
TEST(Config, ABadValueEndingInsideAUtf8SequenceIsAConfigError) {
  for (const char* name :
       {"PING_INTERVAL", "PORT", "LOG_LEVEL", "OPENAI_BASE_URL", "GATEWAY_REASONING"}) {
    try {
      load_config({{name, "-3\xc0"}});
      FAIL() << name << " accepted a bad value";
    } catch (const ConfigError& error) {
      EXPECT_NE(std::string(error.what()).find(std::string(name) + R"(="-3\xc0")"),
                std::string::npos)
          << error.what();
    }
  }
}

// Found by fuzz_dotenv_config: TOOL_CACHE_TTL=0.0001 passed the "greater than 0" check and
// became 0 ms; with PING_INTERVAL the ping timer would fire in a loop.
TEST(Config, LogFormatIsTextOrJson) {
  EXPECT_EQ(load_config({}).log_format, LogFormat::text);
  EXPECT_EQ(load_config({{"LOG_FORMAT", "JSON"}}).log_format, LogFormat::json);
  EXPECT_EQ(load_config({{"LOG_FORMAT", "text  # default"}}).log_format, LogFormat::text);
  try {
    load_config({{"LOG_FORMAT", "xml"}});
    FAIL() << "LOG_FORMAT=xml was accepted";
  } catch (const ConfigError& error) {
    EXPECT_STREQ(error.what(), R"(LOG_FORMAT="xml": expected text or json)");
  }
}

bool warns_of_request_ids(const Config& config) {
  return std::any_of(config.warnings.begin(), config.warnings.end(),
                     [](const auto& w) { return w.find("x-request-id") != std::string::npos; });
}

TEST(Config, AProviderHeaderThatFixesXRequestIdIsWarnedAbout) {
  EXPECT_TRUE(warns_of_request_ids(load_config({{"CUSTOM_HEADER_X_REQUEST_ID", "fixed"}})));
  EXPECT_FALSE(warns_of_request_ids(load_config({{"CUSTOM_HEADER_X_TEAM", "a"}})));
}

TEST(Config, ASubMillisecondDurationIsOneMillisecondNotZero) {
  const Config config = load_config({{"PING_INTERVAL", "0.0001"}, {"TOOL_CACHE_TTL", "1e-9"}});
  EXPECT_EQ(config.proxy.ping_interval, std::chrono::milliseconds(1));
  EXPECT_EQ(config.gateway.tool_cache_ttl, std::chrono::milliseconds(1));
  EXPECT_EQ(
      default_provider(load_config({{"REQUEST_TIMEOUT", "1.5"}})).settings.timeouts.first_byte,
      std::chrono::milliseconds(1500));
}

}  // namespace
}  // namespace ccgate::app
