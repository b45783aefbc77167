// ccgate-bench-route: what the proxy door's routing adds per request (issue 11: at most 2 µs).
// Measures, each as the median of several runs of many iterations: route_traits on a Claude
// Code-shaped request, decide() over four providers with every route set (a mix of the names and
// scenarios clients send), KeyPool::next, a ConcurrencyCap permit, and all four together. Also the
// input-token estimate that a long_context route needs, which walks the whole request.

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <boost/json/parse.hpp>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "routing/router.hpp"
#include "translate/token_estimate.hpp"
#include "upstream/key_pool.hpp"

namespace ccgate::bench {
namespace {

using routing::Catalog;
using routing::Chain;
using translate::RouteTraits;

constexpr std::string_view kUsage =
    R"(usage: ccgate-bench-route --body FILE [--iterations N] [--runs R]

  --body FILE        an Anthropic Messages request (make bench-route writes a 49 KB Claude Code one)
  --iterations N     per run and measurement                      (default 1000000)
  --runs R           runs per measurement; the median is printed   (default 7)
)";

struct Options {
  std::string body_file;
  std::uint64_t iterations = 1'000'000;
  std::uint64_t runs = 7;
};

std::optional<std::uint64_t> parse_count(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value == 0) return std::nullopt;
  return value;
}

std::optional<Options> parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const std::string_view value = argv[i + 1];
    if (flag == "--body") {
      options.body_file = value;
    } else if (flag == "--iterations" || flag == "--runs") {
      const auto count = parse_count(value);
      if (!count) return std::nullopt;
      (flag == "--runs" ? options.runs : options.iterations) = *count;
    } else {
      return std::nullopt;
    }
  }
  if (argc % 2 == 0 || options.body_file.empty()) return std::nullopt;
  return options;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(file), {});
}

// The issue's example configuration: four providers, every route set, a few listed models.
Catalog four_providers() {
  Catalog catalog;
  for (const char* name : {"openai", "deepseek", "openrouter", "groq"}) {
    catalog.providers.push_back({.name = name, .reasoning_prefixes = {"o1", "o3", "o4", "gpt-5"}});
  }
  catalog.providers[1].models = {{"deepseek-reasoner", {.max_output_tokens = 32768}},
                                 {"deepseek-chat", {.max_output_tokens = 8192}}};
  routing::Routes& routes = catalog.routes;
  routes.fallback = {{1, "deepseek-chat"}};
  routes.opus = {{0, "gpt-5"}, {1, "deepseek-reasoner"}};
  routes.sonnet = {{0, "gpt-4.1"}, {2, "openai/gpt-4.1"}};
  routes.haiku = {{3, "llama-3.1-8b-instant"}};
  routes.background = {{3, "llama-3.1-8b-instant"}};
  routes.think = {{1, "deepseek-reasoner"}};
  routes.long_context = {{2, "google/gemini-2.5-pro"}};
  routes.web_search = {{2, "perplexity/sonar"}};
  routes.models = {{"gpt-4o", {{0, "gpt-4o"}, {2, "openai/gpt-4o"}}},
                   {"gpt-4o-mini", {{0, "gpt-4o-mini"}}}};
  return catalog;
}

// What clients send, one of each rule: the families, the unknown Claude family, the
// scenarios, direct selection both ways, an exact model route, an OpenRouter-style passthrough.
std::vector<RouteTraits> request_mix() {
  return {{.model = "claude-sonnet-4-5-20250929"},
          {.model = "claude-opus-4-1-20250805"},
          {.model = "claude-3-5-haiku-20241022"},
          {.model = "claude-fable-5-2"},
          {.model = "claude-sonnet-4-5-20250929", .thinking = true},
          {.model = "claude-sonnet-4-5-20250929", .web_search = true},
          {.model = "deepseek,deepseek-reasoner"},
          {.model = "openrouter/anthropic/claude-sonnet-4"},
          {.model = "gpt-4o"},
          {.model = "meta-llama/llama-3.3-70b-instruct"}};
}

