// ccgate: one binary, two doors between the Anthropic and OpenAI API worlds.
//   ccgate [serve]   run the server (default)
//   ccgate check     validate the configuration and call every provider once

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "app/check.hpp"
#include "app/config.hpp"
#include "app/serve.hpp"

namespace {

struct Flags {
  std::string env_file = ".env";
  std::string config_file;
  std::string host, port, log_level;
};

ccgate::app::ConfigSources sources_of(const Flags& flags) {
  ccgate::app::ConfigSources sources{.env_file = flags.env_file, .config_file = flags.config_file};
  if (!flags.host.empty()) sources.flags["HOST"] = flags.host;
  if (!flags.port.empty()) sources.flags["PORT"] = flags.port;
  if (!flags.log_level.empty()) sources.flags["LOG_LEVEL"] = flags.log_level;
  return sources;
}

void set_up_logging(const std::string& level, ccgate::app::LogFormat format) {
  auto logger = spdlog::stderr_color_mt("ccgate", format == ccgate::app::LogFormat::json
                                                      ? spdlog::color_mode::never
                                                      : spdlog::color_mode::automatic);
  logger->set_formatter(ccgate::app::make_formatter(format));
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{
      "ccgate: serves the Anthropic Messages API from any OpenAI-compatible provider.\n"
      "Configuration comes from the flags, the environment, ./.env and the optional YAML file of\n"
      "--config (see the README and ccgate.example.yaml)."};
  cli.set_version_flag("-V,--version", "ccgate " CCGATE_VERSION);
  Flags flags;
  cli.add_option("--env-file", flags.env_file, "file of KEY=VALUE lines read after the environment")
      ->capture_default_str();
  cli.add_option("--config", flags.config_file,
                 "YAML configuration file: settings, providers, routes (CCGATE_CONFIG)");
  cli.add_option("--host", flags.host,
                 "address to listen on (HOST, default 127.0.0.1: this machine only)");
  cli.add_option("--port", flags.port,
                 "port to listen on, 0 for any free one (PORT, default 8082)");
  cli.add_option("--log-level", flags.log_level, "trace, debug, info, warning, error (LOG_LEVEL)");
  auto* serve = cli.add_subcommand("serve", "run the server (the default)");
  auto* check = cli.add_subcommand("check",
                                   "validate the configuration, then call every provider once "
                                   "and report one line each (exit 0 only if all answer)");
  cli.require_subcommand(0, 1);
  // "ccgate serve --port 0" means "ccgate --port 0 serve".
  serve->fallthrough();
  check->fallthrough();
  CLI11_PARSE(cli, argc, argv);

  ccgate::app::Config config;
  try {
    config = ccgate::app::load_config_from(sources_of(flags));
  } catch (const ccgate::app::ConfigError& error) {
    std::fprintf(stderr, "ccgate: configuration error: %s\n", error.what());
    return 2;
  }
  set_up_logging(config.log_level, config.log_format);
  if (check->parsed()) return ccgate::app::run_check(config);
  return ccgate::app::run_server(config);
}
