#pragma once
// The providers ccgate may send a proxy-door request to, and the routes that choose among them.
// A Catalog is a value built once from the configuration (the file, or today's variables as one
// implicit provider) and never changed: a reload builds a new one.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "translate/model_quirks.hpp"
#include "upstream/settings.hpp"

namespace ccgate::routing {

struct Provider {
  std::string name;             // [a-z0-9_.-]+, unique; routes and x-ccgate-upstream name it
  std::string preset;           // the preset it started from ("" for none), as shown to operators
  upstream::Settings settings;  // base URL, keys, Azure, headers, timeouts, retries
  std::size_t max_concurrent = 0;         // requests in flight at once; 0: no cap
  translate::ModelQuirks default_quirks;  // for models not listed
  // Models not listed whose name (lower case, any "vendor/" prefix removed) starts with one of
  // these are reasoning models (REASONING_MODELS).
  std::vector<std::string> reasoning_prefixes;
  std::vector<std::pair<std::string, translate::ModelQuirks>> models;  // exact, case-insensitive

  translate::ModelQuirks quirks_for(std::string_view model) const;
};

// One provider/model an attempt may go to.
struct Target {
  std::size_t provider = 0;  // index into Catalog::providers
  std::string model;
  bool operator==(const Target&) const = default;
};

// Targets tried in order: the next one when the previous fails before the client got a byte.
using Chain = std::vector<Target>;

struct Routes {
  // Claude families (by name: "opus", "sonnet", "haiku"; any other Claude name is "sonnet", the
  // middle tier). Empty: `fallback`.
  Chain opus, sonnet, haiku;
  // Scenarios; empty: not routed.
  Chain background;    // Claude Code's own haiku-class calls
  Chain think;         // thinking.type "enabled"
  Chain long_context;  // estimated input tokens above long_context_threshold
  Chain web_search;    // the web_search server tool among the tools
  Chain fallback;      // "default": Claude names without a route; a non-Claude name goes to its
                       // first provider, unchanged
  std::int64_t long_context_threshold = 60'000;
  // Exact client model names (case-insensitive): MODEL_MAP's aliases, the file's `models:`.
  std::vector<std::pair<std::string, Chain>> models;
  // "provider/model" and "provider,model" select a target. Off for the implicit catalog (no
  // file): its provider is named "openai", and there "openai/gpt-oss-120b" (Groq, OpenRouter)
  // is a model name that today's variables pass on unchanged.
  bool direct_selection = true;
};

struct Catalog {
  std::vector<Provider> providers;
  Routes routes;

  std::optional<std::size_t> provider_index(std::string_view name) const;
};

// "provider/model" for logs and the x-ccgate-upstream header.
std::string target_name(const Catalog& catalog, const Target& target);

}  // namespace ccgate::routing
