// The request translation writes the OpenAI body straight into a string. These tests pin it to
// the DOM translation it replaced (translate_request_dom_oracle.cpp): over every recorded
// Anthropic request (the fuzz seeds: real Claude Code and SDK traffic, and every body of the unit
// tests), over bench-shaped Claude Code turns up to 2 MB, and over strings holding every byte
// that needs an escape, the new body is byte for byte json::serialize of the old one, and an
// invalid request gets the same InvalidRequest message.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "translate/json_access.hpp"
#include "translate/json_text.hpp"
#include "translate/request.hpp"
#include "translate_request_dom_oracle.hpp"

namespace ccgate::translate {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

const fs::path kCorpus =
    fs::path(__FILE__).parent_path().parent_path() / "fuzz" / "corpus" / "anthropic_request";

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// One attempt: the deployment's clamps and the target model with its quirks.
struct Case {
  RequestOptions options;
  UpstreamModel target;
};

// What a deployment might set, and targets whose quirks between them turn every flag: plain, a
// reasoning model, token limits, a DeepSeek-like reasoner (a low ceiling, no tool_choice), a
// model without parallel_tool_calls and stream_options, and one without the round trip whose
// ceiling is below MIN_TOKENS_LIMIT.
std::vector<Case> cases() {
  RequestOptions plain;
  RequestOptions limited;
  limited.max_tokens_limit = 4096;
  limited.min_tokens_limit = 2000;
  const ModelQuirks defaults;
  ModelQuirks reasoner;
  reasoner.reasoning = true;
  ModelQuirks deepseek = reasoner;
  deepseek.max_output_tokens = 8192;
  deepseek.tool_choice = false;
  ModelQuirks terse;
  terse.parallel_tool_calls = false;
  terse.stream_options = false;
  ModelQuirks no_round_trip = reasoner;
  no_round_trip.max_output_tokens = 1000;
  no_round_trip.reasoning_round_trip = false;
  return {{plain, {"gpt-4o", defaults}},         {plain, {"o3-mini", reasoner}},
          {limited, {"gpt-4o", defaults}},       {plain, {"deepseek-reasoner", deepseek}},
          {plain, {"meta/llama-3.1-8b", terse}}, {limited, {"deepseek-r1", no_round_trip}}};
}

struct Outcome {
  std::string body;  // the serialized OpenAI request, or empty when rejected
  std::string error;
  std::string client_model;
  std::string upstream_model;
  bool stream = false;
  std::vector<std::string> stop_sequences;
  bool operator==(const Outcome&) const = default;
};

Outcome direct(const json::value& request, const Case& test, std::size_t size) {
  try {
    auto translated = to_openai_request(request, test.options, test.target, size);
    return {std::move(translated.body),
            {},
            std::move(translated.client_model),
            std::move(translated.upstream_model),
            translated.stream,
            std::move(translated.stop_sequences)};
  } catch (const InvalidRequest& invalid) {
    return {{}, invalid.what(), {}, {}, false, {}};
  }
}

Outcome through_dom(const json::value& request, const Case& test) {
  try {
    auto translated = dom_oracle::to_openai_request_dom(request, test.options, test.target);
    return {json::serialize(translated.body),
            {},
            std::move(translated.client_model),
            std::move(translated.upstream_model),
            translated.stream,
            std::move(translated.stop_sequences)};
  } catch (const InvalidRequest& invalid) {
    return {{}, invalid.what(), {}, {}, false, {}};
  }
}

// Parsed as the door parses a body; nullopt for what the door rejects before translating.
std::optional<json::value> parse_request(std::string_view text) {
  json::parse_options options;
  options.max_depth = 64;
  boost::system::error_code ec;
  json::value value = json::parse(text, ec, {}, options);
  if (ec || !numbers_are_finite(value)) return std::nullopt;
  return value;
}

// Both paths over one request text, in every case; returns in how many it was valid.
int expect_same(std::string_view text, const std::string& name) {
  const auto request = parse_request(text);
  if (!request) return 0;
  int valid = 0;
  for (const auto& test : cases()) {
    const std::string label = name + " → " + test.target.name;
    const Outcome expected = through_dom(*request, test);
    const Outcome actual = direct(*request, test, text.size());
    EXPECT_EQ(actual.body, expected.body) << label;
    EXPECT_EQ(actual.error, expected.error) << label;
    EXPECT_EQ(actual, expected) << label;
    if (expected.error.empty()) ++valid;
  }
  return valid;
}

const int kCases = static_cast<int>(cases().size());

TEST(RequestEquivalence, EveryRecordedRequestTranslatesAsTheDomPathDid) {
  ASSERT_TRUE(fs::is_directory(kCorpus)) << kCorpus;
  int files = 0;
  int valid = 0;
  for (const auto& entry : fs::directory_iterator(kCorpus)) {
    ++files;
    valid += expect_same(read_file(entry.path()), entry.path().filename().string());
  }
  // The seeds hold real Claude Code turns and the unit tests' bodies, valid and invalid.
  EXPECT_GE(files, 100);
  EXPECT_GE(valid, 100);
}

// Each recorded request once more with the keys that switch paths on: streaming, sampling,
// stop sequences, metadata, thinking and each tool_choice.
TEST(RequestEquivalence, RecordedRequestsWithEveryOptionalKey) {
  const std::vector<std::string> extras = {
      R"("stream":true,"temperature":0.25,"top_p":1,"stop_sequences":["END","\u0001\""])",
      R"("metadata":{"user_id":"user_abc"},"thinking":{"type":"enabled","budget_tokens":9000})",
      R"("thinking":{"type":"adaptive"},"output_config":{"effort":"max"},"temperature":1e-3)",
      R"("tool_choice":{"type":"any","disable_parallel_tool_use":true})",
      R"("tool_choice":{"type":"none"},"thinking":{"enabled":true})",
  };
  for (const auto& entry : fs::directory_iterator(kCorpus)) {
    const auto request = parse_request(read_file(entry.path()));
    if (!request || !request->is_object()) continue;
    for (const auto& extra : extras) {
      json::object changed = request->as_object();
      const json::value keys = json::parse("{" + extra + "}");
      for (const auto& [key, value] : keys.as_object()) changed[key] = value;
      expect_same(json::serialize(changed), entry.path().filename().string() + " + " + extra);
    }
  }
}

