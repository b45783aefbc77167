#pragma once
// What ccgate knows of the common OpenAI-compatible providers: where they are and what their
// models accept. A provider in the configuration file may start from one (`preset:`); the file's
// values then override the preset's key by key.

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "translate/model_quirks.hpp"

namespace ccgate::routing {

struct Preset {
  std::string name;
  std::string base_url;           // empty: none is fixed (Azure, vLLM), the file must give one
  std::string azure_api_version;  // Azure only: the api-version used when the file gives none
  translate::ModelQuirks default_quirks;
  std::vector<std::string> reasoning_prefixes;  // as Provider::reasoning_prefixes
  std::vector<std::pair<std::string, translate::ModelQuirks>> models;  // known models
};

// openai, azure, deepseek, openrouter, groq, ollama, vllm, gemini.
std::span<const Preset> presets();

// nullptr for a name that is not a preset.
const Preset* find_preset(std::string_view name);

// "openai, azure, …" for messages.
std::string preset_names();

}  // namespace ccgate::routing
