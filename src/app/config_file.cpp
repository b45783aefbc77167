#include "app/config_file.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/algorithm/string.hpp>
#include <boost/url/parse.hpp>
#include <charconv>
#include <cmath>
#include <fstream>
#include <functional>

#include "app/config.hpp"
#include "app/config_gateway.hpp"
#include "app/config_parser.hpp"
#include "routing/presets.hpp"
#include "translate/model_map.hpp"
#include "translate/request.hpp"

namespace ccgate::app {
namespace {

using std::chrono::milliseconds;

bool provider_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
  });
}

// ---- settings: ------------------------------------------------------------------------------

std::map<std::string, FileSetting, std::less<>> read_settings(const Parser& parse,
                                                              const YAML::Node& node) {
  std::map<std::string, FileSetting, std::less<>> settings;
  parse.each(node, "settings", "",
             [&](const std::string& key, const YAML::Node& at, const YAML::Node& value) {
               const std::string path = "settings." + key;
               if (!variable_name(key)) parse.fail(at, path, "not a variable name");
               if (key == "CCGATE_CONFIG")
                 parse.fail(at, path,
                            "names the file itself: give it with --config or the environment");
               settings.emplace(key, FileSetting{parse.text(value, path), at.Mark().line + 1});
               return true;
             });
  return settings;
}

// ---- providers: -----------------------------------------------------------------------------

void apply_quirk(const Parser& parse, const std::string& key, const YAML::Node& value,
                 const std::string& path, translate::ModelQuirks& quirks, bool& known) {
  known = true;
  if (key == "max_output_tokens")
    quirks.max_output_tokens = parse.integer(value, path, 1, translate::kMaxTokensBound);
  else if (key == "reasoning")
    quirks.reasoning = parse.boolean(value, path);
  else if (key == "tool_choice")
    quirks.tool_choice = parse.boolean(value, path);
  else if (key == "parallel_tool_calls")
    quirks.parallel_tool_calls = parse.boolean(value, path);
  else if (key == "stream_options")
    quirks.stream_options = parse.boolean(value, path);
  else if (key == "reasoning_round_trip")
    quirks.reasoning_round_trip = parse.boolean(value, path);
  else
    known = false;
}

constexpr std::string_view kQuirkKeys =
    "max_output_tokens, reasoning, tool_choice, parallel_tool_calls, stream_options, "
    "reasoning_round_trip";

void read_quirks(const Parser& parse, const YAML::Node& node, const std::string& path,
                 translate::ModelQuirks& quirks) {
  parse.each(node, path, kQuirkKeys,
             [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
               bool known = false;
               apply_quirk(parse, key, value, path + "." + key, quirks, known);
               return known;
             });
}

std::pair<std::string, translate::ModelQuirks>* listed(routing::Provider& provider,
                                                       std::string_view model) {
  for (auto& entry : provider.models)
    if (boost::algorithm::iequals(entry.first, model)) return &entry;
  return nullptr;
}

// The file's models: "*" first (the default for models not listed), then each model, starting
// from the preset's entry for it or from the default.
void read_models(const Parser& parse, const YAML::Node& node, const std::string& path,
                 routing::Provider& provider) {
  if (!node.IsNull() && !node.IsMap()) parse.fail(node, path, "expected a mapping of models");
  if (node.IsMap() && node["*"])
    read_quirks(parse, node["*"], path + ".*", provider.default_quirks);
  std::vector<std::string> file_models;
  parse.each(
      node, path, "", [&](const std::string& model, const YAML::Node& at, const YAML::Node& value) {
        if (model == "*") return true;
        const std::string model_path = path + "." + model;
        if (std::any_of(file_models.begin(), file_models.end(), [&](const std::string& other) {
              return boost::algorithm::iequals(other, model);
            }))
          parse.fail(at, model_path, "given twice (model names are matched case-insensitively)");
        file_models.push_back(model);
        auto* entry = listed(provider, model);
        if (!entry) {
          provider.models.emplace_back(model, provider.quirks_for(model));
          entry = &provider.models.back();
        }
        read_quirks(parse, value, model_path, entry->second);
        return true;
      });
}

