#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "app/config.hpp"
#include "app/config_file.hpp"
#include "routing/presets.hpp"
#include "routing/router.hpp"
#include "translate/model_map.hpp"

namespace ccgate::app {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// A configuration file in a private directory, removed with it.
class TempFile {
 public:
  explicit TempFile(std::string_view text) {
    static int counter = 0;
    dir_ = std::filesystem::temp_directory_path() /
           ("ccgate-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "ccgate.yaml").string();
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::filesystem::remove_all(dir_); }
  const std::string& path() const { return path_; }

 private:
  std::filesystem::path dir_;
  std::string path_;
};

std::string error_of(std::string_view yaml, const Environment& env = {}) {
  try {
    const auto file = parse_config_file(yaml, "f.yaml", env);
    if (file.has_providers()) file_catalog(file, {}, env);
    file_gateway_extensions(file, env);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "(no error)";
}

routing::Catalog catalog_of(std::string_view yaml, const Environment& env = {}) {
  return file_catalog(parse_config_file(yaml, "f.yaml", env), {}, env);
}

translate::ModelQuirks quirks(const routing::Provider& provider, std::string_view model) {
  for (const auto& [name, value] : provider.models)
    if (name == model) return value;
  ADD_FAILURE() << model << " is not listed";
  return {};
}

constexpr std::string_view kOneProvider =
    "providers:\n"
    "  - name: a\n"
    "    base_url: http://127.0.0.1:1/v1\n"
    "routes:\n"
    "  default: a/m\n";

TEST(ConfigFileInterpolation, ReadsTheEnvironmentAndKeepsEscapedDollars) {
  const auto catalog = catalog_of(
      "providers:\n"
      "  - name: a\n"
      "    base_url: http://${HOST_PART}:8000/v1\n"
      "    keys:\n"
      "      - ${K1}\n"
      "      - \"${K2}\"\n"
      "    headers: {X-Literal: \"a$${B}c\", X-Both: \"${K1}-$${K1}\"}\n"
      "routes:\n"
      "  default: a/m\n",
      {{"HOST_PART", "10.0.0.5"}, {"K1", "one"}, {"K2", "two"}});
  const auto& settings = catalog.providers.at(0).settings;
  EXPECT_EQ(settings.base_url, "http://10.0.0.5:8000/v1");
  EXPECT_EQ(settings.api_keys, (std::vector<std::string>{"one", "two"}));
  ASSERT_EQ(settings.custom_headers.size(), 2u);
  EXPECT_EQ(settings.custom_headers[0].second, "a${B}c");
  EXPECT_EQ(settings.custom_headers[1].second, "one-${K1}");
}

TEST(ConfigFileInterpolation, AnUnsetOrEmptyVariableIsAnErrorNamingIt) {
  constexpr std::string_view yaml =
      "settings:\n"
      "  LOG_LEVEL: info\n"
      "  ANTHROPIC_API_KEY: ${CLIENT_KEY}\n";
  EXPECT_EQ(error_of(yaml),
            "f.yaml:3: settings.ANTHROPIC_API_KEY: ${CLIENT_KEY}: CLIENT_KEY is not set");
  EXPECT_EQ(error_of(yaml, {{"CLIENT_KEY", ""}}),
            "f.yaml:3: settings.ANTHROPIC_API_KEY: ${CLIENT_KEY}: CLIENT_KEY is empty");
  EXPECT_THAT(error_of("settings:\n  PORT: ${PORT\n"), StartsWith("f.yaml:2: settings.PORT: "));
  EXPECT_THAT(error_of("settings:\n  PORT: ${1X}\n"), HasSubstr("not a variable name"));
}

TEST(ConfigFileInterpolation, AKeyOrHeaderWithALineBreakIsRefusedWithoutShowingIt) {
  const Environment env{{"K", "sk-secret\n"}, {"H", "v\r\nX-Evil: 1"}};
  const std::string key_error = error_of(
      "providers:\n  - name: a\n    base_url: http://x/v1\n    keys:\n      - ok\n      - ${K}\n"
      "routes: {default: a/m}\n",
      env);
  EXPECT_EQ(
      key_error,
      "f.yaml:6: providers[0].keys[1]: the key holds a line break or another control character");
  const std::string header_error = error_of(
      "providers:\n  - name: a\n    base_url: http://x/v1\n    headers:\n      X-Team: ${H}\n"
      "routes: {default: a/m}\n",
      env);
  EXPECT_EQ(
      header_error,
      "f.yaml:5: providers[0].headers.X-Team: the value holds a line break or another control "
      "character");
}

struct BadFile {
  std::string yaml;
  std::string error;  // the start of the message
};

class ConfigFileErrors : public ::testing::TestWithParam<BadFile> {};

TEST_P(ConfigFileErrors, NameTheFileTheLineAndTheKey) {
  EXPECT_THAT(error_of(GetParam().yaml, {{"SET", "x"}}), StartsWith(GetParam().error));
}

INSTANTIATE_TEST_SUITE_P(
    EachRule, ConfigFileErrors,
    ::testing::Values(
        BadFile{"providers: [\n  - name: a\n", "f.yaml:2: YAML syntax error: "},
        BadFile{"- a\n- b\n", "f.yaml:1: (top level): expected a mapping"},
        BadFile{"setings:\n  PORT: 1\n",
                "f.yaml:1: setings: unknown key (expected one of: "
                "settings, providers, routes, gateway)"},
        BadFile{"gateway:\n  mcp_serverz: []\n", "f.yaml:2: gateway.mcp_serverz: unknown key"},
        BadFile{"gateway: [1]\n", "f.yaml:1: gateway: expected a mapping"},
        BadFile{"settings:\n  PORT: 1\n  PORT: 2\n", "f.yaml:3: settings.PORT: given twice"},
        BadFile{"settings:\n  PORT: [1]\n", "f.yaml:2: settings.PORT: expected a single value"},
        BadFile{"settings:\n  CCGATE_CONFIG: x\n", "f.yaml:2: settings.CCGATE_CONFIG: names"},
        BadFile{"routes:\n  default: a/m\n", "f.yaml:1: routes: needs providers:"},
        BadFile{"providers: []\n", "f.yaml:1: providers: expected a list of providers"},
        BadFile{"providers:\n  - base_url: http://x/v1\nroutes: {default: a/m}\n",
                "f.yaml:2: providers[0]: name: is required"},
        BadFile{"providers:\n  - name: A B\n    base_url: http://x/v1\n",
                "f.yaml:2: providers[0].name: \"A B\": expected lower-case"},
        BadFile{"providers:\n  - name: a\n    base_url: http://x/v1\n  - name: a\n"
                "    base_url: http://y/v1\nroutes: {default: a/m}\n",
                "f.yaml:4: providers[1].name: \"a\" is already the name of the provider on line 2"},
        BadFile{"providers:\n  - name: a\n    bse_url: http://x/v1\n",
                "f.yaml:3: providers[0].bse_url: unknown key (expected one of: name, preset"},
        BadFile{"providers:\n  - name: a\n    base_url: ftp://x/v1\n",
                "f.yaml:3: providers[0].base_url: \"ftp://x/v1\": expected an http:// or https://"},
        BadFile{"providers:\n  - name: a\n", "f.yaml:2: providers[0]: base_url: is required"},
        BadFile{"providers:\n  - name: v\n    preset: vllm\n",
                "f.yaml:2: providers[0]: base_url: is required (the vllm preset has none)"},
        BadFile{"providers:\n  - name: a\n    preset: mistral\n",
                "f.yaml:3: providers[0].preset: \"mistral\" is not a preset (expected one of: "
                "openai, azure, deepseek, openrouter, groq, ollama, vllm, gemini)"},
        BadFile{"providers:\n  - name: a\n    base_url: http://x/v1\n    api_key: ${SET}\n"
                "    keys: [k]\n",
                "f.yaml:4: providers[0].api_key: give api_key or keys, not both"},
        BadFile{"providers:\n  - name: a\n    base_url: http://x/v1\n    api_key:\n",
                "f.yaml:4: providers[0].api_key: a value is required"},
        BadFile{"providers:\n  - name: a\n    base_url: http://x/v1\n    keys: []\n",
                "f.yaml:4: providers[0].keys: expected a list of keys"},
        BadFile{"providers:\n  - name: a\n    base_url: http://x/v1\n    timeouts:\n"
                "      connect: 0\n",
                "f.yaml:5: providers[0].timeouts.connect: \"0\": expected a number of seconds "
                "greater than 0"},
        BadFile{"providers:\n  - name: a\n    base_url: http://x/v1\n    timeouts: {conect: 1}\n",
                "f.yaml:4: providers[0].timeouts.conect: unknown key"},
        BadFile{"providers:\n  - name: a\n    base_url: http://x/v1\n    max_concurrent: -1\n",
                "f.yaml:4: providers[0].max_concurrent: \"-1\": expected a whole number"},
        BadFile{"providers:\n  - name: a\n    base_url: http://x/v1\n    headers:\n"
                "      \"Bad Name\": x\n",
                "f.yaml:5: providers[0].headers.Bad Name: not a valid header name"},
        BadFile{"providers:\n  - name: a\n    base_url: http://x/v1\n    models:\n"
                "      m: {reasoning: maybe}\n",
                "f.yaml:5: providers[0].models.m.reasoning: \"maybe\": expected true or false"},
        BadFile{"providers:\n  - name: a\n    base_url: http://x/v1\n    models:\n"
                "      m: {max_output_tokens: 0}\n",
                "f.yaml:5: providers[0].models.m.max_output_tokens: \"0\": expected a whole"},
        BadFile{"providers:\n  - name: a\n    base_url: http://x/v1\n    models:\n"
                "      m: {max_tokens: 5}\n",
                "f.yaml:5: providers[0].models.m.max_tokens: unknown key (expected one of: "
                "max_output_tokens, reasoning"},
        BadFile{"providers:\n  - name: a\n    base_url: http://x/v1\n",
                "f.yaml:1: routes: required with providers:"},
        BadFile{"providers:\n  - name: a\n    base_url: http://x/v1\nroutes:\n  opus: a/m\n",
                "f.yaml:4: routes.default: is required"},
        BadFile{"providers:\n  - name: a\n    base_url: http://x/v1\nroutes:\n  default: b/m\n",
                "f.yaml:5: routes.default: \"b/m\": no provider is named \"b\""},
        BadFile{"providers:\n  - name: a\n    base_url: http://x/v1\nroutes:\n  default: a/\n",
                "f.yaml:5: routes.default: \"a/\": the model is missing"},
        BadFile{"providers:\n  - name: a\n    base_url: http://x/v1\nroutes:\n  default: a\n",
                "f.yaml:5: routes.default: \"a\": expected \"provider/model\""},
        BadFile{"providers:\n  - name: a\n    base_url: http://x/v1\nroutes:\n  default: a/m\n"
                "  opus:\n    - a/m\n    - c/m\n",
                "f.yaml:8: routes.opus[1]: \"c/m\": no provider is named \"c\""},
        BadFile{"providers:\n  - name: a\n    base_url: http://x/v1\nroutes:\n  default: a/m\n"
                "  long_context_threshold: 0\n",
                "f.yaml:6: routes.long_context_threshold: \"0\": expected a whole number"},
        BadFile{"providers:\n  - name: a\n    base_url: http://x/v1\nroutes:\n  default: a/m\n"
                "  thinking: a/m\n",
                "f.yaml:6: routes.thinking: unknown key (expected one of: default, opus"},
        BadFile{"providers:\n  - name: a\n    base_url: http://x/v1\nroutes:\n  default: a/m\n"
                "  models:\n    GPT-4o: a/x\n    gpt-4o: a/y\n",
                "f.yaml:8: routes.models.gpt-4o: given twice"}));

TEST(ConfigFile, AProviderWithoutKeysIsFineAndRoutesSplitAtTheFirstSlash) {
  const auto catalog = catalog_of(
      "providers:\n"
      "  - name: local\n"
      "    preset: ollama\n"
      "  - name: openrouter\n"
      "    preset: openrouter\n"
      "    api_key: k\n"
      "routes:\n"
      "  default: openrouter/openai/gpt-4o\n"
      "  opus: [openrouter/anthropic/claude-x, local/qwen3:32b]\n"
      "  long_context_threshold: 1000\n"
      "  models:\n"
      "    my-model: local/llama3\n");
  ASSERT_EQ(catalog.providers.size(), 2u);
  EXPECT_TRUE(catalog.providers[0].settings.api_keys.empty());
  EXPECT_EQ(catalog.providers[0].settings.base_url, "http://localhost:11434/v1");
  EXPECT_EQ(catalog.routes.fallback, (routing::Chain{{1, "openai/gpt-4o"}}));
  EXPECT_EQ(catalog.routes.opus, (routing::Chain{{1, "anthropic/claude-x"}, {0, "qwen3:32b"}}));
  EXPECT_TRUE(catalog.routes.sonnet.empty());
  EXPECT_EQ(catalog.routes.long_context_threshold, 1000);
  ASSERT_EQ(catalog.routes.models.size(), 1u);
  EXPECT_EQ(catalog.routes.models[0].first, "my-model");
  EXPECT_EQ(catalog.routes.models[0].second, (routing::Chain{{0, "llama3"}}));
}

TEST(ConfigFile, ProviderSettingsDefaultToTheVariablesAndTheFileOverridesThem) {
  upstream::Settings defaults;
  defaults.max_retries = 5;
  defaults.timeouts.first_byte = std::chrono::seconds(7);
  const auto file = parse_config_file(
      "providers:\n"
      "  - name: a\n"
      "    base_url: https://x.example/v1\n"
      "  - name: b\n"
      "    base_url: https://y.example/v1\n"
      "    max_retries: 0\n"
      "    max_concurrent: 4\n"
      "    timeouts: {first_byte: 1.5, total: 60}\n"
      "routes: {default: a/m}\n",
      "f.yaml", {});
  const auto catalog = file_catalog(file, defaults, {});
  EXPECT_EQ(catalog.providers[0].settings.max_retries, 5);
  EXPECT_EQ(catalog.providers[0].settings.timeouts.first_byte, std::chrono::seconds(7));
  EXPECT_EQ(catalog.providers[0].max_concurrent, 0u);
  EXPECT_EQ(catalog.providers[1].settings.max_retries, 0);
  EXPECT_EQ(catalog.providers[1].max_concurrent, 4u);
  EXPECT_EQ(catalog.providers[1].settings.timeouts.first_byte, std::chrono::milliseconds(1500));
  EXPECT_EQ(catalog.providers[1].settings.timeouts.total, std::chrono::seconds(60));
  EXPECT_EQ(catalog.providers[1].settings.timeouts.connect, defaults.timeouts.connect);
}

TEST(ConfigFilePresets, FillBaseUrlAndQuirksAndTheFileOverridesKeyByKey) {
  const auto catalog = catalog_of(
      "providers:\n"
      "  - name: deepseek\n"
      "    preset: deepseek\n"
      "    api_key: k\n"
      "    models:\n"
      "      \"*\": {max_output_tokens: 4096}\n"
      "      deepseek-chat: {tool_choice: false}\n"
      "      deepseek-v9: {reasoning: true}\n"
      "  - name: gpt\n"
      "    preset: openai\n"
      "    base_url: https://proxy.example/v1\n"
      "    models:\n"
      "      o4-pro: {}\n"
      "routes: {default: deepseek/deepseek-chat}\n");
  const auto& deepseek = catalog.providers[0];
  EXPECT_EQ(deepseek.preset, "deepseek");
  EXPECT_EQ(deepseek.settings.base_url, "https://api.deepseek.com/v1");
  // The preset's entry, with the file's key on top.
  const auto chat = quirks(deepseek, "deepseek-chat");
  EXPECT_EQ(chat.max_output_tokens, 8192);
  EXPECT_FALSE(chat.tool_choice);
  EXPECT_TRUE(chat.reasoning_round_trip);
  EXPECT_EQ(quirks(deepseek, "deepseek-reasoner").max_output_tokens, 65536);
  // A model the preset does not know starts from "*".
  const auto v9 = quirks(deepseek, "deepseek-v9");
  EXPECT_EQ(v9.max_output_tokens, 4096);
  EXPECT_TRUE(v9.reasoning);
  EXPECT_EQ(deepseek.default_quirks.max_output_tokens, 4096);

  const auto& gpt = catalog.providers[1];
  EXPECT_EQ(gpt.settings.base_url, "https://proxy.example/v1");
  EXPECT_FALSE(gpt.default_quirks.reasoning_round_trip);  // OpenAI refuses unknown fields
  EXPECT_TRUE(quirks(gpt, "gpt-5").reasoning);
  EXPECT_TRUE(quirks(gpt, "o4-pro").reasoning);  // by the preset's reasoning prefixes
  EXPECT_FALSE(quirks(gpt, "gpt-4o").reasoning);
}

TEST(ConfigFilePresets, EachHasItsFixedBaseUrlOrRequiresOne) {
  for (const auto& preset : routing::presets()) {
    SCOPED_TRACE(preset.name);
    const bool needs_url = preset.name == "azure" || preset.name == "vllm";
    EXPECT_EQ(preset.base_url.empty(), needs_url);
  }
  EXPECT_EQ(routing::find_preset("gemini")->base_url,
            "https://generativelanguage.googleapis.com/v1beta/openai");
  EXPECT_FALSE(routing::find_preset("groq")->default_quirks.reasoning_round_trip);
  EXPECT_TRUE(routing::find_preset("deepseek")->default_quirks.reasoning_round_trip);
  const auto azure = catalog_of(
      "providers:\n"
      "  - name: az\n"
      "    preset: azure\n"
      "    base_url: https://r.openai.azure.com\n"
      "routes: {default: az/gpt-4o}\n");
  EXPECT_TRUE(azure.providers[0].settings.azure());
  EXPECT_EQ(azure.providers[0].settings.azure_api_version, "2024-10-21");
}

TEST(ConfigPrecedence, FlagsThenEnvironmentThenDotenvThenTheFileThenDefaults) {
  const TempFile file(
      "settings:\n"
      "  PORT: 1001\n"
      "  HOST: 127.0.0.2\n"
      "  MAX_SESSIONS: 7\n"
      "  LOG_LEVEL: debug\n");
  // env stands for the process environment completed by .env (load_environment's result).
  const Config config =
      load_config({{"CCGATE_CONFIG", file.path()}, {"HOST", "127.0.0.3"}, {"LOG_LEVEL", "warning"}},
                  {{"LOG_LEVEL", "error"}});
  EXPECT_EQ(config.server.port, 1001);                     // the file
  EXPECT_EQ(config.server.host, "127.0.0.3");              // the environment wins over the file
  EXPECT_EQ(config.gateway.max_sessions, 7u);              // the file
  EXPECT_EQ(config.log_level, "error");                    // the flag wins over both
  EXPECT_EQ(config.server.body_limit, 32u * 1024 * 1024);  // the default
  EXPECT_EQ(config.config_file, file.path());
}

TEST(ConfigPrecedence, TheDotenvFileIsBelowTheEnvironmentAndAboveTheConfigFile) {
  const TempFile file("settings:\n  PORT: 1001\n  MAX_SESSIONS: 7\n");
  const std::filesystem::path dotenv =
      std::filesystem::path(file.path()).parent_path() / "test.env";
  std::ofstream(dotenv) << "MAX_SESSIONS=9\nCCGATE_CONFIG=" << file.path() << "\n";
  const Config config = load_config_from({.env_file = dotenv});
  EXPECT_EQ(config.server.port, 1001);
  EXPECT_EQ(config.gateway.max_sessions, 9u);
  EXPECT_EQ(config.sources.env_file, dotenv);
}

TEST(ConfigFile, AValueFromTheFileThatIsBadNamesItsLine) {
  const TempFile file("settings:\n  LOG_LEVEL: info\n  PORT: eighty\n");
  try {
    load_config({{"CCGATE_CONFIG", file.path()}});
    FAIL() << "no error";
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()),
              file.path() +
                  ":3: settings.PORT: PORT=\"eighty\": expected a whole number from 0 "
                  "to 65535");
  }
  // The same value from the environment is the environment's error.
  EXPECT_THROW(
      {
        try {
          load_config({{"CCGATE_CONFIG", file.path()}, {"PORT", "x"}});
        } catch (const ConfigError& error) {
          EXPECT_THAT(error.what(), StartsWith("PORT=\"x\""));
          throw;
        }
      },
      ConfigError);
}

TEST(ConfigFile, ASettingNoPartOfCcgateReadsIsAnError) {
  const TempFile file("settings:\n  LOG_LEVEL: info\n  PORTT: 1\n");
  try {
    load_config({{"CCGATE_CONFIG", file.path()}});
    FAIL() << "no error";
  } catch (const ConfigError& error) {
    EXPECT_THAT(error.what(),
                StartsWith(file.path() + ":3: settings.PORTT: not a ccgate variable"));
  }
}

TEST(ConfigFile, ReloadReadsTheFileAgainAndReturnsAnErrorAsItsMessage) {
  const TempFile file(kOneProvider);
  const ConfigSources sources{.env_file = "/nonexistent/.env", .config_file = file.path()};
  const auto first = reload_config(sources);
  ASSERT_TRUE(std::holds_alternative<Config>(first));
  EXPECT_EQ(std::get<Config>(first).config_file, file.path());
  EXPECT_EQ(std::get<Config>(first).sources.config_file, file.path());

  std::ofstream(file.path()) << "providers:\n  - name: a\n    base_url: nope\n";
  const auto second = reload_config(std::get<Config>(first).sources);
  ASSERT_TRUE(std::holds_alternative<std::string>(second));
  EXPECT_EQ(
      std::get<std::string>(second),
      file.path() + ":3: providers[0].base_url: \"nope\": expected an http:// or https:// URL");
}

TEST(ConfigFile, EveryVariableOfTheTableIsASetting) {
  const TempFile file(
      "settings:\n  HTTPS_PROXY: http://127.0.0.1:3128\n  GATEWAY_SYSTEM_PROMPT: be brief\n"
      "  IDLE_TIMEOUT: 5\n  UPSTREAM_MAX_IDLE: 3\n  CUSTOM_HEADER_X_A: b\n");
  const Config config =
      load_config({{"CCGATE_CONFIG", file.path()}, {"https_proxy", "http://h:1"}});
  EXPECT_EQ(config.client.proxy.https_proxy, "http://h:1");  // the environment's, lower case
  EXPECT_EQ(config.gateway.system_prompt, "be brief");
  EXPECT_EQ(config.upstream_max_idle, 3u);
}

TEST(ConfigFile, AMissingFileIsAnError) {
  EXPECT_THROW(load_config({{"CCGATE_CONFIG", "/nonexistent/ccgate.yaml"}}), ConfigError);
  const auto reloaded = reload_config({.config_file = "/nonexistent/ccgate.yaml"});
  ASSERT_TRUE(std::holds_alternative<std::string>(reloaded));
  EXPECT_THAT(std::get<std::string>(reloaded), HasSubstr("/nonexistent/ccgate.yaml: cannot read"));
}

TEST(ConfigFile, WithProvidersTheSingleProviderVariablesAreNamedInOneWarningNeverShown) {
  const TempFile file(kOneProvider);
  const Config config = load_config({{"CCGATE_CONFIG", file.path()},
                                     {"OPENAI_API_KEY", "sk-secret-value"},
                                     {"BIG_MODEL", "gpt-x"},
                                     {"CUSTOM_HEADER_X_A", "secret-header"}});
  ASSERT_EQ(config.catalog.providers.size(), 1u);
  EXPECT_EQ(config.catalog.providers[0].name, "a");
  std::string warnings;
  for (const auto& warning : config.warnings) warnings += warning + "\n";
  EXPECT_THAT(warnings, HasSubstr("BIG_MODEL, CUSTOM_HEADER_X_A, OPENAI_API_KEY are not used"));
  EXPECT_THAT(warnings, ::testing::Not(HasSubstr("sk-secret-value")));
  EXPECT_THAT(warnings, ::testing::Not(HasSubstr("secret-header")));
  EXPECT_THAT(warnings, ::testing::Not(HasSubstr("OPENAI_API_KEY is not set")));
  EXPECT_EQ(default_provider(config).settings.base_url, "http://127.0.0.1:1/v1");
}

TEST(ConfigFile, WithProvidersASingleProviderVariableInSettingsIsAnError) {
  const TempFile file(std::string(kOneProvider) + "settings:\n  BIG_MODEL: x\n");
  try {
    load_config({{"CCGATE_CONFIG", file.path()}});
    FAIL() << "no error";
  } catch (const ConfigError& error) {
    EXPECT_THAT(error.what(), StartsWith(file.path() + ":7: settings.BIG_MODEL: not used with "
                                                       "providers:"));
  }
}

TEST(ConfigFile, WithoutProvidersItsSettingsFeedTheImplicitProvider) {
  const TempFile file(
      "settings:\n"
      "  OPENAI_BASE_URL: http://127.0.0.1:9/v1\n"
      "  BIG_MODEL: big\n"
      "  CUSTOM_HEADER_X_TEAM: blue\n");
  const Config config = load_config({{"CCGATE_CONFIG", file.path()}});
  const auto& provider = default_provider(config);
  EXPECT_EQ(provider.name, "openai");
  EXPECT_EQ(provider.settings.base_url, "http://127.0.0.1:9/v1");
  EXPECT_EQ(config.catalog.routes.opus, (routing::Chain{{0, "big"}}));
  ASSERT_EQ(provider.settings.custom_headers.size(), 1u);
  EXPECT_EQ(provider.settings.custom_headers[0].first, "X-TEAM");
}

// Without a file, the variables are one provider "openai" whose routes are the three tiers:
// the proxy door maps every name exactly as before.
TEST(ImplicitProvider, IsTodaysBehaviour) {
  const Config config = load_config({{"OPENAI_API_KEY", "sk-x"},
                                     {"OPENAI_BASE_URL", "http://127.0.0.1:11434/v1"},
                                     {"AZURE_API_VERSION", "2024-06-01"},
                                     {"BIG_MODEL", "big"},
                                     {"SMALL_MODEL", "small"},
                                     {"MODEL_MAP", "claude-x=gpt-y, fast=tiny"},
                                     {"REASONING_MODELS", "r1,qwq"},
                                     {"MAX_RETRIES", "3"},
                                     {"CUSTOM_HEADER_X_A", "b"}});
  const auto& catalog = config.catalog;
  ASSERT_EQ(catalog.providers.size(), 1u);
  const auto& provider = catalog.providers[0];
  EXPECT_EQ(provider.name, "openai");
  EXPECT_EQ(provider.preset, "");
  EXPECT_EQ(provider.settings.base_url, "http://127.0.0.1:11434/v1");
  EXPECT_EQ(provider.settings.api_keys, std::vector<std::string>{"sk-x"});
  EXPECT_EQ(provider.settings.azure_api_version, "2024-06-01");
  EXPECT_EQ(provider.settings.max_retries, 3);
  EXPECT_EQ(provider.reasoning_prefixes, (std::vector<std::string>{"r1", "qwq"}));
  EXPECT_EQ(provider.default_quirks, translate::ModelQuirks{});
  EXPECT_TRUE(provider.models.empty());
  EXPECT_EQ(provider.max_concurrent, 0u);
  EXPECT_EQ(catalog.routes.opus, (routing::Chain{{0, "big"}}));
  EXPECT_EQ(catalog.routes.sonnet, (routing::Chain{{0, "big"}}));  // MIDDLE_MODEL: BIG_MODEL
  EXPECT_EQ(catalog.routes.haiku, (routing::Chain{{0, "small"}}));
  EXPECT_EQ(catalog.routes.fallback, (routing::Chain{{0, "big"}}));
  EXPECT_TRUE(catalog.routes.background.empty());
  EXPECT_TRUE(catalog.routes.think.empty());
  ASSERT_EQ(catalog.routes.models.size(), 2u);
  EXPECT_EQ(catalog.routes.models[0].first, "claude-x");
  EXPECT_EQ(catalog.routes.models[0].second, (routing::Chain{{0, "gpt-y"}}));
  // Where the router sends today's names: as the three tiers and MODEL_MAP always did.
  const auto first = [&](std::string_view model) {
    return routing::decide(catalog, {.model = model}, std::nullopt).chain.at(0).model;
  };
  EXPECT_EQ(first("claude-opus-4"), "big");
  EXPECT_EQ(first("claude-3-5-haiku"), "small");
  EXPECT_EQ(first("claude-x"), "gpt-y");
  EXPECT_EQ(first("other"), "other");
  EXPECT_EQ(first("openai/gpt-4o"), "openai/gpt-4o");  // a model name, not provider openai
  EXPECT_TRUE(provider.quirks_for("r1-distill").reasoning);
  EXPECT_TRUE(config.config_file.empty());
}

TEST(ImplicitProvider, DefaultsAreTodays) {
  const Config config = load_config({});
  const auto& provider = default_provider(config);
  EXPECT_EQ(provider.settings.base_url, "https://api.openai.com/v1");
  EXPECT_THAT(provider.reasoning_prefixes,
              ::testing::ElementsAreArray(translate::kDefaultReasoningPrefixes));
  EXPECT_EQ(config.catalog.routes.fallback, (routing::Chain{{0, "gpt-4o"}}));
  EXPECT_EQ(config.catalog.routes.haiku, (routing::Chain{{0, "gpt-4o-mini"}}));
}

TEST(ExampleFile, LoadsWithTheVariablesItNames) {
  const auto path = std::filesystem::path(CCGATE_SOURCE_DIR) / "ccgate.example.yaml";
  Environment env;
  for (const char* name :
       {"CCGATE_CLIENT_KEY", "DEEPSEEK_API_KEY", "OPENAI_KEY_1", "OPENAI_KEY_2", "AZURE_OPENAI_KEY",
        "OPENROUTER_API_KEY", "GROQ_API_KEY", "GEMINI_API_KEY", "HOOK_TOKEN"})
    env[name] = std::string("value-of-") + name;
  env["CCGATE_CONFIG"] = path.string();
  const Config config = load_config(env);
  EXPECT_EQ(config.catalog.providers.size(), 8u);
  EXPECT_EQ(config.proxy.api_key, "value-of-CCGATE_CLIENT_KEY");
  EXPECT_EQ(default_provider(config).name, "deepseek");
  EXPECT_FALSE(config.catalog.routes.web_search.empty());
  EXPECT_EQ(config.catalog.routes.web_search.front().model, "perplexity/sonar");
  EXPECT_TRUE(config.gateway.extensions.conversation_webhooks.enabled());
  // Each variable is named in a message when missing.
  env.erase("GROQ_API_KEY");
  try {
    load_config(env);
    FAIL() << "no error";
  } catch (const ConfigError& error) {
    EXPECT_THAT(error.what(), HasSubstr("GROQ_API_KEY is not set"));
  }
}

}  // namespace
}  // namespace ccgate::app

