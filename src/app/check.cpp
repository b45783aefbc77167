#include "app/check.hpp"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>

#include "openai/errors.hpp"
#include "upstream/provider.hpp"

namespace ccgate::app {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::string probe_body(const Config& config, const std::string& model) {
  const bool reasoning = config.proxy.translation.reasoning.matches(model);
  json::object body{{"model", model},
                    {"messages", json::array{{{"role", "user"}, {"content", "Hello"}}}}};
  body[reasoning ? "max_completion_tokens" : "max_tokens"] = reasoning ? 64 : 5;
  return json::serialize(body);
}

asio::awaitable<std::string> probe(const Config& config, http::Client& client) {
  upstream::Settings settings = config.upstream;
  settings.max_retries = 0;
  upstream::Provider provider(settings, client);
  const auto& model = config.proxy.translation.models.small_model;
  const auto started = std::chrono::steady_clock::now();
  http::Response response = co_await provider.chat(probe_body(config, model), model);
  std::string body = co_await response.read_all(1024 * 1024);
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  boost::system::error_code ec;
  json::value answer = json::parse(body, ec);
  if (ec || !answer.is_object() || !answer.as_object().contains("choices"))
    throw upstream::Failure(
        upstream::Failure::Kind::protocol, response.status(),
        "the answer is not a Chat Completions response: " + body.substr(0, 200));
  co_return fmt::format("ok: {} answered for model {} in {} ms",
                        upstream::chat_completions_url(settings, model), model, elapsed.count());
}

}  // namespace

int run_check(const Config& config) {
  for (const auto& warning : config.warnings)
    std::fprintf(stderr, "warning: %s\n", warning.c_str());
  std::printf("configuration is valid; upstream %s\n", shown_url(config.upstream.base_url).c_str());
  asio::io_context loop;
  auto tls = http::make_client_tls_context();
  http::Client client(loop.get_executor(), tls, config.client);
  int exit_code = 1;
  asio::co_spawn(loop, probe(config, client), [&](std::exception_ptr error, std::string result) {
    if (!error) {
      std::printf("%s\n", result.c_str());
      exit_code = 0;
      return;
    }
    try {
      std::rethrow_exception(error);
    } catch (const upstream::Failure& failure) {
      if (failure.kind() == upstream::Failure::Kind::status)
        std::printf("failed: the upstream answered HTTP %d: %s\n", failure.upstream_status(),
                    failure.what());
      else
        std::printf("failed: %s\n", failure.what());
    } catch (const std::exception& other) {
      std::printf("failed: %s\n", other.what());
    }
  });
  loop.run();
  return exit_code;
}

}  // namespace ccgate::app