// A key goes into a header line: a line break in it (a .env or secret file's trailing newline)
// would end the header. Never shown.
std::string api_key(const Parser& parse, const YAML::Node& node, const std::string& path) {
  std::string key = parse.non_empty(node, path);
  if (std::any_of(key.begin(), key.end(), control_character))
    parse.fail(node, path, "the key holds a line break or another control character");
  return key;
}

void read_keys(const Parser& parse, const YAML::Node& node, const std::string& path,
               std::vector<std::string>& keys) {
  if (!node.IsSequence() || node.size() == 0)
    parse.fail(node, path, "expected a list of keys (leave it out for a provider without a key)");
  for (std::size_t i = 0; i < node.size(); ++i)
    keys.push_back(api_key(parse, node[i], fmt::format("{}[{}]", path, i)));
}

void read_timeouts(const Parser& parse, const YAML::Node& node, const std::string& path,
                   http::ClientTimeouts& timeouts) {
  parse.each(node, path, "connect, first_byte, idle, total",
             [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
               const std::string key_path = path + "." + key;
               if (key == "connect")
                 timeouts.connect = parse.seconds(value, key_path);
               else if (key == "first_byte")
                 timeouts.first_byte = parse.seconds(value, key_path);
               else if (key == "idle")
                 timeouts.idle = parse.seconds(value, key_path);
               else if (key == "total")
                 timeouts.total = parse.seconds(value, key_path);
               else
                 return false;
               return true;
             });
}

constexpr std::string_view kProviderKeys =
    "name, preset, base_url, api_key, keys, azure_api_version, headers, timeouts, max_retries, "
    "max_concurrent, models";

routing::Provider read_provider(const Parser& parse, const YAML::Node& node,
                                const std::string& path, const upstream::Settings& defaults) {
  if (!node.IsMap()) parse.fail(node, path, "expected a mapping (name:, base_url:, …)");
  routing::Provider provider;
  provider.settings = defaults;
  provider.settings.base_url.clear();
  provider.settings.api_keys.clear();
  provider.settings.azure_api_version.clear();
  provider.settings.custom_headers.clear();
  provider.reasoning_prefixes.assign(translate::kDefaultReasoningPrefixes.begin(),
                                     translate::kDefaultReasoningPrefixes.end());
  if (const auto preset_node = node["preset"]) {
    const std::string name = parse.text(preset_node, path + ".preset");
    const routing::Preset* preset = routing::find_preset(name);
    if (!preset)
      parse.fail(preset_node, path + ".preset",
                 fmt::format("{} is not a preset (expected one of: {})", quoted_value(name),
                             routing::preset_names()));
    provider.preset = preset->name;
    provider.settings.base_url = preset->base_url;
    provider.settings.azure_api_version = preset->azure_api_version;
    provider.default_quirks = preset->default_quirks;
    provider.reasoning_prefixes = preset->reasoning_prefixes;
    provider.models = preset->models;
  }
  bool has_name = false;
  parse.each(
      node, path, kProviderKeys,
      [&](const std::string& key, const YAML::Node& at, const YAML::Node& value) {
        const std::string key_path = path + "." + key;
        if (key == "name") {
          provider.name = parse.text(value, key_path);
          if (!provider_name(provider.name))
            parse.fail(value, key_path,
                       fmt::format("{}: expected lower-case letters, digits, '_', '.' or '-'",
                                   quoted_value(provider.name)));
          has_name = true;
        } else if (key == "preset" || key == "models") {
          // read before and after the other keys
        } else if (key == "base_url") {
          provider.settings.base_url = parse.url(value, key_path);
        } else if (key == "api_key") {
          if (node["keys"]) parse.fail(at, key_path, "give api_key or keys, not both");
          provider.settings.api_keys = {api_key(parse, value, key_path)};
        } else if (key == "keys") {
          read_keys(parse, value, key_path, provider.settings.api_keys);
        } else if (key == "azure_api_version") {
          provider.settings.azure_api_version = parse.non_empty(value, key_path);
        } else if (key == "headers") {
          for (auto& header : parse.headers(value, key_path))
            provider.settings.custom_headers.push_back(std::move(header));
        } else if (key == "timeouts") {
          read_timeouts(parse, value, key_path, provider.settings.timeouts);
        } else if (key == "max_retries") {
          provider.settings.max_retries = static_cast<int>(parse.integer(value, key_path, 0, 10));
        } else if (key == "max_concurrent") {
          provider.max_concurrent =
              static_cast<std::size_t>(parse.integer(value, key_path, 0, 10'000'000));
        } else {
          return false;
        }
        return true;
      });
  if (!has_name) parse.fail(node, path, "name: is required");
  if (provider.settings.base_url.empty())
    parse.fail(
        node, path,
        provider.preset.empty()
            ? std::string("base_url: is required")
            : fmt::format("base_url: is required (the {} preset has none)", provider.preset));
  if (provider.preset == "azure" && provider.settings.azure_api_version.empty())
    parse.fail(node, path, "azure_api_version: is required");
  if (const auto models = node["models"]) read_models(parse, models, path + ".models", provider);
  return provider;
}