namespace ccgate::app {
namespace {

// The first ```yaml block after `heading` in the README.
std::string readme_yaml_after(std::string_view heading) {
  std::ifstream in(std::filesystem::path(CCGATE_SOURCE_DIR) / "README.md");
  const std::string text{std::istreambuf_iterator<char>(in), {}};
  const auto section = text.find(heading);
  const auto open = text.find("```yaml\n", section);
  const auto close = text.find("```\n", open + 8);
  if (section == std::string::npos || open == std::string::npos || close == std::string::npos)
    return {};
  return text.substr(open + 8, close - open - 8);
}

TEST(ReadmeExample, TheGatewayExtensionsExampleLoads) {
  const std::string yaml = readme_yaml_after("## Extending the gateway");
  ASSERT_FALSE(yaml.empty());
  Environment env;
  for (const char* name : {"SUPPORT_BOT_KEY", "CI_GATEWAY_KEY", "TICKETS_TOKEN"})
    env[name] = std::string("value-of-") + name;
  const auto file = parse_config_file(yaml, "README.md", env);
  const auto extensions = file_gateway_extensions(file, env);
  EXPECT_EQ(extensions.operator_mcp.client_keys.size(), 2u);
  EXPECT_EQ(extensions.operator_mcp.servers.size(), 2u);
  EXPECT_EQ(extensions.executors.tools.size(), 2u);
  EXPECT_EQ(extensions.executors.builtin_tools.size(), 1u);
  EXPECT_TRUE(extensions.policy.enabled);
  EXPECT_TRUE(extensions.conversation_webhooks.enabled());
}

}  // namespace
}  // namespace ccgate::app
