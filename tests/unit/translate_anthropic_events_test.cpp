#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "anthropic/events.hpp"

namespace ccgate::anthropic {
namespace {

namespace json = boost::json;

class BlockDeltaText : public ::testing::TestWithParam<std::string> {};

// The hand-written delta must be byte for byte what the JSON serializer would have written, so
// clients see one format whichever path built the event.
TEST_P(BlockDeltaText, IsWrittenAsTheSerializerWouldWriteIt) {
  const std::string text = GetParam();
  std::string direct;
  append_block_delta(direct, 3, "text_delta", "text", text);
  std::string serialized;
  append_event(serialized, "content_block_delta",
               json::object{{"type", "content_block_delta"},
                            {"index", 3},
                            {"delta", {{"type", "text_delta"}, {"text", text}}}});
  EXPECT_EQ(direct, serialized);
  const auto data = direct.substr(direct.find("data: ") + 6);
  EXPECT_EQ(json::parse(data).at("delta").at("text").as_string(), text);
}

INSTANTIATE_TEST_SUITE_P(Texts, BlockDeltaText,
                         ::testing::Values("", "plain", "quote \" and backslash \\",
                                           "line\nbreak\ttab\rreturn",
                                           std::string("nul \0 bell \x07 esc \x1b del \x7f", 23),
                                           "\b\f", "café → 日本語 🙂", "</script>"));

}  // namespace
}  // namespace ccgate::anthropic