std::vector<routing::Provider> read_providers(const Parser& parse, const YAML::Node& node,
                                              const upstream::Settings& defaults) {
  if (!node.IsSequence() || node.size() == 0)
    parse.fail(node, "providers", "expected a list of providers (- name: …)");
  std::vector<routing::Provider> providers;
  std::vector<int> lines;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string path = fmt::format("providers[{}]", i);
    routing::Provider provider = read_provider(parse, node[i], path, defaults);
    for (std::size_t j = 0; j < providers.size(); ++j)
      if (providers[j].name == provider.name)
        parse.fail(node[i]["name"], path + ".name",
                   fmt::format("\"{}\" is already the name of the provider on line {}",
                               provider.name, lines[j]));
    lines.push_back(node[i].Mark().line + 1);
    providers.push_back(std::move(provider));
  }
  return providers;
}

// ---- routes: --------------------------------------------------------------------------------

std::optional<std::size_t> index_of(const std::vector<routing::Provider>& providers,
                                    std::string_view name) {
  for (std::size_t i = 0; i < providers.size(); ++i)
    if (providers[i].name == name) return i;
  return std::nullopt;
}

routing::Target read_target(const Parser& parse, const YAML::Node& node, const std::string& path,
                            const std::vector<routing::Provider>& providers) {
  const std::string value = parse.text(node, path);
  const auto slash = value.find('/');  // the model may hold '/' itself (openrouter/openai/gpt-4o)
  if (slash == std::string::npos)
    parse.fail(node, path, fmt::format("{}: expected \"provider/model\"", quoted_value(value)));
  const auto provider = index_of(providers, std::string_view(value).substr(0, slash));
  if (!provider)
    parse.fail(node, path,
               fmt::format("{}: no provider is named {}", quoted_value(value),
                           quoted_value(value.substr(0, slash))));
  if (slash + 1 == value.size())
    parse.fail(node, path, fmt::format("{}: the model is missing", quoted_value(value)));
  return {*provider, value.substr(slash + 1)};
}

routing::Chain read_chain(const Parser& parse, const YAML::Node& node, const std::string& path,
                          const std::vector<routing::Provider>& providers) {
  if (node.IsScalar()) return {read_target(parse, node, path, providers)};
  if (!node.IsSequence() || node.size() == 0)
    parse.fail(node, path, "expected \"provider/model\" or a list of them");
  routing::Chain chain;
  for (std::size_t i = 0; i < node.size(); ++i)
    chain.push_back(read_target(parse, node[i], fmt::format("{}[{}]", path, i), providers));
  return chain;
}

constexpr std::string_view kRouteKeys =
    "default, opus, sonnet, haiku, background, think, long_context, long_context_threshold, "
    "web_search, models";