// Bench-shaped Claude Code turns (bench/lib/bodies.mjs): a system prompt, eight tools, and a
// history of text, tool calls and tool results grown to the size.
std::string prose(std::size_t length, std::size_t seed) {
  static const std::vector<std::string> words = {
      "the",   "gateway",  "reads",   "each",    "line",  "of",      "code",  "and",
      "the",   "function", "returns", "a",       "value", "when",    "tests", "pass",
      "so",    "every",    "request", "carries", "its",   "history", "with",  "tool",
      "calls", "results",  "and",     "text",    "for",   "the",     "model", "café"};
  std::string text;
  for (std::size_t i = seed; text.size() < length; ++i) text += words[(i * 7) % words.size()] + " ";
  text.resize(length);
  return text;
}

std::string bench_body(std::size_t bytes) {
  json::object request{{"model", "claude-sonnet-4-5"}, {"max_tokens", 1024}, {"stream", false}};
  json::array messages;
  if (bytes > 4096) {
    request["system"] = json::array{json::object{{"type", "text"}, {"text", prose(8192, 1)}}};
    json::array tools;
    for (int i = 0; i < 8; ++i) {
      tools.push_back(json::parse(R"({"name":"tool_)" + std::to_string(i) + R"(","description":")" +
                                  prose(300, i) + R"(","input_schema":{"type":"object",
          "properties":{"path":{"type":"string","description":"file path"},
          "limit":{"type":"integer","minimum":1},
          "mode":{"type":"string","enum":["read","write","append"]}},"required":["path"]}})"));
    }
    request["tools"] = std::move(tools);
    messages.push_back(json::object{{"role", "user"}, {"content", prose(500, 2)}});
  }
  for (std::size_t i = 0, size = 0; size < bytes; ++i) {
    const std::string id = "toolu_bench_" + std::to_string(i);
    const std::string assistant =
        R"({"role":"assistant","content":[{"type":"text","text":")" + prose(200, i) +
        R"("},{"type":"tool_use","id":")" + id + R"(","name":"tool_)" + std::to_string(i % 8) +
        R"(","input":{"path":"src/file_)" + std::to_string(i) + R"(.cpp","limit":200}}]})";
    const std::string user = R"({"role":"user","content":[{"type":"tool_result","tool_use_id":")" +
                             id + R"(","content":")" + prose(1400, i + 3) + R"("}]})";
    messages.push_back(json::parse(assistant));
    messages.push_back(json::parse(user));
    size += assistant.size() + user.size();
  }
  messages.push_back(
      json::object{{"role", "user"}, {"content", "MOCK[response_bytes=512] Say hello."}});
  request["messages"] = std::move(messages);
  return json::serialize(request);
}

