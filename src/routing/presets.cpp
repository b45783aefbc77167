#include "routing/presets.hpp"

#include <boost/algorithm/string/predicate.hpp>

namespace ccgate::routing {
namespace {

using translate::ModelQuirks;
using Models = std::vector<std::pair<std::string, ModelQuirks>>;

ModelQuirks capped(ModelQuirks base, std::int64_t max_output_tokens) {
  base.max_output_tokens = max_output_tokens;
  return base;
}

ModelQuirks reasoning(ModelQuirks base, std::int64_t max_output_tokens) {
  base.reasoning = true;
  return capped(base, max_output_tokens);
}

// OpenAI validates every message against its schema: an assistant message carrying
// reasoning_content is a 400 there, and on Azure, which serves the same API.
constexpr ModelQuirks kOpenAiQuirks{.reasoning_round_trip = false};

Models openai_models() {
  const ModelQuirks q = kOpenAiQuirks;
  return {{"gpt-4o", capped(q, 16'384)},         {"gpt-4o-mini", capped(q, 16'384)},
          {"gpt-4.1", capped(q, 32'768)},        {"gpt-4.1-mini", capped(q, 32'768)},
          {"gpt-4.1-nano", capped(q, 32'768)},   {"gpt-5", reasoning(q, 128'000)},
          {"gpt-5-mini", reasoning(q, 128'000)}, {"gpt-5-nano", reasoning(q, 128'000)},
          {"o1", reasoning(q, 100'000)},         {"o3", reasoning(q, 100'000)},
          {"o3-mini", reasoning(q, 100'000)},    {"o4-mini", reasoning(q, 100'000)}};
}

const std::vector<std::string> kOpenAiReasoning{"o1", "o3", "o4", "gpt-5"};

std::vector<Preset> make_presets() {
  // DeepSeek documents neither parallel_tool_calls nor tool_choice for its thinking model, and
  // requires reasoning_content back within a tool loop. It takes max_tokens (not
  // max_completion_tokens) for both models: deepseek-reasoner is no "reasoning" model in the
  // sense of the OpenAI o-series parameters.
  constexpr ModelQuirks kDeepSeek{.parallel_tool_calls = false};
  ModelQuirks deepseek_reasoner = capped(kDeepSeek, 65'536);
  deepseek_reasoner.tool_choice = false;
  // Groq answers 400 to fields it does not know (messages[].name, logprobs, …).
  constexpr ModelQuirks kGroq{.reasoning_round_trip = false};
  // Gemini's OpenAI-compatible endpoint rejects fields it has no mapping for.
  constexpr ModelQuirks kGemini{.parallel_tool_calls = false, .reasoning_round_trip = false};
  return {
      {.name = "openai",
       .base_url = "https://api.openai.com/v1",
       .default_quirks = kOpenAiQuirks,
       .reasoning_prefixes = kOpenAiReasoning,
       .models = openai_models()},
      {.name = "azure",
       .azure_api_version = "2024-10-21",
       .default_quirks = kOpenAiQuirks,
       .reasoning_prefixes = kOpenAiReasoning,
       .models = openai_models()},
      {.name = "deepseek",
       .base_url = "https://api.deepseek.com/v1",
       .default_quirks = kDeepSeek,
       .models = {{"deepseek-chat", capped(kDeepSeek, 8'192)},
                  {"deepseek-reasoner", deepseek_reasoner}}},
      // OpenRouter forwards messages to many providers, several of them strict.
      {.name = "openrouter",
       .base_url = "https://openrouter.ai/api/v1",
       .default_quirks = {.reasoning_round_trip = false},
       .reasoning_prefixes = kOpenAiReasoning},
      {.name = "groq",
       .base_url = "https://api.groq.com/openai/v1",
       .default_quirks = kGroq,
       .reasoning_prefixes = {"gpt-oss"},
       .models = {{"llama-3.1-8b-instant", capped(kGroq, 131'072)},
                  {"llama-3.3-70b-versatile", capped(kGroq, 32'768)},
                  {"openai/gpt-oss-120b", reasoning(kGroq, 65'536)},
                  {"openai/gpt-oss-20b", reasoning(kGroq, 65'536)}}},
      // A local server: the model list is the operator's. Ollama and vLLM ignore message
      // fields they do not know.
      {.name = "ollama", .base_url = "http://localhost:11434/v1"},
      {.name = "vllm"},
      {.name = "gemini",
       .base_url = "https://generativelanguage.googleapis.com/v1beta/openai",
       .default_quirks = kGemini,
       .models = {{"gemini-2.5-pro", capped(kGemini, 65'536)},
                  {"gemini-2.5-flash", capped(kGemini, 65'536)},
                  {"gemini-2.5-flash-lite", capped(kGemini, 65'536)},
                  {"gemini-2.0-flash", capped(kGemini, 8'192)}}},
  };
}

}  // namespace

std::span<const Preset> presets() {
  static const std::vector<Preset> all = make_presets();
  return all;
}

const Preset* find_preset(std::string_view name) {
  for (const auto& preset : presets())
    if (boost::algorithm::iequals(preset.name, name)) return &preset;
  return nullptr;
}

std::string preset_names() {
  std::string names;
  for (const auto& preset : presets()) {
    if (!names.empty()) names += ", ";
    names += preset.name;
  }
  return names;
}

}  // namespace ccgate::routing
