#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "anthropic/errors.hpp"
#include "openai/errors.hpp"
#include "translate_test_support.hpp"

namespace ccgate {
namespace {

using translate::testing::parse_json;

struct StatusCase {
  int status;
  std::string type;
};

[[maybe_unused]] void PrintTo(const StatusCase& c, std::ostream* os) {
  *os << c.status;
}

class AnthropicErrorTypeTest : public ::testing::TestWithParam<StatusCase> {};

TEST_P(AnthropicErrorTypeTest, MapsStatus) {
  EXPECT_EQ(anthropic::error_type_for_status(GetParam().status), GetParam().type);
}

INSTANTIATE_TEST_SUITE_P(
    Statuses, AnthropicErrorTypeTest,
    ::testing::Values(StatusCase{400, "invalid_request_error"},
                      StatusCase{401, "authentication_error"}, StatusCase{402, "billing_error"},
                      StatusCase{403, "permission_error"}, StatusCase{404, "not_found_error"},
                      StatusCase{413, "request_too_large"},
                      StatusCase{422, "invalid_request_error"}, StatusCase{429, "rate_limit_error"},
                      StatusCase{500, "api_error"}, StatusCase{502, "api_error"},
                      StatusCase{503, "overloaded_error"}, StatusCase{504, "timeout_error"},
                      StatusCase{529, "overloaded_error"}, StatusCase{599, "api_error"}));

TEST(AnthropicErrorBody, HasTheDocumentedShape) {
  EXPECT_EQ(anthropic::error_body("rate_limit_error", "slow \"down\""),
            R"({"type":"error","error":{"type":"rate_limit_error","message":"slow \"down\""}})");
  EXPECT_EQ(anthropic::error_body_for_status(404, "no such model"),
            R"({"type":"error","error":{"type":"not_found_error","message":"no such model"}})");
}

TEST(OpenAIErrorBody, HasTheDocumentedShape) {
  EXPECT_EQ(
      parse_json(openai::error_body("bad", "invalid_request_error")),
      parse_json(
          R"({"error":{"message":"bad","type":"invalid_request_error","param":null,"code":null}})"));
  EXPECT_EQ(
      parse_json(openai::error_body("m", "t", "model", "model_not_found")),
      parse_json(
          R"({"error":{"message":"m","type":"t","param":"model","code":"model_not_found"}})"));
}

struct BodyCase {
  std::string name;
  std::string body;
  std::string message;
};

[[maybe_unused]] void PrintTo(const BodyCase& c, std::ostream* os) {
  *os << c.name;
}

class ErrorMessageFromBodyTest : public ::testing::TestWithParam<BodyCase> {};

TEST_P(ErrorMessageFromBodyTest, ReadsTheMessage) {
  EXPECT_EQ(openai::error_message_from_body(GetParam().body), GetParam().message);
}

const BodyCase kBodyCases[] = {
    {"OpenAI", R"({"error":{"message":"m","type":"t","param":null,"code":null}})", "m"},
    {"ErrorString", R"({"error":"m"})", "m"},
    {"Message", R"({"message":"m"})", "m"},
    {"Detail", R"({"detail":"m"})", "m"},
    {"DetailList", R"({"detail":[{"msg":"field required"}]})", R"([{"msg":"field required"}])"},
    {"GeminiArray", R"([{"error":{"code":400,"message":"m","status":"INVALID_ARGUMENT"}}])", "m"},
    {"ErrorWithoutMessage", R"({"error":{"code":500}})", R"({"code":500})"},
    {"UnknownJson", R"({"status":"bad"})", R"({"status":"bad"})"},
    {"JsonString", R"("model overloaded")", "model overloaded"},
    {"HtmlWithTitle",
     "<!DOCTYPE html>\n<html><head><title> 502 Bad Gateway "
     "</title></head><body><h1>502</h1></body></html>",
     "upstream returned an HTML page: 502 Bad Gateway"},
    {"HtmlWithoutTitle", "<html><body>oops</body></html>", "upstream returned an HTML page"},
    {"PlainText", "  upstream connect error or disconnect/reset before headers\n",
     "upstream connect error or disconnect/reset before headers"},
    {"Empty", "", ""},
    {"Whitespace", " \r\n ", ""},
};

INSTANTIATE_TEST_SUITE_P(Table, ErrorMessageFromBodyTest, ::testing::ValuesIn(kBodyCases),
                         [](const auto& info) { return info.param.name; });

TEST(ErrorMessageFromBody, IsCappedAtAboutOneKilobyteOnACharacterBoundary) {
  std::string body(1023, 'a');
  for (int i = 0; i < 500; ++i) body += "é";
  const std::string message = openai::error_message_from_body(body);
  EXPECT_LE(message.size(), 1024u + 3u);
  EXPECT_TRUE(message.ends_with("…"));
  EXPECT_EQ(message.substr(0, 1023), std::string(1023, 'a'));
  EXPECT_EQ(message.size(), 1023u + 3u);  // the cut é is not half-kept
}

// Found by fuzz_openai_response: an error page in another encoding (here Latin-1) went into the
// client's error body byte for byte, and a body that is not UTF-8 is not JSON.
TEST(ErrorMessageFromBody, IsValidUtf8WhateverTheUpstreamSent) {
  EXPECT_EQ(openai::error_message_from_body("Fehler: ung\xfcltig \xff"),
            "Fehler: ung\xef\xbf\xbdltig \xef\xbf\xbd");
  EXPECT_EQ(openai::error_message_from_body("<html><title>\xe9"
                                            "chec</title></html>"),
            "upstream returned an HTML page: \xef\xbf\xbd"
            "chec");
  const std::string body =
      anthropic::error_body_for_status(502, openai::error_message_from_body("\xc0\xaf"));
  EXPECT_NO_THROW(boost::json::parse(body)) << body;
}

}  // namespace
}  // namespace ccgate