TEST(RequestEquivalence, BenchShapedTurnsUpToTwoMegabytes) {
  for (const std::size_t kb : {1, 32, 256, 1024, 2048}) {
    const std::string body = bench_body(kb * 1024);
    EXPECT_EQ(expect_same(body, std::to_string(kb) + " KB"), kCases) << kb << " KB";
  }
}

// Every byte that needs an escape, in every place a string is written.
TEST(RequestEquivalence, StringsNeedingEscapesAreWrittenAsBoostWritesThem) {
  std::string nasty;
  for (int byte = 0; byte < 0x80; ++byte) nasty.push_back(static_cast<char>(byte));
  nasty += "café \xe2\x80\xa8 \xf0\x9f\x98\x80 \\\" /";
  const std::string s = json::serialize(json::value(nasty));
  const std::string request =
      R"({"model":)" + s + R"(,"max_tokens":5,"system":)" + s +
      R"(,"metadata":{"user_id":"a\u0000b"},"stop_sequences":[)" + s + R"(],"tools":[{"name":)" +
      s + R"(,"description":)" + s + R"(,"input_schema":{"k":)" + s +
      R"(}}],"tool_choice":{"type":"tool","name":)" + s +
      R"(},"messages":[{"role":"user","content":)" + s +
      R"(},{"role":"assistant","content":[{"type":"text","text":)" + s +
      R"(},{"type":"tool_use","id":)" + s + R"(,"name":)" + s + R"(,"input":{"k":)" + s +
      R"(}}]},{"role":"user","content":[
      {"type":"tool_result","tool_use_id":)" +
      s + R"(,"is_error":true,"content":[
        {"type":"text","text":)" +
      s + R"(},
        {"type":"image","source":{"type":"base64","media_type":)" +
      s + R"(,"data":)" + s + R"(}},
        {"type":"document","title":)" +
      s + R"(,"source":{"type":"base64","data":)" + s + R"(}}]},
      {"type":"search_result","title":)" +
      s + R"(,"source":)" + s + R"(,"content":[{"type":"text","text":)" + s + R"(}]},
      {"type":"tool_reference","tool_name":)" +
      s + R"(},
      {"type":"document","title":)" +
      s + R"(,"source":{"type":"url","url":)" + s + R"(}}]}]})";
  EXPECT_EQ(expect_same(request, "escapes"), kCases);
}

TEST(JsonText, WritesValuesAsSerializeDoes) {
  for (const char* text :
       {"0", "-1", "18446744073709551615", "-9223372036854775808", "0.1", "1e300", "-2.5e-7", "1.0",
        "true", "null", R"({"a":[1,{"b":"\u001f"}]})", R"("x\ty")", "[]", "{}"}) {
    const json::value value = json::parse(text);
    std::string out;
    JsonText(out).value(value);
    EXPECT_EQ(out, json::serialize(value)) << text;
  }
  std::string out;
  JsonText(out).integer(-9223372036854775807 - 1).raw(",").integer(2147483647);
  EXPECT_EQ(out, "-9223372036854775808,2147483647");
}

}  // namespace
}  // namespace ccgate::translate
