#include <gtest/gtest.h>

#include "app/config.hpp"
#include "app/environment.hpp"

namespace ccgate::app {
namespace {

TEST(Dotenv, ParsesCommentsQuotesExportAndInlineComments) {
  const auto env = parse_dotenv(
      "# comment\n"
      "\n"
      "OPENAI_API_KEY=sk-abc\n"
      "export BIG_MODEL = gpt-5\n"
      "SMALL_MODEL=\"gpt 4o mini\"\n"
      "LOG_LEVEL=INFO # keep it quiet\n"
      "SINGLE='a # b'\n"
      "ESCAPED=\"line\\nnext \\\"q\\\"\"\n"
      "not a pair\n");
  EXPECT_EQ(env.at("OPENAI_API_KEY"), "sk-abc");
  EXPECT_EQ(env.at("BIG_MODEL"), "gpt-5");
  EXPECT_EQ(env.at("SMALL_MODEL"), "gpt 4o mini");
  EXPECT_EQ(env.at("LOG_LEVEL"), "INFO");
  EXPECT_EQ(env.at("SINGLE"), "a # b");
  EXPECT_EQ(env.at("ESCAPED"), "line\nnext \"q\"");
  EXPECT_EQ(env.size(), 6u);
}

TEST(Config, DefaultsMatchTheOriginalProxy) {
  const Config config = load_config({});
  EXPECT_EQ(config.server.port, 8082);
  EXPECT_EQ(config.server.host, "127.0.0.1");
  EXPECT_EQ(config.server.header_timeout, std::chrono::seconds(30));
  EXPECT_EQ(config.server.body_timeout, std::chrono::seconds(60));
  EXPECT_EQ(config.server.write_timeout, std::chrono::seconds(60));
  EXPECT_EQ(config.server.idle_timeout, std::chrono::seconds(120));
  EXPECT_EQ(config.server.max_connections, 0u);  // derived from the fd limit at start-up
  EXPECT_TRUE(config.access.cors_origins.empty());
  EXPECT_TRUE(config.access.allowed_hosts.empty());
  EXPECT_EQ(default_provider(config).settings.base_url, "https://api.openai.com/v1");
  const auto& routes = config.catalog.routes;
  EXPECT_EQ(routes.opus, (routing::Chain{{0, "gpt-4o"}}));
  EXPECT_EQ(routes.sonnet, (routing::Chain{{0, "gpt-4o"}}));
  EXPECT_EQ(routes.haiku, (routing::Chain{{0, "gpt-4o-mini"}}));
  EXPECT_EQ(default_provider(config).settings.max_retries, 2);
  EXPECT_EQ(default_provider(config).settings.timeouts.first_byte, std::chrono::seconds(90));
  EXPECT_FALSE(config.proxy.translation.max_tokens_limit.has_value());
  EXPECT_FALSE(config.proxy.translation.min_tokens_limit.has_value());
  EXPECT_EQ(config.server.body_limit, 32u * 1024 * 1024);
  ASSERT_EQ(config.warnings.size(), 1u);  // no OPENAI_API_KEY
  EXPECT_NE(config.warnings[0].find("OPENAI_API_KEY"), std::string::npos);
}

TEST(Config, MiddleModelDefaultsToBigModel) {
  const Config config = load_config({{"BIG_MODEL", "big-one"}});
  EXPECT_EQ(config.catalog.routes.sonnet, (routing::Chain{{0, "big-one"}}));
}

TEST(Config, ReadsEveryVariable) {
  const Config config = load_config({{"OPENAI_API_KEY", "sk-x"},
                                     {"OPENAI_BASE_URL", "http://127.0.0.1:11434/v1"},
                                     {"ANTHROPIC_API_KEY", "client-key"},
                                     {"AZURE_API_VERSION", "2024-06-01"},
                                     {"HOST", "127.0.0.1"},
                                     {"PORT", "0"},
                                     {"LOG_LEVEL", "WARNING"},
                                     {"MAX_TOKENS_LIMIT", "4096"},
                                     {"MIN_TOKENS_LIMIT", "100"},
                                     {"REQUEST_TIMEOUT", "1.5"},
                                     {"MAX_RETRIES", "0"},
                                     {"MODEL_MAP", "claude-x=gpt-y"},
                                     {"REASONING_MODELS", "o9, deepseek-r"},
                                     {"PING_INTERVAL", "2"},
                                     {"CUSTOM_HEADER_X_API_KEY", "v"},
                                     {"https_proxy", "http://proxy:3128"},
                                     {"NO_PROXY", "internal"},
                                     {"HEADER_TIMEOUT", "5"},
                                     {"BODY_TIMEOUT", "6"},
                                     {"WRITE_TIMEOUT", "7"},
                                     {"KEEPALIVE_TIMEOUT", "8"},
                                     {"MAX_CONNECTIONS", "900"},
                                     {"CORS_ORIGINS", "http://A.example/, *"},
                                     {"ALLOWED_HOSTS", "Box.Lan"}});
  EXPECT_TRUE(config.warnings.empty());
  EXPECT_EQ(default_provider(config).settings.api_keys, std::vector<std::string>{"sk-x"});
  EXPECT_TRUE(default_provider(config).settings.azure());
  EXPECT_EQ(config.proxy.api_key, "client-key");
  EXPECT_EQ(config.server.port, 0);
  EXPECT_EQ(config.log_level, "warn");
  EXPECT_EQ(config.proxy.translation.max_tokens_limit, 4096);
  EXPECT_EQ(config.proxy.translation.min_tokens_limit, 100);
  EXPECT_EQ(default_provider(config).settings.timeouts.first_byte, std::chrono::milliseconds(1500));
  EXPECT_EQ(default_provider(config).settings.timeouts.idle, std::chrono::milliseconds(1500));
  EXPECT_EQ(default_provider(config).settings.max_retries, 0);
  ASSERT_EQ(config.catalog.routes.models.size(), 1u);
  EXPECT_EQ(config.catalog.routes.models[0].first, "claude-x");
  EXPECT_EQ(config.catalog.routes.models[0].second, (routing::Chain{{0, "gpt-y"}}));
  EXPECT_EQ(default_provider(config).reasoning_prefixes,
            (std::vector<std::string>{"o9", "deepseek-r"}));
  EXPECT_EQ(config.proxy.ping_interval, std::chrono::seconds(2));
  ASSERT_EQ(default_provider(config).settings.custom_headers.size(), 1u);
  EXPECT_EQ(default_provider(config).settings.custom_headers[0],
            (std::pair<std::string, std::string>{"X-API-KEY", "v"}));
  EXPECT_EQ(config.client.proxy.https_proxy, "http://proxy:3128");
  EXPECT_EQ(config.client.proxy.no_proxy, "internal");
  EXPECT_EQ(config.server.header_timeout, std::chrono::seconds(5));
  EXPECT_EQ(config.server.body_timeout, std::chrono::seconds(6));
  EXPECT_EQ(config.server.write_timeout, std::chrono::seconds(7));
  EXPECT_EQ(config.server.idle_timeout, std::chrono::seconds(8));
  EXPECT_EQ(config.server.max_connections, 900u);
  EXPECT_EQ(config.access.cors_origins, (std::vector<std::string>{"http://a.example", "*"}));
  EXPECT_EQ(config.access.allowed_hosts, (std::vector<std::string>{"box.lan"}));
}

TEST(Config, ADoorWithoutItsKeyOnANetworkAddressIsToldAtStartUp) {
  const Config open = load_config({{"OPENAI_API_KEY", "x"}, {"HOST", "0.0.0.0"}});
  ASSERT_EQ(open.warnings.size(), 2u);
  EXPECT_NE(open.warnings[0].find("ANTHROPIC_API_KEY"), std::string::npos) << open.warnings[0];
  EXPECT_NE(open.warnings[0].find("403"), std::string::npos);
  EXPECT_NE(open.warnings[1].find("GATEWAY_API_KEY"), std::string::npos) << open.warnings[1];
  const Config keyed = load_config({{"OPENAI_API_KEY", "x"},
                                    {"HOST", "0.0.0.0"},
                                    {"ANTHROPIC_API_KEY", "a"},
                                    {"GATEWAY_API_KEY", "g"}});
  EXPECT_TRUE(keyed.warnings.empty());
  EXPECT_TRUE(load_config({{"OPENAI_API_KEY", "x"}, {"HOST", "::1"}}).warnings.empty());
  EXPECT_TRUE(load_config({{"OPENAI_API_KEY", "x"}, {"HOST", "localhost"}}).warnings.empty());
}

TEST(Config, ShownUrlsCarryNoCredentialsOrQuery) {
  EXPECT_EQ(shown_url("https://user:secret@api.example.com/v1?key=abc#frag"),
            "https://api.example.com/v1");
  EXPECT_EQ(shown_url("http://127.0.0.1:11434/v1"), "http://127.0.0.1:11434/v1");
}

struct BadValue {
  const char* name;
  const char* value;
};

class ConfigRejects : public testing::TestWithParam<BadValue> {};

TEST_P(ConfigRejects, NamingTheVariable) {
  const auto& bad = GetParam();
  try {
    load_config({{bad.name, bad.value}});
    FAIL() << bad.name << "=" << bad.value << " was accepted";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find(bad.name), std::string::npos) << error.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    BadValues, ConfigRejects,
    testing::Values(BadValue{"PORT", "80x"}, BadValue{"PORT", "70000"},
                    BadValue{"MAX_RETRIES", "-1"}, BadValue{"REQUEST_TIMEOUT", "soon"},
                    BadValue{"REQUEST_TIMEOUT", "0"}, BadValue{"LOG_LEVEL", "loud"},
                    BadValue{"OPENAI_BASE_URL", "ftp://example.com"},
                    BadValue{"OPENAI_BASE_URL", "not a url"}, BadValue{"MAX_TOKENS_LIMIT", "0"},
                    BadValue{"MODEL_MAP", "no-equals-sign"}, BadValue{"PING_INTERVAL", "-3"},
                    BadValue{"MAX_BODY_SIZE", "12"}, BadValue{"WRITE_TIMEOUT", "0"},
                    BadValue{"HEADER_TIMEOUT", "x"}, BadValue{"BODY_TIMEOUT", "-1"},
                    BadValue{"KEEPALIVE_TIMEOUT", "never"}, BadValue{"MAX_CONNECTIONS", "0"}));

TEST(Config, MinAboveMaxIsRejected) {
  EXPECT_THROW(load_config({{"MIN_TOKENS_LIMIT", "5000"}, {"MAX_TOKENS_LIMIT", "4096"}}),
               ConfigError);
}

}  // namespace
}  // namespace ccgate::app
