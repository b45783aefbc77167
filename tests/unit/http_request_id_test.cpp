#include <gtest/gtest.h>

#include <string>

#include "http/request_id.hpp"

namespace ccgate::http {
namespace {

TEST(RequestId, VisibleAsciiUpTo128BytesIsKept) {
  EXPECT_TRUE(valid_request_id("req_abc"));
  EXPECT_TRUE(valid_request_id("7f3c2a10-9b1e-4c55-8e0a-2f4d6c8b9a01"));
  EXPECT_TRUE(valid_request_id("trace=1;span:2/3+x@y.z!~"));
  EXPECT_TRUE(valid_request_id(std::string(128, 'a')));
}

TEST(RequestId, EmptyOrLongerThan128BytesIsRefused) {
  EXPECT_FALSE(valid_request_id(""));
  EXPECT_FALSE(valid_request_id(std::string(129, 'a')));
  EXPECT_FALSE(valid_request_id(std::string(10 * 1024, 'a')));
}

TEST(RequestId, SpacesQuotesBackslashesControlsAndNonAsciiAreRefused) {
  for (const std::string_view id : {"a b", "a\"b", "a'b", "a\\b", "a\tb", "a\nb", "a\rb",
                                    "a\x7f"
                                    "b",
                                    "caf\xc3\xa9", "\xff"})
    EXPECT_FALSE(valid_request_id(id)) << id;
  EXPECT_FALSE(valid_request_id(std::string_view("a\0b", 3)));
}

}  // namespace
}  // namespace ccgate::http