// key: the "routes" key itself, where a missing default is reported.
routing::Routes read_routes(const Parser& parse, const YAML::Node& key, const YAML::Node& node,
                            const std::vector<routing::Provider>& providers) {
  routing::Routes routes;
  bool has_default = false;
  parse.each(
      node, "routes", kRouteKeys,
      [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
        const std::string path = "routes." + key;
        const auto chain = [&] { return read_chain(parse, value, path, providers); };
        if (key == "default") {
          routes.fallback = chain();
          has_default = true;
        } else if (key == "opus")
          routes.opus = chain();
        else if (key == "sonnet")
          routes.sonnet = chain();
        else if (key == "haiku")
          routes.haiku = chain();
        else if (key == "background")
          routes.background = chain();
        else if (key == "think")
          routes.think = chain();
        else if (key == "long_context")
          routes.long_context = chain();
        else if (key == "web_search")
          routes.web_search = chain();
        else if (key == "long_context_threshold")
          routes.long_context_threshold = parse.integer(value, path, 1, 100'000'000);
        else if (key == "models") {
          parse.each(
              value, path, "",
              [&](const std::string& model, const YAML::Node& at, const YAML::Node& targets) {
                const std::string model_path = path + "." + model;
                for (const auto& [other, _] : routes.models)
                  if (boost::algorithm::iequals(other, model))
                    parse.fail(at, model_path,
                               "given twice (model names are matched case-insensitively)");
                routes.models.emplace_back(model,
                                           read_chain(parse, targets, model_path, providers));
                return true;
              });
        } else {
          return false;
        }
        return true;
      });
  if (!has_default) parse.fail(key, "routes.default", "is required");
  return routes;
}

constexpr std::string_view kTopKeys = "settings, providers, routes, gateway";

// The key node of a top-level entry (a mapping's value is marked at its first line, the key at
// the line an error about the entry as a whole should name).
YAML::Node top_key(const YAML::Node& root, std::string_view name) {
  for (const auto& entry : root)
    if (entry.first.Scalar() == name) return entry.first;
  return YAML::Node();
}

}  // namespace

bool ConfigFile::has_providers() const {
  const YAML::Node& top = root;
  return top.IsMap() && top["providers"];
}

std::string ConfigFile::origin(std::string_view setting) const {
  const auto found = settings.find(setting);
  if (found == settings.end()) return {};
  return fmt::format("{}:{}: settings.{}: ", name, found->second.line, setting);
}

ConfigFile parse_config_file(std::string_view text, std::string name, const Environment& env) {
  ConfigFile file;
  file.name = std::move(name);
  try {
    file.root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& error) {
    throw ConfigError(fmt::format("{}:{}: YAML syntax error: {}", file.name,
                                  error.mark.is_null() ? 1 : error.mark.line + 1, error.msg));
  }
  const Parser parse(file.name, env);
  const YAML::Node& root = file.root;
  if (!root.IsNull() && !root.IsMap())
    parse.fail(root, "(top level)", "expected a mapping (settings:, providers:, routes:)");
  parse.each(
      root, "", kTopKeys, [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
        if (key == "settings") file.settings = read_settings(parse, value);
        return key == "settings" || key == "providers" || key == "routes" || key == "gateway";
      });
  if (root.IsMap() && root["routes"] && !root["providers"])
    parse.fail(top_key(root, "routes"), "routes",
               "needs providers: in the same file (without them the variables name one "
               "provider and its routes)");
  return file;
}

ConfigFile read_config_file(const std::string& path, const Environment& env) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(fmt::format("{}: cannot read the configuration file", path));
  // Read at most one byte past the limit: a file named by mistake (a log, /dev/zero) is refused
  // instead of read to its end.
  std::string text(kMaxConfigFileSize + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) throw ConfigError(fmt::format("{}: cannot read the configuration file", path));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxConfigFileSize)
    throw ConfigError(fmt::format("{}:1: the configuration file is larger than {} bytes", path,
                                  kMaxConfigFileSize));
  return parse_config_file(text, path, env);
}

routing::Catalog file_catalog(const ConfigFile& file, const upstream::Settings& defaults,
                              const Environment& env) {
  const Parser parse(file.name, env);
  const YAML::Node& root = file.root;
  routing::Catalog catalog;
  catalog.providers = read_providers(parse, root["providers"], defaults);
  if (!root["routes"])
    parse.fail(top_key(root, "providers"), "routes",
               "required with providers: (routes.default at least)");
  catalog.routes = read_routes(parse, top_key(root, "routes"), root["routes"], catalog.providers);
  return catalog;
}

gateway::Extensions file_gateway_extensions(const ConfigFile& file, const Environment& env) {
  const Parser parse(file.name, env);
  const YAML::Node& root = file.root;
  if (!root.IsMap() || !root["gateway"]) return {};
  return read_gateway_extensions(parse, root["gateway"]);
}

}  // namespace ccgate::app