// The measured work's result is used, so the optimiser cannot drop the work.
void keep(std::uint64_t value) {
  asm volatile("" : : "r"(value) : "memory");
}

template <typename Work>
double median_ns_per_op(const Options& options, Work&& work) {
  std::vector<double> per_op;
  for (std::uint64_t run = 0; run < options.runs; ++run) {
    const std::uint64_t start = now_ns();
    for (std::uint64_t i = 0; i < options.iterations; ++i) keep(work(i));
    per_op.push_back(static_cast<double>(now_ns() - start) /
                     static_cast<double>(options.iterations));
  }
  std::sort(per_op.begin(), per_op.end());
  return per_op[per_op.size() / 2];
}

void report(std::string_view what, double ns) {
  fmt::print("{:<58} {:>10.1f} ns\n", what, ns);
}

int run(const Options& options) {
  const auto body = read_file(options.body_file);
  if (!body) {
    fmt::print(stderr, "ccgate-bench-route: cannot read {}\n", options.body_file);
    return 1;
  }
  const boost::json::value request = boost::json::parse(*body);
  const Catalog catalog = four_providers();
  const std::vector<RouteTraits> mix = request_mix();
  const std::int64_t tokens = translate::estimate_input_tokens(request);
  upstream::KeyPool keys(4);
  upstream::ConcurrencyCap cap(64);

  fmt::print("request body: {} bytes, ~{} input tokens; {} providers, every route set\n",
             body->size(), tokens, catalog.providers.size());
  fmt::print("median of {} runs x {} iterations\n\n", options.runs, options.iterations);

  const double traits = median_ns_per_op(options, [&](std::uint64_t) {
    const RouteTraits t = translate::route_traits(request);
    return t.model.size() + t.thinking + t.web_search;
  });
  report("route_traits (49 KB Claude Code request)", traits);

  for (const RouteTraits& t : mix) {
    const double ns = median_ns_per_op(
        options, [&](std::uint64_t) { return routing::decide(catalog, t, tokens).chain.size(); });
    report(fmt::format("decide: {:<36} -> {}", t.model, routing::decide(catalog, t, tokens).route),
           ns);
  }
  const double decide_mix = median_ns_per_op(options, [&](std::uint64_t i) {
    return routing::decide(catalog, mix[i % mix.size()], tokens).chain.size();
  });
  report("decide: the mix above, round robin", decide_mix);

  const double key = median_ns_per_op(options, [&](std::uint64_t) { return *keys.next(); });
  report("KeyPool::next (4 keys)", key);
  const double permit = median_ns_per_op(options, [&](std::uint64_t) {
    return static_cast<std::uint64_t>(static_cast<bool>(cap.try_permit()));
  });
  report("ConcurrencyCap permit (acquire + release)", permit);

  const double all = median_ns_per_op(options, [&](std::uint64_t i) {
    RouteTraits t = translate::route_traits(request);
    t.model = mix[i % mix.size()].model;
    const routing::Decision decision = routing::decide(catalog, t, tokens);
    const auto permit_held = cap.try_permit();
    return decision.chain.size() + *keys.next() + static_cast<bool>(permit_held);
  });
  report("per request: traits + decide + key + permit", all);

  const std::uint64_t estimate_iterations = std::max<std::uint64_t>(options.iterations / 1000, 10);
  const double estimate =
      median_ns_per_op({options.body_file, estimate_iterations, options.runs}, [&](std::uint64_t) {
        return static_cast<std::uint64_t>(translate::estimate_input_tokens(request));
      });
  report("estimate_input_tokens (only with a long_context route)", estimate);
  return 0;
}

}  // namespace
}  // namespace ccgate::bench

int main(int argc, char** argv) {
  const auto options = ccgate::bench::parse_options(argc, argv);
  if (!options) {
    fmt::print(stderr, "{}", ccgate::bench::kUsage);
    return 2;
  }
  return ccgate::bench::run(*options);
}
