#include "app/check.hpp"

#include <fmt/format.h>

#include <boost/algorithm/string.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>

#include "upstream/provider.hpp"

namespace ccgate::app {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// The model a provider is tried with: the first a route names for it, the cheap tiers first (haiku
// is SMALL_MODEL for the variables' provider, as ccgate check always used), else its first
// listed one.
std::string probe_model(const routing::Catalog& catalog, std::size_t provider) {
  const auto& routes = catalog.routes;
  for (const routing::Chain* chain :
       {&routes.haiku, &routes.background, &routes.fallback, &routes.sonnet, &routes.opus,
        &routes.think, &routes.long_context, &routes.web_search})
    for (const auto& target : *chain)
      if (target.provider == provider) return target.model;
  for (const auto& [client, chain] : routes.models)
    for (const auto& target : chain)
      if (target.provider == provider) return target.model;
  const auto& models = catalog.providers[provider].models;
  return models.empty() ? std::string() : models.front().first;
}

std::string probe_body(const routing::Provider& provider, const std::string& model) {
  const bool reasoning = provider.quirks_for(model).reasoning;
  json::object body{{"model", model},
                    {"messages", json::array{{{"role", "user"}, {"content", "Hello"}}}}};
  body[reasoning ? "max_completion_tokens" : "max_tokens"] = reasoning ? 64 : 5;
  return json::serialize(body);
}

// A provider's error text may quote a key back: never shown.
std::string without_keys(std::string text, const upstream::Settings& settings) {
  for (const auto& key : settings.api_keys)
    if (!key.empty()) boost::algorithm::replace_all(text, key, "[key]");
  return text;
}

// settings and model outlive the call (the caller's Probe); body is the coroutine's own.
asio::awaitable<std::string> call_provider(const upstream::Settings& settings, std::string body,
                                           const std::string& model, http::Client& client) {
  upstream::KeyPool keys(settings.api_keys.size());
  const upstream::Provider provider("check", settings, keys, client);
  const auto started = std::chrono::steady_clock::now();
  http::Response response = co_await provider.chat(std::move(body), model);
  std::string answer_text = co_await response.read_all(1024 * 1024);
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  boost::system::error_code ec;
  json::value answer = json::parse(answer_text, ec);
  if (ec || !answer.is_object() || !answer.as_object().contains("choices"))
    throw upstream::Failure(
        upstream::Failure::Kind::protocol, response.status(),
        "the answer is not a Chat Completions response: " + answer_text.substr(0, 200));
  co_return fmt::format("{} ms", elapsed.count());
}

std::string failure_text(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const upstream::Failure& failure) {
    if (failure.kind() == upstream::Failure::Kind::status)
      return fmt::format("the upstream answered HTTP {}: {}", failure.upstream_status(),
                         failure.what());
    return failure.what();
  } catch (const std::exception& other) {
    return other.what();
  }
}

struct Probe {
  std::string provider;
  std::string model;
  std::string url;
  upstream::Settings settings;  // the first key only, no retries
  std::string outcome;
  bool ok = false;
  bool skipped = false;
};

std::vector<Probe> plan(const Config& config) {
  std::vector<Probe> probes;
  const auto& catalog = config.catalog;
  for (std::size_t i = 0; i < catalog.providers.size(); ++i) {
    const auto& provider = catalog.providers[i];
    Probe probe{.provider = provider.name, .model = probe_model(catalog, i)};
    probe.settings = provider.settings;
    probe.settings.max_retries = 0;
    if (probe.settings.api_keys.size() > 1) probe.settings.api_keys.resize(1);
    probe.url = probe.model.empty()
                    ? shown_url(probe.settings.base_url)
                    : shown_url(upstream::chat_completions_url(probe.settings, probe.model));
    probe.skipped = probe.model.empty();
    probes.push_back(std::move(probe));
  }
  return probes;
}

}  // namespace

int run_check(const Config& config) {
  for (const auto& warning : config.warnings)
    std::fprintf(stderr, "warning: %s\n", warning.c_str());
  const auto& providers = config.catalog.providers;
  std::printf("configuration is valid (%s); %zu provider%s\n",
              config.config_file.empty() ? "from the variables" : config.config_file.c_str(),
              providers.size(), providers.size() == 1 ? "" : "s");
  std::fflush(stdout);
  asio::io_context loop;
  auto tls = http::make_client_tls_context();
  http::Client client(loop.get_executor(), tls, config.client);
  std::vector<Probe> probes = plan(config);
  for (std::size_t i = 0; i < probes.size(); ++i) {
    Probe& probe = probes[i];
    if (probe.skipped) continue;
    asio::co_spawn(
        loop,
        call_provider(probe.settings, probe_body(providers[i], probe.model), probe.model, client),
        [&probe](std::exception_ptr error, std::string elapsed) {
          probe.ok = !error;
          probe.outcome = error ? without_keys(failure_text(error), probe.settings) : elapsed;
        });
  }
  loop.run();
  bool all_ok = true;
  for (const auto& probe : probes) {
    if (probe.skipped) {
      std::printf("skipped %s: no route names it and it lists no models (nothing to try)\n",
                  probe.provider.c_str());
      continue;
    }
    all_ok = all_ok && probe.ok;
    std::printf("%s %s: model %s at %s: %s\n", probe.ok ? "ok" : "failed", probe.provider.c_str(),
                probe.model.c_str(), probe.url.c_str(), probe.outcome.c_str());
  }
  return all_ok ? 0 : 1;
}

}  // namespace ccgate::app
